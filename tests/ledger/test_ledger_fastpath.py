"""The fast batched append path gives exactly what the slow, obvious path gives.

* Canonical JSON: the fast paths of ``canonical`` equal the ``rfc8785`` package byte for
  byte on random documents (Chinese text, astral characters, lone surrogates, control
  characters, integers beyond 2**53, floats) and on real Chinese text.
* Entries: :func:`services.entries._entries` (templates cached by field names, salts drawn from
  a pool) equals an entry built as a plain dict and serialised by ``rfc8785``, with the
  commitments recomputed from the stored salts.
* Storage: what the batch writes without the ORM reads back through the ORM as written
  (datetimes, ids), and idempotency, checkpoints and proofs hold.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import rfc8785
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from gongzhi.ledger import canonical, merkle, services
from gongzhi.ledger.models import Leaf, Node, SignedCheckpoint
from gongzhi.ledger.note import open_checkpoint
from gongzhi.ledger.services import LedgerEvent, append_events

SEEDS = Path("/work/shared/seeds")

# Every code point class: controls, CJK, astral, and lone surrogates (category Cs).
any_text = st.text(st.characters(), max_size=16)
utf8_text = st.text(st.characters(codec="utf-8"), max_size=16)
cjk_text = st.text(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF) | st.sampled_from("，。、“”《》（）\u3000"), max_size=20
)
controls = st.text(st.characters(max_codepoint=0x20) | st.sampled_from('"\\/\u007f\u2028\u2029'), max_size=8)
texts = any_text | utf8_text | cjk_text | controls
ints = (
    st.integers(-(2**53) + 1, 2**53 - 1) | st.integers(-(2**70), 2**70) | st.sampled_from([2**53, -(2**53), 2**53 - 1])
)
floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 1e21, 1e-7, 5e-324, 0.1, 1.5])


def _docs(scalars):
    return st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=5), max_leaves=24
    )


def _same_as_rfc8785(fn, doc):
    """``fn(doc)`` equals ``rfc8785.dumps(doc)``, or both refuse."""
    try:
        expected = rfc8785.dumps(doc)
    except Exception:  # noqa: BLE001 - whatever rfc8785 refuses, ours must refuse too
        with pytest.raises(Exception):  # noqa: B017
            out = fn(doc)
            (out if isinstance(out, bytes) else out.encode("utf-8")).decode("utf-8")
        return
    out = fn(doc)
    assert (out if isinstance(out, bytes) else out.encode("utf-8")) == expected


@settings(max_examples=600, deadline=None)
@given(_docs(st.none() | st.booleans() | ints | texts | floats))
def test_dumps_equals_rfc8785(doc):
    _same_as_rfc8785(canonical.dumps, doc)


@settings(max_examples=600, deadline=None)
@given(_docs(st.none() | st.booleans() | ints | texts | floats))
def test_dumps_text_equals_rfc8785(doc):
    _same_as_rfc8785(canonical.dumps_text, doc)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(texts, st.none() | st.booleans() | ints | texts, max_size=8))
def test_flat_objects_equal_rfc8785(doc):
    """The flat-object fast path (the shape of most event payloads)."""
    _same_as_rfc8785(canonical.dumps_text, doc)
    _same_as_rfc8785(canonical.dumps, doc)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_string_equals_rfc8785(s):
    _same_as_rfc8785(canonical.string, s)


def _seed_lines() -> list[str]:
    lines = []
    for path in sorted(SEEDS.glob("*.txt")):
        lines += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


def test_real_chinese_text_equals_rfc8785():
    lines = _seed_lines() or ["基层治理关系国家发展稳定的大局，要着力推动基层治理能力的提升。"]
    for n, line in enumerate(lines):
        payload = {
            "title": line[:40],
            "text": line,
            "n": n,
            "ok": n % 2 == 0,
            "tags": ["党建引领", line[:3]],
            "none": None,
        }
        assert canonical.dumps(payload) == rfc8785.dumps(payload)
        assert canonical.dumps_text(payload).encode("utf-8") == rfc8785.dumps(payload)
        assert canonical.string(line).encode("utf-8") == rfc8785.dumps(line)


# --------------------------------------------------------------------------- entries


def _reference_entry(event, salts: dict[str, str]) -> bytes:
    """The leaf as a plain dict through ``rfc8785``, commitments recomputed from the salts."""
    payload = dict(event.payload or {})
    personal = dict(payload.pop("personal", None) or {})
    if event.actor_id is not None:
        personal["actor"] = f"user:{event.actor_id}"
    data, pointers = _reference_data(event.type, payload, salts)
    assert set(salts) == {str(k) for k in personal} | pointers
    commitments = {
        str(k): "sha256:" + hashlib.sha256(bytes.fromhex(salts[str(k)]) + rfc8785.dumps(v)).hexdigest()
        for k, v in personal.items()
    }
    return rfc8785.dumps(
        {
            "data": data,
            "event_id": str(event.event_id),
            "occurred_at": event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "personal": commitments,
            "record": {"id": str(event.aggregate_id), "type": event.aggregate_type},
            "region": event.region_code,
            "type": event.type,
            "v": 2,
        }
    )


def _reference_data(event_type, payload, salts):
    """The public ``data`` written from the rule (issue 17), commitments recomputed with ``rfc8785``:
    fields off the type's allow-list committed whole; inside allowed fields, strings that are not
    short ASCII tokens (or are phone/ID numbers) committed where they stand."""
    from gongzhi.ledger import public_fields

    allowed = public_fields.allowed_fields(event_type) or set()
    used = set()

    def commit(value, ptr):
        used.add(ptr)
        return "sha256:" + hashlib.sha256(bytes.fromhex(salts[ptr]) + rfc8785.dumps(value)).hexdigest()

    def token(s):
        return s == "" or (
            re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:+\-/]{0,63}", s) is not None
            and not re.fullmatch(r"(\+?86)?1[3-9][0-9]{9}|[0-9]{17}[0-9Xx]", s)
        )

    def seal(value, ptr):
        if isinstance(value, str):
            return value if token(value) else commit(value, ptr)
        if isinstance(value, dict):
            if all(token(k) for k in value):
                return {k: seal(v, ptr + "/" + k.replace("~", "~0").replace("/", "~1")) for k, v in value.items()}
            return commit(value, ptr)
        if isinstance(value, list):
            return [seal(v, f"{ptr}/{i}") for i, v in enumerate(value)]
        return value

    out = {}
    for k, v in payload.items():
        ptr = "/data/" + str(k).replace("~", "~0").replace("/", "~1")
        out[k] = seal(v, ptr) if k in allowed else commit(v, ptr)
    return out, used


safe_scalars = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | utf8_text | cjk_text | controls
safe_docs = st.recursive(
    safe_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(utf8_text | cjk_text, inner, max_size=4),
    max_leaves=12,
)
personal_keys = (
    st.sampled_from(["name", "phone", "id_card", "actor", "a%s", "%", "姓名", "\U0001f600", 'b"q']) | utf8_text
)


@settings(max_examples=300, deadline=None)
@given(
    payload=st.dictionaries((utf8_text | cjk_text).filter(lambda k: k != "personal"), safe_docs, max_size=5),
    personal=st.dictionaries(personal_keys, safe_docs, max_size=4),
    actor=st.none() | st.integers(1, 10**6),
    agg=utf8_text | cjk_text,
    typ=utf8_text,
    region=st.none() | utf8_text,
    micro=st.sampled_from([0, 1, 999999]),
    offset=st.integers(-12, 14),
)
def test_entries_equal_the_reference(payload, personal, actor, agg, typ, region, micro, offset):
    when = datetime(2026, 11, 22, 3, 4, 5, micro, tzinfo=timezone(timedelta(hours=offset)) if offset else UTC)
    event = LedgerEvent(uuid.uuid4(), typ, when, "request", agg, {**payload, "personal": personal}, region, actor)
    # Twice in one batch and once alone: the cached templates give the same bytes.
    events = [event, event]
    built = services.entries._entries(events, [str(event.event_id)] * 2)
    single = services.build_entry(event)
    for entry, salts in [(b[0], b[1]) for b in built] + [single]:
        salt_map = json.loads(salts)
        assert salts.encode("utf-8") == rfc8785.dumps(salt_map)
        assert entry == _reference_entry(event, salt_map)


def test_entries_with_non_string_personal_keys():
    event = LedgerEvent(uuid.uuid4(), "t", datetime(2026, 1, 1, tzinfo=UTC), "x", "1", {"personal": {2: "b", 10: "a"}})
    entry, salts = services.build_entry(event)
    assert entry == _reference_entry(event, json.loads(salts))
    assert list(json.loads(entry)["personal"]) == ["10", "2"]  # sorted as strings


def test_salts_are_fresh_for_every_field():
    events = [
        LedgerEvent(
            uuid.uuid4(),
            "t",
            datetime(2026, 1, 1, tzinfo=UTC),
            "x",
            str(i),
            {"personal": {"a": "1", "b": "1"}},
            None,
            7,
        )
        for i in range(3000)
    ]
    built = services.entries._entries(events, [str(e.event_id) for e in events])
    salts = [s for _, text, _ in built for s in json.loads(text).values()]
    assert len(salts) == 9000 and len(set(salts)) == 9000 and all(len(bytes.fromhex(s)) == 16 for s in salts)
    # Same value, different salt: the commitments differ too.
    commitments = [c for entry, _, _ in built for c in json.loads(entry)["personal"].values()]
    assert len(set(commitments)) == 9000


def test_sqlite_datetime_text_is_what_django_stores():
    for micro in (0, 1, 500000, 999999):
        for tz in (UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))):
            dt = datetime(2026, 11, 22, 23, 59, 59, micro, tzinfo=tz)
            iso = services.entries._iso(dt)
            assert services.bulk._sqlite_datetime_from_iso(iso) == services.bulk._sqlite_datetime(dt)
            if connection.vendor == "sqlite":
                assert services.bulk._sqlite_datetime_from_iso(iso) == connection.ops.adapt_datetimefield_value(dt)


# --------------------------------------------------------------------------- storage


@pytest.mark.django_db
def test_batch_rows_read_back_through_the_orm(ledger_key):
    base = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    events = [
        LedgerEvent(
            event_id=uuid.uuid4(),
            type="request.state_changed",
            occurred_at=(base + timedelta(microseconds=137 * i)).astimezone(timezone(timedelta(hours=8 * (i % 2)))),
            aggregate_type="request",
            aggregate_id=str(i % 7),
            payload={"state": "受理", "n": i, "personal": {"phone": f"1380000{i:04d}"}},
            region_code="320102001001",
            actor_id=i,
        )
        for i in range(1500)
    ]
    result = append_events(events, sign=True)
    assert result.size == 1500 and [i for _, i in result.appended] == list(range(1500))
    # Re-delivery of the whole batch, in a different order, appends nothing.
    again = append_events(list(reversed(events)), sign=True)
    assert again.appended == [] and again.skipped == 1500 and again.root == result.root
    for e in events[::97]:
        leaf = Leaf.objects.get(event_id=e.event_id)
        assert leaf.occurred_at == e.occurred_at
        assert Leaf.objects.filter(occurred_at=e.occurred_at, event_id=e.event_id).exists()
        assert leaf.record == f"request:{e.aggregate_id}" and leaf.event_type == e.type
        assert bytes(leaf.leaf_hash) == merkle.leaf_hash(bytes(leaf.entry))
        assert json.loads(bytes(leaf.entry))["event_id"] == str(e.event_id)
        assert set(leaf.salt_map) == {"phone", "actor", "/data/state"}  # "受理" is text: committed
    store = merkle.MemoryHashStore()
    store.extend(merkle.leaf_hash(bytes(e)) for e in Leaf.objects.order_by("index").values_list("entry", flat=True))
    assert store.root() == result.root
    assert Node.objects.count() == sum(len(row) // 32 for row in store.levels[1:])
    # One checkpoint for the batch (the re-delivery did not sign a second one of the same size).
    assert list(SignedCheckpoint.objects.values_list("size", flat=True)) == [1500]
    checkpoint, _ = open_checkpoint(SignedCheckpoint.objects.get().note, [ledger_key.verifier])
    assert checkpoint.root == result.root
    receipt = services.receipt(events[1234].event_id)
    assert receipt.verified and receipt.index == 1234


@pytest.mark.django_db
def test_checkpoint_in_the_batch_refuses_a_rewritten_tree(ledger_key):
    def events(n):
        return [LedgerEvent(uuid.uuid4(), "t", datetime(2026, 1, 1, tzinfo=UTC), "x", str(i)) for i in range(n)]

    first = append_events(events(300), sign=True)
    # Forge a peak of the signed tree (leaves 256..287): the next batch extends the
    # forged tree, and the checkpoint it signs must not be consistent with size 300.
    Node.objects.filter(level=5, index=8).update(hash=merkle.leaf_hash(b"forged"))
    with pytest.raises(services.InconsistentLogError, match="not consistent with signed checkpoint 300"):
        append_events(events(5), sign=True)
    # The refused batch changed nothing: no leaves, no head move, no checkpoint.
    assert Leaf.objects.count() == 300 and services.head() == (300, first.root)
    assert list(SignedCheckpoint.objects.values_list("size", flat=True)) == [300]
    # A missing subtree is refused too (here already when the batch reads the peaks).
    Node.objects.filter(level=5, index=8).delete()
    with pytest.raises(KeyError, match=r"stored subtree \(5, 8\) is missing"):
        append_events(events(5), sign=True)
    assert Leaf.objects.count() == 300


def test_outbox_events_with_lazy_regions(world, ledger_key):
    """Outbox events fetched without ``select_related``: region codes come from one query
    before the rows stream into PostgreSQL's COPY (a lazy query during the COPY would wait
    forever for the connection the COPY holds)."""
    import signal

    from gongzhi.core.models import Event

    for i in range(40):
        Event.objects.create(
            type="cases.request.accepted",
            occurred_at=datetime(2026, 11, 22, 3, 0, i, tzinfo=UTC),
            region=[world.street_a, world.comm_b, None][i % 3],
            aggregate_type="service_request",
            aggregate_id=f"R{i}",
            payload={"state": "受理", "personal": {"phone": "13800000000"}},
        )
    events = list(Event.objects.order_by("seq"))  # no select_related: e.region would query

    def timeout(signum, frame):
        raise TimeoutError("append_events hung")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(120)
    try:
        result = append_events(events, sign=True)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert result.size == 40
    regions = [json.loads(bytes(leaf.entry))["region"] for leaf in Leaf.objects.order_by("index")]
    assert regions == [[world.street_a.code, world.comm_b.code, None][i % 3] for i in range(40)]


def test_outbox_events_with_deferred_fields(world, ledger_key):
    """Deferred fields would query during the COPY: such batches are built first, then written."""
    from gongzhi.core.models import Event

    for i in range(5):
        Event.objects.create(
            type="t",
            occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
            region=world.street_a,
            aggregate_type="x",
            aggregate_id=str(i),
            payload={"n": i},
        )
    events = list(Event.objects.defer("payload").order_by("seq"))
    assert not services.bulk._streamable(events)
    assert append_events(events, sign=True).size == 5
    assert [json.loads(bytes(leaf.entry))["data"] for leaf in Leaf.objects.order_by("index")] == [
        {"n": i} for i in range(5)
    ]


@pytest.mark.django_db
def test_a_query_during_the_copy_fails_instead_of_hanging(ledger_key):
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL streams leaves into a COPY")

    class Sneaky(LedgerEvent):
        @property
        def region_code(self):  # a lazy lookup, as a related object would do
            return str(Leaf.objects.count())

        @region_code.setter
        def region_code(self, value):
            pass

    events = [Sneaky(uuid.uuid4(), "t", datetime(2026, 1, 1, tzinfo=UTC), "x", "1")]
    with pytest.raises(services.LedgerError, match="query while the leaf COPY"):
        append_events(events)
    assert Leaf.objects.count() == 0
