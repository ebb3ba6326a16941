"""Issue 17, item 1 (what an operator does about entries already published): ``gongzhi ledger
withhold`` stops serving their content while the tree, its checkpoints and every proof still
verify; ``gongzhi verify`` takes a withheld marker's leaf hash and says the content is withheld."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import SecurityLog
from gongzhi.ledger import services, verify
from gongzhi.ledger.models import Leaf, SignedCheckpoint, WithheldEntry
from gongzhi.ledger.note import Signer
from gongzhi.ledger.services import LedgerEvent, append_events

PHONE = "13912345678"
FREE_TEXT = f"已电话联系居民{PHONE}，身份证110101199003074514"


@pytest.fixture
def ledger_key(monkeypatch):
    signer = Signer.generate("gongzhi.local/ledger")
    monkeypatch.setenv("GONGZHI_LEDGER_KEY", signer.to_key())
    services.keys._signer_cache.clear()
    return signer


@pytest.fixture
def published(db, ledger_key, monkeypatch):
    """A log of 300 entries (two bundles) where three about request 7 (leaves 5, 105, 257) were published before the
    public-fields rule: their free-text reason is in clear (the old projection: payload as is)."""
    with monkeypatch.context() as m:
        m.setattr(services.entries, "project", lambda event_type, payload, pool=None: (payload, {}))
        old = [
            LedgerEvent(
                uuid.uuid5(uuid.NAMESPACE_URL, f"old-{i}"),
                "cases.request.escalate",
                datetime(2026, 11, 1, 3, i // 60, i % 60, tzinfo=UTC),
                "service_request",
                "7" if i in (5, 105, 257) else str(10_000 + i),
                {"action": "escalate", "reason": FREE_TEXT if i in (5, 105, 257) else "按时限升级"},
            )
            for i in range(260)
        ]
        append_events(old, sign=True)
    new = [
        LedgerEvent(
            uuid.uuid5(uuid.NAMESPACE_URL, f"new-{i}"),
            "cases.request.escalate",
            datetime(2026, 12, 1, 3, 0, i, tzinfo=UTC),
            "service_request",
            str(1000 + i),
            {"action": "escalate", "reason": FREE_TEXT},
        )
        for i in range(40)
    ]
    append_events(new, sign=True)
    return ledger_key


def _export(tmp_path: Path, name: str) -> Path:
    out = tmp_path / name
    call_command("ledger", "export", str(out), stdout=io.StringIO())
    return out


def _all_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def test_the_old_entries_leak_and_withholding_stops_serving_them(published, client, tmp_path):
    key = published.verifier.to_key()
    before = _export(tmp_path, "before")
    assert PHONE.encode() in _all_bytes(before)  # the finding: published in clear
    assert sum(PHONE.encode() in bytes(e) for e in Leaf.objects.values_list("entry", flat=True)) == 3
    cp_before = SignedCheckpoint.objects.order_by("-size").first()

    out = io.StringIO()
    call_command(
        "ledger",
        "withhold",
        "--record",
        "service_request:7",
        "--reason",
        "personal_data",
        "--note",
        "工单7的理由含居民电话",
        stdout=out,
    )
    assert "withheld 3 entries" in out.getvalue()
    assert sorted(WithheldEntry.objects.values_list("index", flat=True)) == [5, 105, 257]

    # Nothing in the tree changed: same head, no new checkpoint, leaf rows kept for the operator.
    assert SignedCheckpoint.objects.order_by("-size").first() == cp_before
    assert services.head()[0] == 300 and Leaf.objects.count() == 300
    assert PHONE.encode() in bytes(Leaf.objects.get(index=5).entry)

    after = _export(tmp_path, "after")
    assert PHONE.encode() not in _all_bytes(after)
    # The same over HTTP, anonymously: both bundles and the proof endpoints.
    for path in ("/ledger/tile/entries/000", "/ledger/tile/entries/001.p/44"):
        body = client.get(path).content
        assert PHONE.encode() not in body and b'"withheld":"personal_data"' in body
    proof = client.get("/ledger/proof/record?record=service_request:7").json()
    assert len(proof["leaves"]) == 3 and PHONE not in json.dumps(proof, ensure_ascii=False)
    # The note (why) is never published.
    assert "工单7".encode() not in _all_bytes(after)

    # What a verifier sees: everything verifies; withheld entries are counted and named.
    report = verify.verify_log(
        str(after), [published.verifier], full=True, since=cp_before.note, records=["service_request:7"]
    )
    text = "\n".join(report.checks)
    assert "3 entries withheld by the operator" in text
    assert "content withheld by the operator: 5, 105, 257" in text
    cli = io.StringIO()
    call_command("verify", str(after), "--key", key, "--full", "--record", "service_request:7", stdout=cli)
    assert "withheld" in cli.getvalue()
    # A client that fetched before can still check the old bundle against the same signed root.
    verify.verify_log(str(before), [published.verifier], full=True)


def test_a_marker_cannot_lie_about_its_hash(published, tmp_path):
    call_command("ledger", "withhold", "--index", "5", "--reason", "free_text", stdout=io.StringIO())
    after = _export(tmp_path, "after")
    bundle = after / "tile" / "entries" / "000"
    data = bundle.read_bytes()
    marker = services.public_entries(5, 1)[0]
    forged = marker.replace(marker[marker.index(b'"leaf_hash":"') + 13 :][:64], b"0" * 64)
    assert len(forged) == len(marker)
    bundle.write_bytes(data.replace(marker, forged))
    with pytest.raises(verify.VerificationFailed, match="does not match the checkpoint"):
        verify.verify_log(str(after), [published.verifier], full=True)
    # A withheld entry cannot be passed off as some other record either.
    with pytest.raises(verify.VerificationFailed):
        verify.verify_log(str(after), [published.verifier], records=["service_request:7"])


def test_withholding_refuses_bad_input_and_changes_nothing(published):
    with pytest.raises(CommandError, match="no leaf is about record"):
        call_command("ledger", "withhold", "--record", "service_request:nope", "--reason", "personal_data")
    with pytest.raises(CommandError, match="there is no leaf 99999"):
        call_command("ledger", "withhold", "--index", "99999", "--reason", "personal_data")
    with pytest.raises(CommandError):
        call_command("ledger", "withhold", "--index", "5", "--reason", "because")
    with pytest.raises(services.LedgerError, match="reason must be one of"):
        services.withhold(SYSTEM, [5], reason="because")
    assert not WithheldEntry.objects.exists()
    # Dry run lists, changes nothing; a second withholding of the same entries is a no-op.
    out = io.StringIO()
    call_command(
        "ledger", "withhold", "--record", "service_request:7", "--reason", "personal_data", "--dry-run", stdout=out
    )
    assert "3 entries would be withheld" in out.getvalue() and not WithheldEntry.objects.exists()
    assert services.withhold(SYSTEM, [5, 105], reason="personal_data") == [5, 105]
    assert services.withhold(SYSTEM, [5, 105, 257], reason="personal_data") == [257]


def test_withholding_is_in_the_security_log(published, django_user_model):
    admin = django_user_model.objects.create_user("ops", is_superuser=True, is_staff=True)
    services.withhold(admin, [5], reason="legal_order")
    row = SecurityLog.objects.get(kind="ledger_withhold")
    assert row.username == "ops" and row.detail["indices"] == [5] and row.detail["reason"] == "legal_order"
    out = io.StringIO()
    call_command("ledger", "withheld", stdout=out)
    assert "5\tlegal_order" in out.getvalue() and "1 withheld entries" in out.getvalue()
