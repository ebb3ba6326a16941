"""Domain events with a transactional outbox.

Services call :func:`emit` inside their transaction; the event row commits or
rolls back with the change it describes. After commit a task (Django's Tasks
API) runs :func:`dispatch_pending` (one waiting task per queue and process serves
many commits), which hands each subscriber, in batches, the events it declared
(types, prefixes, public only) and never the others.

Bookkeeping is per batch, not per event: each subscriber's ``OutboxCursor`` holds its
frontier (read up to here) and the holes it read past (numbers not yet committed then:
PostgreSQL commits out of order), and every batch writes the handler's effects, a
compare-and-set of the cursor and one ``DeliveryBatch`` row in one transaction. So a
crash between them cannot happen; a crash before commit means the batch is offered
again (at least once), and handlers must be idempotent by ``event_id``; two
dispatchers never hand over the same range (the second one's compare-and-set fails).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Q, QuerySet, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from . import contracts
from .models import DeliveryBatch, Event, OutboxCursor

log = logging.getLogger("gongzhi.events")


@dataclass
class Subscriber:
    name: str
    handler: Callable[..., None]  # (event), or (list of events) with batch
    types: frozenset[str] | None = None
    prefixes: tuple[str, ...] = field(default_factory=tuple)
    batch: bool = False  # handler takes a list of events, one call (one transaction) per batch
    queue: str = "dispatch"  # the task queue whose workers deliver to this subscriber
    public_only: bool = False  # only events bound for the public record

    def wants(self, event_type: str, public: bool = True) -> bool:
        if self.public_only and not public:
            return False
        if self.types is None and not self.prefixes:
            return True
        return (self.types is not None and event_type in self.types) or event_type.startswith(self.prefixes)

    def handle(self, events: list[Event]) -> None:
        """Hand ``events`` over: in one call for a batch handler, one call each otherwise."""
        if self.batch:
            self.handler(events)
        else:
            for event in events:
                self.handler(event)

    def where(self) -> Q:
        """:meth:`wants` as a filter on ``Event``: the database hands over only these."""
        q = Q()
        if self.types is not None or self.prefixes:
            parts = ([Q(type__in=sorted(self.types))] if self.types else []) + [
                Q(type__startswith=p) for p in self.prefixes
            ]
            q = parts[0]
            for part in parts[1:]:
                q |= part
        if self.public_only:
            q &= Q(public=True)
        return q


_subscribers: dict[str, Subscriber] = {}


def subscriber(
    name: str,
    types: Iterable[str] | None = None,
    prefixes: Iterable[str] = (),
    batch: bool = False,
    queue: str = "dispatch",
    public_only: bool = False,
):
    """Register ``handler(event)`` under ``name`` for the given event types
    (all when ``types`` and ``prefixes`` are empty; with ``public_only``, only public events); with
    ``batch=True`` the handler receives a list of events at a time. The dispatcher never hands a
    subscriber an event it did not ask for, and keeps no record per event. ``queue`` names the task
    queue whose workers deliver to it (the ledger has its own, so nothing else ever waits behind it).
    Register from an ``AppConfig.ready()``."""

    def register(fn: Callable):
        _subscribers[name] = Subscriber(
            name, fn, frozenset(types) if types else None, tuple(prefixes), batch, queue, public_only
        )
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


# ------------------------------------------------------------------ ranges of outbox numbers


def _ranges(seqs: Iterable[int]) -> list[list[int]]:
    """Sorted numbers as inclusive ``[a, b]`` runs: [1, 2, 3, 7] -> [[1, 3], [7, 7]]."""
    out: list[list[int]] = []
    for n in sorted(seqs):
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return out


def _gaps(lo: int, hi: int, seen: list[int]) -> list[list[int]]:
    """The runs of numbers in ``lo``..``hi`` that are not in the sorted list ``seen``."""
    out, expect = [], lo
    for n in seen:
        if n > expect:
            out.append([expect, n - 1])
        expect = n + 1
    if expect <= hi:
        out.append([expect, hi])
    return out


def _numbers(runs: list[list[int]]) -> list[int]:
    return [n for a, b in runs for n in range(a, b + 1)]


def _in_runs(runs: list[list[int]]) -> Q:
    q = Q(pk__in=[])
    for a, b in runs:
        q |= Q(seq=a) if a == b else Q(seq__gte=a, seq__lte=b)
    return q


# ------------------------------------------------------------------ delivery


class _Conflict(Exception):
    """Another dispatcher delivered to this subscriber since its cursor was read."""


def _take(
    sub: Subscriber,
    cur: OutboxCursor,
    *,
    upto: int,
    seen: list[int],
    wanted: list[Event],
    fills: Iterable[int] = (),
) -> None:
    """Hand ``wanted`` to the subscriber and move its cursor, in one transaction: read ahead to ``upto``
        (``seen`` = the numbers found committed after the frontier), or, with ``fills``, handle numbers that
        were holes. One compare-and-set of the cursor (its version) and, when the batch held events the
    subscriber wants, one ``DeliveryBatch`` row."""
    holes = [list(r) for r in cur.holes or []]
    if fills:
        filled = set(fills)
        holes = _ranges(n for n in _numbers(holes) if n not in filled)
        first, last, frontier = min(filled), max(filled), cur.frontier_seq
        skipped = _gaps(first, last, sorted(filled))
    else:
        first, last, frontier = cur.frontier_seq + 1, upto, upto
        skipped = _gaps(first, last, seen)
        holes += skipped
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            # Held by another dispatcher's batch: do not wait for it, leave this subscriber to it.
            if not list(OutboxCursor.objects.select_for_update(skip_locked=True).filter(pk=sub.name).values("pk")):
                raise _Conflict
        moved = OutboxCursor.objects.filter(subscriber=sub.name, version=cur.version).update(
            frontier_seq=frontier, holes=holes, version=F("version") + 1
        )
        if not moved:
            raise _Conflict
        if wanted:  # a range with nothing wanted moves the cursor only: no row
            sub.handle(wanted)
            DeliveryBatch.objects.create(
                subscriber=sub.name,
                first_seq=first,
                last_seq=last,
                skipped=skipped,
                handled=len(wanted),
                delivered_at=timezone.now(),
            )
    cur.frontier_seq, cur.holes, cur.version = frontier, holes, cur.version + 1


def _take_or_split(
    sub: Subscriber,
    cur: OutboxCursor,
    *,
    upto: int,
    seen: list[int],
    wanted: list[Event],
    fills: Iterable[int] = (),
) -> tuple[int, bool]:
    """:func:`_take`; when the handler fails on a batch of several events, one event at a time, in order,
    stopping at the one that fails (it is offered again next time; nothing after it is delivered).
    Returns (events handed over, whether all went); raises ``_Conflict``."""
    try:
        _take(sub, cur, upto=upto, seen=seen, wanted=wanted, fills=fills)
        return len(wanted), True
    except _Conflict:
        raise
    except Exception:
        if len(wanted) <= 1:
            log.exception("subscriber %s failed on %s", sub.name, wanted[0] if wanted else f"#{upto}")
            return 0, False
    done = 0
    for event in wanted:
        try:
            if fills:
                _take(sub, cur, upto=upto, seen=seen, wanted=[event], fills=[event.seq])
            else:
                _take(sub, cur, upto=event.seq, seen=[n for n in seen if n <= event.seq], wanted=[event])
        except _Conflict:
            raise
        except Exception:
            log.exception("subscriber %s failed on %s", sub.name, event)
            return done, False
        done += 1
    if not fills:  # the unwanted tail of the batch
        _take(sub, cur, upto=upto, seen=[n for n in seen if n > cur.frontier_seq], wanted=[])
    return done, True


def _fill_holes(sub: Subscriber, cur: OutboxCursor) -> tuple[int, bool]:
    """Events that committed after their number was read past (a late commit): hand over the wanted
    ones, forget the rest. Returns (events handed over, whether all went)."""
    if not cur.holes:
        return 0, True
    visible: list[int] = []
    numbers = _numbers(cur.holes)
    for k in range(0, len(numbers), 1000):
        visible += Event.objects.filter(seq__in=numbers[k : k + 1000]).values_list("seq", flat=True)
    if not visible:
        return 0, True
    wanted = list(Event.objects.filter(sub.where(), seq__in=visible).order_by("seq"))
    return _take_or_split(sub, cur, upto=cur.frontier_seq, seen=[], wanted=wanted, fills=sorted(visible))


def undelivered(name: str) -> QuerySet[Event]:
    """The events subscriber ``name`` wants and has not been handed yet (the backlog figures)."""
    sub = _subscribers[name]
    cur: dict = OutboxCursor.objects.filter(subscriber=name).values("frontier_seq", "holes").first() or {}
    pending = Q(seq__gt=cur.get("frontier_seq") or 0) | _in_runs(cur.get("holes") or [])
    return Event.objects.filter(pending).filter(sub.where())


def _advance(sub: Subscriber, cur: OutboxCursor, now: dt.datetime) -> None:
    """Move the subscriber's settled mark (``through_seq``) as far as is safe: up to the horizon noted at
    least ``OUTBOX_SETTLE`` ago and not past its frontier, nor past a wanted event it has not handled (a
    failing handler holds it there); holes at or below the mark are forgotten (their transactions rolled
    back). Then note a new horizon. Compare-and-set: a concurrent delivery wins, and the next call moves it."""
    settle = dt.timedelta(seconds=settings.GONGZHI_OUTBOX_SETTLE_SECONDS)
    if cur.horizon_at is not None and now - cur.horizon_at < settle:
        return
    through, holes = cur.through_seq, cur.holes or []
    if cur.horizon_at is not None:
        through = max(through, min(cur.horizon_seq or 0, cur.frontier_seq))
        low = [r for r in holes if r[0] <= through]
        stuck = Event.objects.filter(_in_runs(low)).filter(sub.where()).values_list("seq", flat=True).first()
        if stuck is not None:
            through = max(cur.through_seq, min(through, stuck - 1))
        holes = _ranges(n for n in _numbers(holes) if n > through)
    OutboxCursor.objects.filter(subscriber=sub.name, version=cur.version).update(
        through_seq=Greatest("through_seq", Value(through)),
        holes=holes,
        horizon_at=now,
        horizon_seq=Event.objects.aggregate(m=Max("seq"))["m"] or 0,
    )


def _rescan(sub: Subscriber, batch: int) -> int:
    """Offer every wanted event again from the first one (a repair: handlers are idempotent by event id).
    The cursor is left as it is."""
    done, after = 0, 0
    while True:
        wanted = list(Event.objects.filter(sub.where(), seq__gt=after).order_by("seq")[:batch])
        if not wanted:
            return done
        with transaction.atomic():
            sub.handle(wanted)
        done += len(wanted)
        after = wanted[-1].seq


def _next_batch(sub: Subscriber, cur: OutboxCursor, batch: int) -> tuple[int, bool, bool]:
    """One batch for ``sub`` from its frontier: (events handed over, whether all went, whether the batch
    was full, so more may follow)."""
    seen = list(Event.objects.filter(seq__gt=cur.frontier_seq).order_by("seq").values_list("seq", flat=True)[:batch])
    if not seen:
        return 0, True, False
    wanted = list(Event.objects.filter(sub.where(), seq__gte=seen[0], seq__lte=seen[-1]).order_by("seq"))
    handed, ok = _take_or_split(sub, cur, upto=seen[-1], seen=seen, wanted=wanted)
    return handed, ok, len(seen) == batch


def dispatch_pending(
    names: Iterable[str] | None = None, batch: int = 500, *, rescan: bool = False, now: dt.datetime | None = None
) -> int:
    """Deliver the outbox to subscribers: for each, the late commits it read past, then ``batch``
    numbers at a time from its frontier on, one batch per subscriber in turn (round robin, so a busy
    subscriber does not keep the others waiting), until none has more. Events a subscriber does not
    want are passed over without a handler call or a row; each batch is one transaction (handler
    effects, the cursor, one ``DeliveryBatch`` row). A subscriber another dispatcher is delivering to
    is left to it. With ``rescan``, every wanted event is offered again from the first.
    Returns the number of events handed to handlers."""
    chosen = [s for n, s in _subscribers.items() if names is None or n in set(names)]
    if rescan:
        return sum(_rescan(sub, batch) for sub in chosen)
    cursors = _cursors([s.name for s in chosen])
    delivered = 0
    active = []
    for sub in chosen:
        try:
            handed, ok = _fill_holes(sub, cursors[sub.name])
            delivered += handed
            if ok:
                active.append(sub)
        except _Conflict:  # another dispatcher is delivering to this subscriber: it goes on from there
            pass
    while active:
        still = []
        for sub in active:
            try:
                handed, ok, more = _next_batch(sub, cursors[sub.name], batch)
                delivered += handed
                if ok and more:
                    still.append(sub)
            except _Conflict:
                pass
        active = still
    for sub in chosen:
        cur = OutboxCursor.objects.filter(pk=sub.name).first()
        if cur is not None:
            _advance(sub, cur, now or timezone.now())
    return delivered
