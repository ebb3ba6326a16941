"""Pruning what has served its purpose: delivered outbox events and expired idempotency keys.

The outbox (``core.Event`` and its ``DeliveryBatch`` rows) grows by every change on the platform; once
every subscriber has handled an event and whatever else keeps it has it, the row is only weight. An
event is pruned only when all of these hold:

* it is older than ``GONGZHI_OUTBOX_KEEP_DAYS`` (30);
* every registered subscriber's settled mark (``OutboxCursor.through_seq``: everything at or below it
  is handled, or was not wanted) is past it (a new subscriber, with no cursor yet, holds everything back);
* every *holder* lets it go: an app that keeps events in its own form registers a filter with
  :func:`register_holder` (the ledger: public events only once their leaf is in the log);
* its transaction has settled (the cursor rule already guarantees it).

Idempotency keys (``core.IdempotencyKey``) are kept ``GONGZHI_IDEMPOTENCY_KEEP_DAYS`` (7): long enough
for any client's retries; a key older than that is forgotten, and a retry with it after that would be
answered as a new request (filing a request uses the request's own unique key, which is never pruned).

Both are services with an explicit actor (only the platform: :data:`gongzhi.core.actors.SYSTEM`), run
daily on the ``periodic`` queue (``core.prune_outbox``, ``core.prune_idempotency_keys`` in core's
manifest) and by ``gongzhi prune`` on demand. They delete in batches, each its own transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks import task

from .actors import is_system
from .errors import Forbidden
from .models import DeliveryBatch, Event, IdempotencyKey, OutboxCursor

log = logging.getLogger("gongzhi.prune")

BATCH = 2000

# name -> filter(queryset of events) -> the events that holder no longer needs
_holders: dict[str, Callable[[QuerySet], QuerySet]] = {}


def register_holder(name: str, releases: Callable[[QuerySet], QuerySet]) -> None:
    """Declare that app ``name`` keeps outbox events: ``releases(events)`` narrows a queryset of events
    to those it no longer needs. Register from the app's start-up (e.g. its subscribers module)."""
    _holders[name] = releases


def holders() -> dict[str, Callable[[QuerySet], QuerySet]]:
    return dict(_holders)


def _require_system(actor: object, what: str) -> None:
    if not is_system(actor):
        raise Forbidden(f"只有平台本身（定时任务或运维命令）可以{what}")


def outbox_keep_days() -> int:
    return max(1, int(getattr(settings, "GONGZHI_OUTBOX_KEEP_DAYS", 30)))


def idempotency_keep_days() -> int:
    return max(1, int(getattr(settings, "GONGZHI_IDEMPOTENCY_KEEP_DAYS", 7)))


def prunable_events(now: dt.datetime | None = None, keep_days: int | None = None) -> QuerySet:
    """The outbox events no subscriber and no holder needs any more (see the module's rules)."""
    from .events import subscribers

    now = now or timezone.now()
    names = sorted(subscribers())
    if not names:
        return Event.objects.none()  # who needs what is unknown: keep everything
    cursors = dict(OutboxCursor.objects.filter(subscriber__in=names).values_list("subscriber", "through_seq"))
    if set(cursors) != set(names):
        return Event.objects.none()  # a subscriber without a cursor has not started: it needs everything
    floor = min(cursors.values())
    cutoff = now - dt.timedelta(days=keep_days or outbox_keep_days())
    qs = Event.objects.filter(seq__lte=floor, occurred_at__lt=cutoff)
    for releases in _holders.values():
        qs = releases(qs)
    return qs


def _delete_events(seqs: list[int]) -> int:
    qn = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(seqs))
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {qn(Event._meta.db_table)} WHERE {qn('seq')} IN ({marks})", seqs)
        deleted = cur.rowcount
        # The delivery log of the ranges pruned (a log only: the cursors say what is delivered).
        cur.execute(f"DELETE FROM {qn(DeliveryBatch._meta.db_table)} WHERE {qn('last_seq')} <= %s", [max(seqs)])
        return deleted


def prune_outbox(
    actor: object, *, now: dt.datetime | None = None, keep_days: int | None = None, batch: int = BATCH
) -> int:
    """Delete delivered outbox events (and the delivery log of their ranges) that nothing needs any more; returns how
    many events were deleted."""
    _require_system(actor, "清理已投递的事件")
    total = 0
    while True:
        with transaction.atomic():
            seqs = list(prunable_events(now, keep_days).order_by("seq").values_list("seq", flat=True)[:batch])
            if not seqs:
                break
            total += _delete_events(seqs)
        if len(seqs) < batch:
            break
    if total:
        log.info("pruned %d delivered outbox events", total)
    return total


def prune_idempotency_keys(actor: object, *, now: dt.datetime | None = None, keep_days: int | None = None) -> int:
    """Delete idempotency keys older than ``GONGZHI_IDEMPOTENCY_KEEP_DAYS``; returns how many."""
    _require_system(actor, "清理过期的幂等键")
    cutoff = (now or timezone.now()) - dt.timedelta(days=keep_days or idempotency_keep_days())
    total = 0
    while True:
        with transaction.atomic():
            pks = list(IdempotencyKey.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:BATCH])
            if not pks:
                break
            total += IdempotencyKey.objects.filter(pk__in=pks).delete()[0]
        if len(pks) < BATCH:
            break
    if total:
        log.info("pruned %d expired idempotency keys", total)
    return total


@task(queue_name="periodic")
def prune_outbox_task() -> int:
    from .actors import SYSTEM

    return prune_outbox(SYSTEM)


@task(queue_name="periodic")
def prune_idempotency_keys_task() -> int:
    from .actors import SYSTEM

    return prune_idempotency_keys(SYSTEM)
