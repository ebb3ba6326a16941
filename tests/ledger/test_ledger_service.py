"""Appending, checkpoints, serving and outsider verification against the database."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime

import pytest
import rfc8785
from django.core.management import CommandError, call_command

from gongzhi.ledger import merkle, services, tiles
from gongzhi.ledger.models import Head, Leaf, Node, SignedCheckpoint
from gongzhi.ledger.note import Signer, open_checkpoint
from gongzhi.ledger.services import LedgerEvent, append_events, sign_checkpoint
from gongzhi.ledger.verify import VerificationFailed, verify_log

pytestmark = pytest.mark.django_db


def make_events(n, start=0, record="request:7", **extra):
    return [
        LedgerEvent(
            event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"gongzhi-test-{i}"),
            type="request.state_changed",
            occurred_at=datetime(2026, 11, 22, 3, 0, tzinfo=UTC),
            aggregate_type=record.split(":")[0],
            aggregate_id=record.split(":")[1] if i % 5 == 0 else str(1000 + i),
            payload={"state": "accepted", "n": i},
            **extra,
        )
        for i in range(start, start + n)
    ]


def _memory_root():
    store = merkle.MemoryHashStore()
    store.extend(merkle.leaf_hash(bytes(e)) for e in Leaf.objects.order_by("index").values_list("entry", flat=True))
    return store


def test_append_is_idempotent_and_matches_reference(ledger_key):
    first = append_events(make_events(300))
    assert first.size == 300 and len(first.appended) == 300 and first.skipped == 0
    # Re-delivery of old events plus new ones, with a duplicate inside the batch.
    again = append_events(make_events(100, start=250) + make_events(1, start=340))
    assert again.size == 350 and len(again.appended) == 50 and again.skipped == 51
    assert Leaf.objects.count() == 350
    assert sorted(Leaf.objects.values_list("index", flat=True)) == list(range(350))
    store = _memory_root()
    assert store.root() == again.root == bytes(Head.objects.get().root)
    # Every complete subtree above the leaves is stored, as the in-memory reference has it.
    assert Node.objects.count() == sum(len(row) // 32 for row in store.levels[1:])
    assert services.store.get_range(0, 0, 350) == store.get_range(0, 0, 350)
    assert services.store.get_range(1, 0, 175) == store.get_range(1, 0, 175)


def test_private_events_are_not_recorded(ledger_key):
    events = make_events(3)
    events[1].public = False
    assert len(append_events(events).appended) == 2


def test_personal_fields_are_only_salted_hashes(ledger_key):
    event = make_events(1)[0]
    event.payload = {"state": "submitted", "personal": {"name": "张三", "phone": "13800000000"}}
    event.actor_id = 42
    append_events([event])
    leaf = Leaf.objects.get()
    entry = bytes(leaf.entry)
    assert "张三".encode() not in entry and b"13800000000" not in entry and b"user:42" not in entry
    doc = json.loads(entry)
    assert entry == rfc8785.dumps(doc)  # canonical JSON
    assert set(doc["personal"]) == {"name", "phone", "actor"}
    salt = leaf.salt_map["phone"]
    assert doc["personal"]["phone"] == "sha256:" + hashlib.sha256(salt + rfc8785.dumps("13800000000")).hexdigest()
    assert doc["record"] == {"type": "request", "id": "7"} and doc["data"] == {"state": "submitted"}


def test_unrepresentable_payloads_become_digests(ledger_key):
    events = make_events(3)
    events[0].payload = {"ratio": float("nan")}
    events[1].payload = {"text": "\ud800 lone surrogate"}
    events[2].payload = {"blob": "x" * 70000}
    append_events(events)
    leaves = [json.loads(bytes(leaf.entry))["data"] for leaf in Leaf.objects.order_by("index")]
    # A structured field that JSON cannot represent becomes a digest; free text (here with a
    # lone surrogate, or too long) is not structured, so it is only a commitment anyway.
    assert list(leaves[0]) == ["sha256"] and len(leaves[0]["sha256"]) == 64
    assert leaves[1]["text"].startswith("sha256:") and leaves[2]["blob"].startswith("sha256:")


def test_checkpoints_are_consistent_and_refuse_rewrites(ledger_key):
    append_events(make_events(10), sign=True)
    cp1 = SignedCheckpoint.objects.get()
    checkpoint, _ = open_checkpoint(cp1.note, [ledger_key.verifier], origin="gongzhi.local/ledger")
    assert checkpoint.size == 10 and checkpoint.root == _memory_root().root()
    assert sign_checkpoint() == cp1  # no growth, no new signature
    append_events(make_events(7, start=10), sign=True)
    assert list(SignedCheckpoint.objects.values_list("size", flat=True)) == [17, 10]

    # A stored subtree that no longer matches the head is refused.
    good = bytes(Node.objects.get(level=4, index=0).hash)
    Node.objects.filter(level=4, index=0).update(hash=merkle.leaf_hash(b"forged"))
    append_events(make_events(1, start=17))
    with pytest.raises(services.InconsistentLogError, match="refusing to sign"):
        sign_checkpoint()
    Node.objects.filter(level=4, index=0).update(hash=good)
    # Rewrite history: change a leaf the signed trees cover and rebuild every upper
    # node and the head, so the tree is self-consistent but not an extension.
    Leaf.objects.filter(index=3).update(leaf_hash=merkle.leaf_hash(b"forged"))
    Node.objects.all().delete()
    hashes = [bytes(h) for h in Leaf.objects.order_by("index").values_list("leaf_hash", flat=True)]
    _, peaks, nodes = merkle.extend(0, [], hashes)
    Node.objects.bulk_create([Node(level=lv, index=i, hash=h) for lv, i, h in nodes if lv > 0])
    Head.objects.update(root=merkle.fold_peaks(peaks))
    append_events(make_events(2, start=18))
    with pytest.raises(services.InconsistentLogError, match="not consistent with signed checkpoint 17"):
        sign_checkpoint()
    assert SignedCheckpoint.objects.count() == 2


def test_tile_api_and_cache_headers(client, ledger_key):
    append_events(make_events(600), sign=True)
    r = client.get("/ledger/checkpoint")
    assert r.status_code == 200 and r["Cache-Control"] == "no-cache"
    assert open_checkpoint(r.content, [ledger_key.verifier])[0].size == 600
    full = client.get("/ledger/tile/0/001")
    assert full.status_code == 200 and len(full.content) == 256 * 32
    assert "immutable" in full["Cache-Control"]
    partial = client.get("/ledger/tile/0/002.p/88")
    assert partial.status_code == 200 and len(partial.content) == 88 * 32
    assert "immutable" not in partial["Cache-Control"]
    assert client.get("/ledger/tile/1/000.p/2").content == services.store.get_range(8, 0, 2)
    bundle = tiles.decode_bundle(client.get("/ledger/tile/entries/002.p/88").content)
    assert len(bundle) == 88 and bundle[-1] == bytes(Leaf.objects.get(index=599).entry)
    assert client.get("/ledger/tile/0/002").status_code == 404  # not full yet
    assert client.get("/ledger/tile/0/002.p/89").status_code == 404
    assert client.get("/ledger/tile/0/2").status_code == 400


def test_json_proofs_verify(client, ledger_key):
    append_events(make_events(40), sign=True)
    cp = SignedCheckpoint.objects.latest()
    append_events(make_events(25, start=40), sign=True)
    p = client.get("/ledger/proof/inclusion", {"index": 13}).json()
    b = base64.b64decode
    assert merkle.verify_inclusion(13, 65, b(p["leaf_hash"]), [b(x) for x in p["proof"]], b(p["root"]))
    rec = client.get("/ledger/proof/record", {"record": "request:7"}).json()
    assert [leaf["index"] for leaf in rec["leaves"]] == list(range(0, 65, 5))
    c = client.get("/ledger/proof/consistency", {"from": cp.size}).json()
    assert merkle.verify_consistency(40, 65, [b(x) for x in c["proof"]], bytes(cp.root), b(c["root2"]))
    assert client.get("/ledger/proof/inclusion", {"index": 65}).status_code == 404
    assert "must be a non-negative integer" in client.get("/ledger/proof/inclusion", {"index": "x"}).json()["error"]


def test_outsider_verification_over_http(client, ledger_key):
    append_events(make_events(300), sign=True)

    def fetch(path):
        r = client.get("/ledger/" + path)
        if r.status_code != 200:
            raise VerificationFailed(f"{path}: HTTP {r.status_code}")
        return r.content

    report = verify_log(
        "http://testserver/ledger/", [ledger_key.verifier], records=["request:7"], full=True, fetch=fetch
    )
    assert report.checkpoint.size == 300


def test_verify_command_on_exported_tiles(tmp_path, ledger_key):
    vkey = ledger_key.verifier.to_key()
    append_events(make_events(270), sign=True)
    first = tmp_path / "v1"
    call_command("ledger", "export", str(first))
    saved = tmp_path / "saved.checkpoint"
    call_command("verify", str(first), "--key", vkey, "--record", "request:7", "--full", "--save", str(saved))
    append_events(make_events(300, start=270), sign=True)
    second = tmp_path / "v2"
    call_command("ledger", "export", str(second))
    call_command("verify", str(second), "--key", vkey, "--since", str(saved), "--full")

    with pytest.raises(CommandError, match="not in the log"):
        call_command("verify", str(second), "--key", vkey, "--record", "request:999999")
    other = Signer.generate("gongzhi.local/ledger").verifier.to_key()
    with pytest.raises(CommandError, match="checkpoint signature: no signature by a known key"):
        call_command("verify", str(second), "--key", other)
    # A tile altered after signing is caught, naming the tile and hash.
    tile = second / "tile/0/000"
    data = bytearray(tile.read_bytes())
    data[5 * 32] ^= 1
    tile.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="tile/0/000: hash 5"):
        call_command("verify", str(second), "--key", vkey, "--full")
    # A log that was rewritten and re-signed fails --since.
    Leaf.objects.all().delete()
    Node.objects.all().delete()
    Head.objects.all().delete()
    SignedCheckpoint.objects.all().delete()
    append_events(make_events(400, start=5000), sign=True)
    forged = tmp_path / "forged"
    call_command("ledger", "export", str(forged))
    with pytest.raises(CommandError, match="history was rewritten"):
        call_command("verify", str(forged), "--key", vkey, "--since", str(saved))


def test_receipt_is_backed_by_a_real_proof(ledger_key):
    events = make_events(20)
    append_events(events, sign=True)
    r = services.receipt(events[7].event_id)
    assert r.verified and r.index == 7 and r.tree_size == 20
    Leaf.objects.filter(index=7).update(entry=b'{"forged":true}')
    r = services.receipt(events[7].event_id)
    assert not r.verified and "does not match" in r.problem
    assert services.receipt(uuid.uuid4()) is None


def test_keygen(tmp_path):
    key = tmp_path / "k" / "signer.key"
    call_command("ledger", "keygen", "--out", str(key))
    signer = Signer.from_key(key.read_text())
    assert (tmp_path / "k" / "signer.pub").read_text().strip() == signer.verifier.to_key()
    assert key.stat().st_mode & 0o777 == 0o600
    with pytest.raises(CommandError, match="already exists"):
        call_command("ledger", "keygen", "--out", str(key))


def test_outbox_subscriber(ledger_key):
    from django.db import transaction

    from gongzhi.core.events import dispatch_pending, emit

    with transaction.atomic():
        # declared event types (core.contracts checks them): one public, one not
        e1 = emit(
            "consult.vote_tallied",
            aggregate_type="consultation",
            aggregate_id=3,
            payload={"title": "议题", "result": {"yes": 12}, "minutes": ""},
        )
        emit("core.api_token_issued", aggregate_type="user", aggregate_id=9, payload={"name": "t"}, public=False)
    dispatch_pending(["ledger"])
    dispatch_pending(["ledger"])
    leaf = Leaf.objects.get()
    assert leaf.event_id == e1.event_id and leaf.record == "consultation:3"
    assert SignedCheckpoint.objects.get().size == 1
    # Redelivery (e.g. after a crash before the delivery row) changes nothing.
    from gongzhi.ledger.subscribers import handle_event

    handle_event([e1])
    assert Leaf.objects.count() == 1


def test_json_api(client, ledger_key):
    events = make_events(12)
    append_events(events, sign=True)
    r = client.get("/api/v1/ledger/checkpoint")
    assert r.status_code == 200 and r.json()["size"] == 12
    r = client.get(f"/api/v1/ledger/receipt/{events[4].event_id}")
    assert r.status_code == 200 and r.json()["verified"] is True and r.json()["index"] == 4
    assert client.get(f"/api/v1/ledger/receipt/{uuid.uuid4()}").status_code == 404
    assert client.get("/api/v1/ledger/proof/inclusion", {"index": 3}).json()["tree_size"] == 12
    assert client.get("/api/v1/ledger/proof/inclusion", {"index": 30}).status_code == 404
    assert len(client.get("/api/v1/ledger/proof/consistency", {"size1": 5}).json()["proof"]) > 0


def test_sync_status_and_verifier_key_commands(ledger_key, capsys):
    from django.db import transaction

    from gongzhi.core.events import emit

    with transaction.atomic():
        for i in range(5):
            emit(
                "core.region_created",
                aggregate_type="region",
                aggregate_id=i,
                payload={"code": f"99{i}", "name": "x", "level": "community", "kind": "urban"},
            )
    call_command("ledger", "sync", "--batch", "2")
    call_command("ledger", "sync")  # idempotent
    assert Leaf.objects.count() == 5 and SignedCheckpoint.objects.latest().size == 5
    call_command("ledger", "status")
    call_command("ledger", "verifier-key")
    out = capsys.readouterr().out
    assert "appended 5 events" in out and "appended 0 events" in out and "tree size 5" in out
    assert ledger_key.verifier.to_key() in out


@pytest.mark.django_db(transaction=True)
def test_verify_command_over_a_real_http_server(live_server, ledger_key, tmp_path):
    append_events(make_events(300), sign=True)
    vkey = ledger_key.verifier.to_key()
    base = live_server.url + "/ledger/"
    saved = tmp_path / "cp"
    call_command("verify", base, "--key", vkey, "--record", "request:7", "--save", str(saved))
    append_events(make_events(20, start=300), sign=True)
    call_command("verify", base, "--key", vkey, "--since", str(saved), "--record", "request:1306", "--full")
    with pytest.raises(CommandError, match="HTTP 404"):
        call_command("verify", live_server.url + "/nothing-here/", "--key", vkey)
