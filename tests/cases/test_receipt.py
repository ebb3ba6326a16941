"""A resident's request page shows its receipts in the public record, backed by a real proof check."""

import pytest

from gongzhi.core.events import dispatch_pending
from gongzhi.ledger import services as ledger
from gongzhi.ledger.note import Signer


@pytest.fixture
def ledger_key(monkeypatch):
    signer = Signer.generate("gongzhi.local/ledger")
    monkeypatch.setenv("GONGZHI_LEDGER_KEY", signer.to_key())
    ledger.keys._signer_cache.clear()
    return signer


def test_request_page_shows_verified_receipts(client, users, submit, ledger_key):
    req = submit()
    dispatch_pending(["ledger"])
    client.force_login(users["street_cadre"])
    r = client.get(f"/requests/r/{req.number}/")
    assert r.status_code == 200
    rows = r.context["receipts"]
    assert rows and all(row["receipt"] is not None and row["receipt"].verified for row in rows)
    assert "已在公开记录中验证" in r.content.decode()
    # The receipt is the ledger's: same leaf index and a signed checkpoint covering it.
    first = rows[0]
    assert first["receipt"].index >= 0 and first["receipt"].tree_size > first["receipt"].index
    assert first["receipt"].checkpoint.startswith("gongzhi.local/ledger\n")


def test_tampered_leaf_is_not_verified(client, users, submit, ledger_key):
    from gongzhi.ledger.models import Leaf

    req = submit()
    dispatch_pending(["ledger"])
    leaf = Leaf.objects.order_by("index").first()
    Leaf.objects.filter(pk=leaf.pk).update(entry=bytes(leaf.entry) + b" ")
    client.force_login(users["street_cadre"])
    rows = client.get(f"/requests/r/{req.number}/").context["receipts"]
    tampered = [row for row in rows if row["receipt"] and row["receipt"].index == leaf.index]
    assert tampered and not tampered[0]["receipt"].verified
