"""Domain events with a transactional outbox.

Services call :func:`emit` inside their transaction; the event row commits or
rolls back with the change it describes. After commit a task (Django's Tasks
API) runs :func:`dispatch_pending`, which hands each event to every subscriber
that has not yet handled it (one waiting task per process serves many commits). A subscriber's effects and its ``Delivery`` row are
written in one transaction, so a crash between the two cannot happen; a crash
before commit means the event is offered again (at least once), and handlers
must be idempotent by ``event_id``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from . import contracts
from .models import Delivery, Event, OutboxCursor

log = logging.getLogger("gongzhi.events")


@dataclass
class Subscriber:
    name: str
    handler: Callable[[Event], None]
    types: frozenset[str] | None = None
    prefixes: tuple[str, ...] = field(default_factory=tuple)
    batch: bool = False  # handler takes a list of events, one call (one transaction) per batch
    queue: str = "dispatch"  # the task queue whose workers deliver to this subscriber

    def wants(self, event_type: str) -> bool:
        if self.types is None and not self.prefixes:
            return True
        return (self.types is not None and event_type in self.types) or event_type.startswith(self.prefixes)


_subscribers: dict[str, Subscriber] = {}


def subscriber(
    name: str,
    types: Iterable[str] | None = None,
    prefixes: Iterable[str] = (),
    batch: bool = False,
    queue: str = "dispatch",
):
    """Register ``handler(event)`` under ``name`` for the given event types
    (all when ``types`` and ``prefixes`` are empty); with ``batch=True`` the
    handler receives a list of events at a time. ``queue`` names the task queue whose workers
    deliver to it (the ledger has its own, so nothing else ever waits behind it). Register from an
    ``AppConfig.ready()``."""

    def register(fn: Callable):
        _subscribers[name] = Subscriber(name, fn, frozenset(types) if types else None, tuple(prefixes), batch, queue)
        return fn

    return register


def subscribers() -> dict[str, Subscriber]:
    return dict(_subscribers)


def queues() -> list[str]:
    """The task queues that deliver events (one dispatch task per queue after a commit)."""
    return sorted({s.queue for s in _subscribers.values()})


def on_queue(queue: str) -> list[str]:
    """The names of the subscribers the workers of ``queue`` deliver to."""
    return [n for n, s in _subscribers.items() if s.queue == queue]


def emit(
    type: str,
    *,
    aggregate_type: str,
    aggregate_id,
    payload: dict | None = None,
    region=None,
    actor=None,
    public: bool = True,
) -> Event:
    """Write an event to the outbox. Must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("emit() must be called inside the service's transaction")
    contracts.check_event(type, payload)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    event = Event.objects.create(
        type=str(type),
        occurred_at=timezone.now(),
        region=region,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        actor=actor,
        payload=payload or {},
        public=public,
    )
    dispatch_after_commit()
    return event


def build_many(
    batch, *, aggregate_type: str, aggregate_id, region=None, public: bool = True, schedule: bool = True
) -> list[Event]:
    """Several unsaved events of one aggregate, ``batch`` = [(type, payload, actor)], for a caller that
    writes them in its own statement (see ``core.bulksql``). With ``schedule`` the caller must be inside its transaction and the dispatch
    after commit is scheduled here; without, the caller writes the events in the same statement as its
    change and then calls :func:`dispatch_after_commit`."""
    if schedule and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events must be emitted inside the service's transaction")
    at = timezone.now()
    for t, p, _a in batch:
        contracts.check_event(t, p)
    events = [
        Event(
            type=str(t),
            occurred_at=at,
            region=region,
            aggregate_type=aggregate_type,
            aggregate_id=str(aggregate_id),
            actor=a if getattr(a, "is_authenticated", False) else None,
            payload=p or {},
            public=public,
        )
        for t, p, a in batch
    ]
    if schedule:
        dispatch_after_commit()
    return events


def dispatch_after_commit() -> None:
    """Wake the dispatcher once the events just written are committed: after the transaction, or at
    once in autocommit (a single statement that wrote its change and its events is committed).
    One dispatch per transaction, however many events it emits."""
    conn = transaction.get_connection()
    if not any(func is _schedule_dispatch for _sids, func, _robust in conn.run_on_commit):
        transaction.on_commit(_schedule_dispatch)


# Per queue, the dispatch task this process enqueued last, while it may still be waiting (database backend).
_waiting_dispatch: dict[str, object] = {}


def _schedule_dispatch() -> None:
    """Wake the dispatchers after a commit: enqueue a dispatch task on each event queue (``ledger``,
    ``dispatch``), unless the one this process enqueued last there has not started yet. That check
    runs after our commit, so a task still waiting then starts later and sees our events; one task
    serves every commit made while it waits."""
    from .tasks import dispatch_events

    for queue in queues():
        try:
            if _dispatch_still_waiting(queue):
                continue
            result = dispatch_events.using(queue_name=queue).enqueue(queue)
            if result.status == "READY" and "DatabaseBackend" in type(dispatch_events.get_backend()).__name__:
                _waiting_dispatch[queue] = result.id
            else:
                _waiting_dispatch.pop(queue, None)
        except Exception:  # the outbox keeps the event; the next dispatch delivers it
            log.exception("could not enqueue event dispatch on queue %s", queue)


def _dispatch_still_waiting(queue: str) -> bool:
    task_id = _waiting_dispatch.get(queue)
    if task_id is None:
        return False
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from .bulksql import cursor

    with cursor() as cur:
        cur.execute(
            f"SELECT 1 FROM {connection.ops.quote_name(DBTaskResult._meta.db_table)} "
            "WHERE id = %s AND status = 'READY'",
            [DBTaskResult._meta.pk.get_db_prep_value(task_id, connection)],
        )
        return cur.fetchone() is not None


def _cursors(names: list[str]) -> dict[str, OutboxCursor]:
    found = OutboxCursor.objects.in_bulk(names)
    missing = [OutboxCursor(subscriber=n) for n in names if n not in found]
    if missing:
        OutboxCursor.objects.bulk_create(missing, ignore_conflicts=True)
        found = OutboxCursor.objects.in_bulk(names)
    return found


def _undelivered(name: str, after: int, upto: int | None = None):
    qs = Event.objects.filter(seq__gt=after)
    if upto is not None:
        qs = qs.filter(seq__lte=upto)
    return qs.exclude(deliveries__subscriber=name).order_by("seq")


def _advance(cur: OutboxCursor, now) -> None:
    """Move the subscriber's cursor as far as is safe: up to the horizon noted at least
    ``OUTBOX_SETTLE`` ago, but not past an event it has not handled (a failing handler holds it
    there); then note a new horizon. Two dispatchers may do this at once: the cursor only moves on."""
    settle = dt.timedelta(seconds=settings.GONGZHI_OUTBOX_SETTLE_SECONDS)
    if cur.horizon_at is not None and now - cur.horizon_at < settle:
        return
    through = cur.through_seq
    if cur.horizon_at is not None:
        first = _undelivered(cur.subscriber, cur.through_seq, cur.horizon_seq).values_list("seq", flat=True).first()
        through = cur.horizon_seq if first is None else first - 1
    OutboxCursor.objects.filter(pk=cur.pk).update(
        through_seq=Greatest("through_seq", Value(through)),
        horizon_at=now,
        horizon_seq=Event.objects.aggregate(m=Max("seq"))["m"] or 0,
    )


def dispatch_pending(
    names: Iterable[str] | None = None, batch: int = 500, *, rescan: bool = False, now: dt.datetime | None = None
) -> int:
    """Deliver undelivered events to subscribers, oldest first, each from its cursor on (from the
    first event with ``rescan``). Returns the number of (event, subscriber) deliveries made."""
    chosen = [s for n, s in _subscribers.items() if names is None or n in set(names)]
    cursors = _cursors([s.name for s in chosen])
    delivered = 0
    for sub in chosen:
        after = 0 if rescan else cursors[sub.name].through_seq
        while True:
            pending = list(_undelivered(sub.name, after)[:batch])
            if not pending:
                break
            if sub.batch:
                try:
                    with transaction.atomic():
                        wanted = [e for e in pending if sub.wants(e.type)]
                        if wanted:
                            sub.handler(wanted)
                        Delivery.objects.bulk_create([Delivery(subscriber=sub.name, event=e) for e in pending])
                    delivered += len(pending)
                    if len(pending) < batch:
                        break
                    continue
                except IntegrityError:
                    pass  # a concurrent dispatcher took some of them: fall back to one at a time
                except Exception:
                    log.exception("subscriber %s failed on a batch from %s", sub.name, pending[0])
                    break
            failed = False
            for event in pending:
                try:
                    with transaction.atomic():
                        if sub.wants(event.type):
                            sub.handler([event] if sub.batch else event)
                        Delivery.objects.create(subscriber=sub.name, event=event)
                    delivered += 1
                except IntegrityError:
                    # Another dispatcher delivered it concurrently: fine, it is idempotent.
                    continue
                except Exception:
                    # Keep order: stop this subscriber here; the event is offered again next time.
                    log.exception("subscriber %s failed on %s", sub.name, event)
                    failed = True
                    break
            if failed or len(pending) < batch:
                break
        _advance(cursors[sub.name], now or timezone.now())
    return delivered
