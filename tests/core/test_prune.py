"""Pruning: delivered outbox events go once they are old, every subscriber has passed them and the ledger
holds them, and not before; expired idempotency keys go; both are system-only services run as daily jobs
on the periodic queue; a request page keeps its receipts after its events are pruned."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from gongzhi.core import prune, services
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Forbidden
from gongzhi.core.events import dispatch_pending, emit, subscribers
from gongzhi.core.models import DeliveryBatch, Event, IdempotencyKey, OutboxCursor
from gongzhi.ledger.models import Leaf
from gongzhi.ledger.note import Signer
from gongzhi.ledger.services import keys

pytestmark = pytest.mark.django_db
LATER = timezone.now() + dt.timedelta(days=31)


@pytest.fixture(autouse=True)
def ledger_key(monkeypatch):
    monkeypatch.setenv("GONGZHI_LEDGER_KEY", Signer.generate("gongzhi.local/ledger").to_key())
    keys.forget()
    yield
    keys.forget()


def _regions(n, start=0):
    city = services.create_region(SYSTEM, code=f"99{start:04d}", name="市", level="city")
    out = [city]
    for i in range(1, n):
        out.append(services.create_region(SYSTEM, code=f"99{start + i:04d}", name=f"区{i}", level="city"))
    return out


def _private_event():
    with transaction.atomic():
        return emit(
            "core.region_created",
            aggregate_type="region",
            aggregate_id="x",
            payload={"code": "990000", "name": "x", "level": "city", "kind": "urban"},
            public=False,
        )


def _settle_cursors():
    """What the dispatcher's cursors reach once the settle time has passed (core.events._advance)."""
    top = Event.objects.order_by("-seq").values_list("seq", flat=True).first()
    for name in subscribers():
        OutboxCursor.objects.update_or_create(subscriber=name, defaults={"through_seq": top})


def test_delivered_old_events_are_pruned_with_their_delivery_log():
    _regions(3)
    _private_event()
    dispatch_pending()
    _settle_cursors()
    n = Event.objects.count()
    assert n == 4 and Leaf.objects.count() == 3
    assert 1 <= DeliveryBatch.objects.count() <= len(subscribers())  # one batch each, if it wanted any
    assert prune.prune_outbox(SYSTEM) == 0  # all younger than 30 days
    assert prune.prune_outbox(SYSTEM, now=LATER) == n
    assert not Event.objects.exists() and not DeliveryBatch.objects.exists()
    assert Leaf.objects.count() == 3  # the public record is untouched


def test_what_a_subscriber_or_the_ledger_still_needs_is_kept():
    _regions(2)
    dispatch_pending()
    _settle_cursors()
    # one subscriber's cursor behind the second event: it is kept
    second = Event.objects.order_by("seq")[1]
    name = sorted(subscribers())[0]
    OutboxCursor.objects.filter(subscriber=name).update(through_seq=second.seq - 1)
    assert list(prune.prunable_events(LATER).values_list("seq", flat=True)) == [second.seq - 1]
    _settle_cursors()
    # a public event every subscriber has "delivered" but whose leaf is not in the log: kept by the ledger
    Leaf.objects.filter(event_id=second.event_id).delete()
    assert second.seq not in set(prune.prunable_events(LATER).values_list("seq", flat=True))
    # a subscriber with no cursor yet (just deployed) holds everything back
    _settle_cursors()
    OutboxCursor.objects.filter(subscriber=name).delete()
    assert prune.prune_outbox(SYSTEM, now=LATER) == 0
    assert Event.objects.count() == 2


def test_undelivered_events_are_kept():
    _regions(2)
    assert prune.prune_outbox(SYSTEM, now=LATER) == 0  # no cursor has settled past them


def test_only_the_platform_prunes(users):
    for fn in (prune.prune_outbox, prune.prune_idempotency_keys):
        with pytest.raises(Forbidden):
            fn(users["district_admin"])


def test_expired_idempotency_keys_are_pruned():
    old = IdempotencyKey.objects.create(key="a", scope="u1:/x", status=201, response={})
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    fresh = IdempotencyKey.objects.create(key="b", scope="u1:/x", status=201, response={})
    assert prune.prune_idempotency_keys(SYSTEM) == 1
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_jobs_run_daily_on_the_periodic_queue():
    from gongzhi.core.schedule import JOBS

    jobs = {j.name: j for j in JOBS}
    for name, t in (
        ("core.prune_outbox", prune.prune_outbox_task),
        ("core.prune_idempotency_keys", prune.prune_idempotency_keys_task),
    ):
        assert jobs[name].every == dt.timedelta(hours=24)
        assert jobs[name].task == f"gongzhi.core.prune.{t.name}"
        assert t.queue_name == "periodic"


def test_prune_command(capsys):
    _regions(2)
    dispatch_pending()
    _settle_cursors()
    Event.objects.update(occurred_at=timezone.now() - dt.timedelta(days=40))
    call_command("prune", "--dry-run")
    assert "2 outbox events could be pruned" in capsys.readouterr().out
    call_command("prune")
    assert "pruned 2 outbox events" in capsys.readouterr().out and not Event.objects.exists()


def test_a_request_keeps_its_receipts_after_its_events_are_pruned(world):
    from gongzhi.cases import services as cases
    from gongzhi.cases.views import ledger_receipts
    from gongzhi.org.models import Grid

    g = Grid.objects.filter(region=world.comm_a).order_by("code").first()
    req, _ = cases.submit(SYSTEM, description="路灯不亮", category="02003", lon=g.centroid_lon, lat=g.centroid_lat)
    dispatch_pending()
    before = [(r["event"].type, r["receipt"].index, r["receipt"].verified) for r in ledger_receipts(req)]
    assert before and all(v for _t, _i, v in before)
    _settle_cursors()
    assert prune.prune_outbox(SYSTEM, now=LATER) > 0
    assert not Event.objects.filter(aggregate_id=req.number).exists()
    after = [(r["event"].type, r["receipt"].index, r["receipt"].verified) for r in ledger_receipts(req)]
    assert after == before
