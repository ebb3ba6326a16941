"""Issue 17, item 1: free text reached the public record in clear.

Found: a staff action's ``reason`` ("已电话联系居民13912345678，身份证…") became part of a
public ledger entry, served anonymously in the entry bundles.  Rule now: an entry holds
structured fields only; every other field is a salted commitment (``ledger.public_fields``).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gongzhi.core.actors import SYSTEM
from gongzhi.ledger import public_fields, services
from gongzhi.ledger.models import Leaf
from gongzhi.ledger.note import Signer
from gongzhi.ledger.services import LedgerEvent, append_events

PHONE = "13912345678"
ID_NUMBER = "110101199003074514"
FREE_TEXT = f"已电话联系居民{PHONE}，身份证{ID_NUMBER}"
SRC = Path(__file__).resolve().parents[2] / "src" / "gongzhi"


@pytest.fixture
def ledger_key(monkeypatch):
    signer = Signer.generate("gongzhi.local/ledger")
    monkeypatch.setenv("GONGZHI_LEDGER_KEY", signer.to_key())
    services.keys._signer_cache.clear()
    return signer


def _strings(value, path=""):
    """Every (JSON pointer, string) in a document, keys included."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield path + "/" + k + "#key", k
            yield from _strings(v, path + "/" + k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}/{i}")


def check_entry(entry: bytes) -> list[str]:
    """Problems of one public entry: a string in ``data`` that is neither a commitment nor a
    structured token under a field on its type's allow-list."""
    doc = json.loads(entry)
    allowed = public_fields.allowed_fields(doc["type"]) or frozenset()
    problems = []
    for key, value in doc["data"].items():
        for where, s in _strings(value, "/data/" + key):
            if public_fields.COMMITMENT.fullmatch(s):
                continue
            if key not in allowed:
                problems.append(f"{doc['type']} {where}: field {key!r} is not on the allow-list but holds {s[:40]!r}")
            elif not public_fields.is_token(s):
                problems.append(f"{doc['type']} {where}: free text {s[:40]!r} in clear")
    for name, value in doc["personal"].items():
        if not public_fields.COMMITMENT.fullmatch(value):
            problems.append(f"{doc['type']} /personal/{name} is not a commitment")
    return problems


# ----------------------------------------------------------------------------- the finding


def test_a_staff_reason_is_not_served_in_clear(client, world, users, ledger_key):
    """Reproduces the finding: a reason with a phone and an ID number, then the anonymous tiles."""
    from gongzhi.cases import services as cases
    from gongzhi.cases.models import Transition
    from gongzhi.core.events import dispatch_pending
    from gongzhi.org.models import Grid

    grid = Grid.objects.filter(region=world.comm_a).order_by("code").first()
    req, _ = cases.submit(
        SYSTEM, description="楼道堆物", category="01001", lon=grid.centroid_lon, lat=grid.centroid_lat
    )
    req.refresh_from_db()
    cases.escalate(users["district_admin"], req, reason=FREE_TEXT)
    dispatch_pending(["ledger"])

    size = Leaf.objects.count()
    assert size > 0
    bundle = client.get(f"/ledger/tile/entries/000.p/{size}" if size < 256 else "/ledger/tile/entries/000").content
    assert PHONE.encode() not in bundle and ID_NUMBER.encode() not in bundle
    assert "已电话联系居民".encode() not in bundle
    leaf = Leaf.objects.get(event_type="cases.request.escalate")
    doc = json.loads(bytes(leaf.entry))
    assert doc["v"] == 2 and public_fields.COMMITMENT.fullmatch(doc["data"]["reason"])
    assert doc["data"]["number"] == req.number and doc["data"]["action"] == "escalate"  # structure stays public
    # The text is kept in the operational database, and the commitment opens with the private salt.
    assert Transition.objects.get(request=req, action="escalate").reason == FREE_TEXT
    salt = leaf.salt_map["/data/reason"]
    assert doc["data"]["reason"] == services.commitment(salt, FREE_TEXT)
    # The proof endpoints serve the same entry.
    proof = client.get(f"/ledger/proof/inclusion?index={leaf.index}").json()
    assert PHONE not in json.dumps(proof, ensure_ascii=False)


# ----------------------------------------------------------------------------- every event type


def test_every_public_entry_of_the_demo_holds_structured_fields_only(world, ledger_key):
    """Walks every public event the demo produced (every type the modules emit there)."""
    from gongzhi.core.models import Event
    from gongzhi.demo.generator import run_module_demos

    run_module_demos(seed=1, scale="tiny", progress=lambda *a: None)
    events = list(Event.objects.filter(public=True).select_related("region").order_by("seq"))
    types = {e.type for e in events}
    assert len(types) >= 20, types  # the demo exercises most modules
    undeclared = sorted(t for t in types if public_fields.allowed_fields(t) is None)
    assert not undeclared, f"public event types without a declared allow-list: {undeclared}"
    append_events(events, sign=True)
    problems = [p for entry in Leaf.objects.values_list("entry", flat=True) for p in check_entry(bytes(entry))]
    assert not problems, "\n".join(problems[:30])


def _declared(app: str, name: str) -> list[str]:
    """The event types a constant of an app's ``contracts`` module names (an ``EventType``, or a dict
    of them such as ``REQUEST_EVENTS``), looked up in the emitting app first, then in every app."""
    import importlib

    from django.apps import apps as django_apps

    from gongzhi.core.contracts import EventType

    modules = [f"gongzhi.{app}.contracts", "gongzhi.core.contracts"] + [
        f"{c.name}.contracts" for c in django_apps.get_app_configs() if c.name.startswith("gongzhi.")
    ]
    for module in modules:
        try:
            value = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if isinstance(value, EventType):
            return [str(value)]
        if isinstance(value, dict) and value and all(isinstance(v, EventType) for v in value.values()):
            return [str(v) for v in value.values()]
    return []


def _emitted_types() -> dict[str, bool]:
    """Event types named in ``emit(...)`` calls (and an app's own ``_emit`` helpers) in the source:
    literal types, f-string prefixes and the declared constants of the apps' ``contracts`` modules
    (``contracts.REQUEST_EVENTS[action]`` stands for every type it maps to), each with whether that
    call passes ``public=False``."""
    found: dict[str, bool] = {}
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        app = path.relative_to(SRC).parts[0]
        for m in re.finditer(r"\b_?emit\(", text):
            call = text[m.end() : m.end() + 700]
            head = call.split("aggregate_type", 1)[0]
            private = "public=False" in call.split("\n\n", 1)[0]
            names = [
                lit[:-1] if lit.endswith("{") else lit  # an f-string: its prefix
                for lit in re.findall(r'f?"([a-z_]+\.[a-z_.]*\{?)', head)
            ]
            names += [
                t
                for const in re.findall(r"\b[A-Za-z_]\w*\.([A-Z][A-Z0-9_]+)\b", head[:200])
                for t in _declared(app, const)
            ]
            for name in names:
                found[name] = found.get(name, True) and private
    return found


def test_every_event_type_in_the_code_is_declared_or_private():
    found = _emitted_types()
    assert len(found) >= 60, found
    missing = []
    for name, private in sorted(found.items()):
        if private:
            continue
        if name.endswith("."):  # f"cases.request.{action}", "alliance.goal." + outcome
            if not any(t.startswith(name) for t in public_fields.declared_types()):
                missing.append(name)
        elif public_fields.allowed_fields(name) is None:
            missing.append(name)
    assert not missing, f"emitted public event types without an allow-list: {missing}"


@pytest.mark.parametrize("event_type", sorted(public_fields.declared_types()))
def test_free_text_in_any_declared_field_is_committed(event_type, ledger_key):
    """Even a field on the allow-list does not publish free text or personal numbers put into it."""
    name = event_type.replace("*", "x")
    fields = public_fields.declared_types()[event_type] | {"reason", "note", "title", "name"}
    payload = {}
    for i, f in enumerate(sorted(fields)):
        payload[f] = [FREE_TEXT, PHONE, ID_NUMBER, {"unit": "U1", "unit_name": FREE_TEXT, "n": 3}][i % 4]
    payload["personal"] = {"phone": PHONE, "id_number": ID_NUMBER}
    event = LedgerEvent(uuid.uuid4(), name, datetime(2026, 12, 1, tzinfo=UTC), "x", "1", payload, None, 5)
    entry, salts = services.build_entry(event)
    assert PHONE.encode() not in entry and ID_NUMBER.encode() not in entry and "居民".encode() not in entry
    assert not check_entry(entry)
    doc = json.loads(entry)
    for f in fields & set(doc["data"]):  # structure inside an allowed field survives
        v = doc["data"][f]
        if isinstance(v, dict) and f in public_fields.declared_types()[event_type]:
            assert v["unit"] == "U1" and v["n"] == 3 and v["unit_name"].startswith("sha256:")
    assert set(json.loads(salts)) >= {"phone", "id_number", "actor"}


def test_an_undeclared_type_publishes_nothing_in_clear(ledger_key):
    event = LedgerEvent(
        uuid.uuid4(),
        "new.kind_of_event",
        datetime(2026, 12, 1, tzinfo=UTC),
        "x",
        "1",
        {"count": 3, "state": "open", "text": "随便写的"},
        None,
        None,
    )
    doc = json.loads(services.build_entry(event)[0])
    assert all(public_fields.COMMITMENT.fullmatch(v) for v in doc["data"].values())


@pytest.mark.parametrize(
    "value,ok",
    [
        ("990102001001001", True),
        ("2612070006266", True),
        ("2026-12-06T21:31:46.094275+00:00", True),
        ("8000.00", True),
        ("LHT-990102001-001", True),
        ("in_progress", True),
        ("", True),
        (PHONE, False),
        ("+8613912345678", False),
        (ID_NUMBER, False),
        ("11010119900307451X", False),
        ("a b", False),
        ("南湖街道", False),
        ("x" * 65, False),
        ("a@b.cn", False),
        ("line\nbreak", False),
    ],
)
def test_structured_tokens(value, ok):
    assert public_fields.is_token(value) is ok
