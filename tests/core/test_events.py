import pytest
from django.db import transaction
from django.test import override_settings

from gongzhi.core import events
from gongzhi.core.models import DeliveryBatch, Event


@pytest.fixture(autouse=True)
def _undeclared_events_allowed(settings):
    """These tests exercise the outbox itself with made-up event types (test.*), which no app declares."""
    settings.GONGZHI_CHECK_CONTRACTS = False


@pytest.fixture
def recorder():
    seen = []
    saved = dict(events._subscribers)
    events._subscribers.clear()

    @events.subscriber("recorder", types={"test.happened"})
    def handle(event):
        seen.append(event.event_id)

    yield seen
    events._subscribers.clear()
    events._subscribers.update(saved)


def emit_one(**kw):
    with transaction.atomic():
        return events.emit("test.happened", aggregate_type="thing", aggregate_id=1, payload={"a": 1}, **kw)


def test_emit_requires_the_callers_transaction(transactional_db):
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        events.emit("test.happened", aggregate_type="thing", aggregate_id=1)


def test_event_rolls_back_with_the_change(db):
    with pytest.raises(ZeroDivisionError):
        with transaction.atomic():
            events.emit("test.happened", aggregate_type="thing", aggregate_id=1)
            raise ZeroDivisionError
    assert not Event.objects.exists()


def test_dispatch_delivers_once_per_subscriber(db, recorder):
    e1, e2 = emit_one(), emit_one()
    assert events.dispatch_pending() == 2
    assert recorder == [e1.event_id, e2.event_id]
    # A second dispatch finds nothing new: idempotent by event id.
    assert events.dispatch_pending() == 0
    assert recorder == [e1.event_id, e2.event_id]
    # The bookkeeping is one row for the batch, not one per event.
    batch = DeliveryBatch.objects.get(subscriber="recorder")
    assert batch.first_seq <= e1.seq and (batch.last_seq, batch.handled) == (e2.seq, 2)


def test_a_dispatcher_with_a_stale_cursor_changes_nothing(db, recorder):
    """Two dispatchers read the same cursor: the first to write wins; the other's batch (handler
    effects included) rolls back, so the same range is never handed over twice."""
    from gongzhi.core.models import OutboxCursor

    e1 = emit_one()
    events.dispatch_pending()  # makes the cursor
    stale = OutboxCursor.objects.get(subscriber="recorder")
    e2 = emit_one()
    assert events.dispatch_pending() == 1  # the first dispatcher moves the cursor
    sub = events.subscribers()["recorder"]
    with pytest.raises(events._Conflict):
        events._take(sub, stale, upto=e2.seq, seen=[e2.seq], wanted=[e2])
    assert recorder == [e1.event_id, e2.event_id]
    assert DeliveryBatch.objects.filter(subscriber="recorder").count() == 2


def test_other_types_are_never_handed_over(db, recorder):
    with transaction.atomic():
        events.emit("test.other", aggregate_type="thing", aggregate_id=2)
    assert events.dispatch_pending() == 0
    assert recorder == []
    assert not events.undelivered("recorder").exists()
    assert not DeliveryBatch.objects.exists()  # nothing handed over, no bookkeeping row


def test_subscribers_are_handed_only_what_they_declared(db):
    """Types, prefixes and public-only filter in the database: a handler never sees another event."""
    saved = dict(events._subscribers)
    events._subscribers.clear()
    seen: dict[str, list] = {"typed": [], "prefixed": [], "public": []}

    @events.subscriber("typed", types={"test.a"}, batch=True)
    def typed(batch):
        seen["typed"] += [e.type for e in batch]

    @events.subscriber("prefixed", prefixes=("test.b.",), batch=True)
    def prefixed(batch):
        seen["prefixed"] += [e.type for e in batch]

    @events.subscriber("public", batch=True, public_only=True)
    def public(batch):
        seen["public"] += [e.type for e in batch]

    try:
        with transaction.atomic():
            for t, pub in [
                ("test.a", True),
                ("test.b.x", False),
                ("test.c", True),
                ("test.a", False),
                ("test.b.y", True),
            ]:
                events.emit(t, aggregate_type="thing", aggregate_id=1, public=pub)
        assert events.dispatch_pending() == 2 + 2 + 3
        assert seen == {
            "typed": ["test.a", "test.a"],
            "prefixed": ["test.b.x", "test.b.y"],
            "public": ["test.a", "test.c", "test.b.y"],
        }
        for name in seen:
            assert DeliveryBatch.objects.filter(subscriber=name).count() == 1
            assert events.subscribers()[name].wants("test.a", public=False) == (name == "typed")
    finally:
        events._subscribers.clear()
        events._subscribers.update(saved)


def test_large_backlog_is_one_row_per_batch(db, recorder):
    with transaction.atomic():
        for _ in range(25):
            events.emit("test.happened", aggregate_type="thing", aggregate_id=1)
            events.emit("test.other", aggregate_type="thing", aggregate_id=1)
    assert events.dispatch_pending(batch=10) == 25
    assert len(recorder) == 25
    rows = list(DeliveryBatch.objects.filter(subscriber="recorder").order_by("first_seq"))
    assert len(rows) == 5 and sum(r.handled for r in rows) == 25
    assert all(a.last_seq + 1 == b.first_seq for a, b in zip(rows, rows[1:]))  # contiguous ranges


def test_failing_handler_is_retried_and_keeps_order(db):
    calls = []
    saved = dict(events._subscribers)
    events._subscribers.clear()
    state = {"fail": True}

    @events.subscriber("flaky")
    def handle(event):
        calls.append(event.seq)
        if state["fail"]:
            raise RuntimeError("boom")

    try:
        a, b = emit_one(), emit_one()
        assert events.dispatch_pending() == 0  # first event fails: nothing after it is delivered
        state["fail"] = False
        assert events.dispatch_pending() == 2
        # The batch fails on a, then a alone fails (b is not tried); next time the batch goes through.
        assert calls == [a.seq, a.seq, a.seq, b.seq]
    finally:
        events._subscribers.clear()
        events._subscribers.update(saved)


def test_commit_enqueues_dispatch_through_the_tasks_api(db, recorder, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        e = emit_one()
    assert recorder == [e.event_id]


def test_one_waiting_dispatch_task_per_queue_serves_many_commits(transactional_db, settings):
    """With the database task backend, a commit enqueues a dispatch task on each event queue (the
    ledger's own, and the other subscribers') only when the one this process enqueued last there has
    started; while it waits (READY), it will see every later commit's events."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}}
    events._waiting_dispatch.clear()
    assert events.queues() == ["dispatch", "ledger"]
    assert events.on_queue("ledger") == ["ledger"]
    try:
        for _ in range(3):
            emit_one()  # a real commit each
        tasks = DBTaskResult.objects.filter(task_path__endswith="dispatch_events")
        assert sorted(tasks.values_list("queue_name", flat=True)) == ["dispatch", "ledger"]
        assert set(tasks.values_list("status", flat=True)) == {"READY"}
        assert sorted(t.args_kwargs["args"][0] for t in tasks) == ["dispatch", "ledger"]
        tasks.filter(queue_name="ledger").update(status="RUNNING")  # a ledger worker took its task
        emit_one()
        assert tasks.filter(queue_name="ledger").count() == 2 and tasks.filter(queue_name="dispatch").count() == 1
        assert Event.objects.count() == 4
    finally:
        events._waiting_dispatch.clear()


def test_a_queue_task_delivers_only_to_its_subscribers(db):
    """``dispatch_events("ledger")`` feeds the ledger and no one else; the other queue, the rest."""
    from gongzhi.core.tasks import dispatch_events

    def fed():
        from gongzhi.core.models import OutboxCursor

        return set(OutboxCursor.objects.filter(frontier_seq__gte=e.seq).values_list("subscriber", flat=True))

    with override_settings(
        TASKS={
            "default": {
                "BACKEND": "django_tasks.backends.dummy.DummyBackend",
                "QUEUES": ["default", "ledger", "dispatch", "periodic"],
            }
        }
    ):
        e = emit_one()
    dispatch_events.call("ledger")
    assert fed() == {"ledger"}
    dispatch_events.call("dispatch")
    assert fed() == set(events.subscribers())


def _cursor(name="recorder"):
    from gongzhi.core.models import OutboxCursor

    return OutboxCursor.objects.get(subscriber=name)


def test_cursor_moves_only_after_the_settle_time_and_bounds_the_search(db, recorder, settings):
    import datetime as dt

    from django.utils import timezone

    settings.GONGZHI_OUTBOX_SETTLE_SECONDS = 600
    t0 = timezone.now()
    e1, e2 = emit_one(), emit_one()
    assert events.dispatch_pending(now=t0) == 2
    cur = _cursor()
    assert cur.through_seq == 0 and cur.horizon_seq == e2.seq and cur.horizon_at == t0  # noted, not moved
    e3 = emit_one()
    assert events.dispatch_pending(now=t0 + dt.timedelta(seconds=599)) == 1
    assert _cursor().through_seq == 0  # the settle time has not passed
    assert events.dispatch_pending(now=t0 + dt.timedelta(seconds=600)) == 0
    cur = _cursor()
    assert cur.through_seq == e2.seq and cur.horizon_seq == e3.seq  # up to the horizon noted at t0
    # The search starts after the frontier: nothing is offered again ...
    assert events.dispatch_pending(now=t0 + dt.timedelta(seconds=700)) == 0
    # ... unless asked to rescan from the first event (a repair; handlers are idempotent).
    assert events.dispatch_pending(rescan=True, now=t0 + dt.timedelta(seconds=700)) == 3
    assert recorder == [e1.event_id, e2.event_id, e3.event_id, e1.event_id, e2.event_id, e3.event_id]


def test_cursor_stops_before_an_event_its_subscriber_has_not_handled(db, settings):
    import datetime as dt

    from django.utils import timezone

    settings.GONGZHI_OUTBOX_SETTLE_SECONDS = 60
    saved = dict(events._subscribers)
    events._subscribers.clear()
    broken = {"on": True}

    @events.subscriber("picky", types={"test.happened"})
    def handle(event):
        if broken["on"] and event.payload.get("n") == 2:
            raise RuntimeError("boom")

    try:
        evs = []
        for n in range(1, 5):
            with transaction.atomic():
                evs.append(events.emit("test.happened", aggregate_type="t", aggregate_id=n, payload={"n": n}))
        t0 = timezone.now()
        assert events.dispatch_pending(now=t0) == 1  # the first; the second fails and holds the rest
        assert events.dispatch_pending(now=t0 + dt.timedelta(minutes=2)) == 0
        assert _cursor("picky").through_seq == evs[0].seq  # not past the failing event
        broken["on"] = False
        assert events.dispatch_pending(now=t0 + dt.timedelta(minutes=3)) == 3
        assert events.dispatch_pending(now=t0 + dt.timedelta(minutes=5)) == 0
        assert _cursor("picky").through_seq == evs[-1].seq
    finally:
        events._subscribers.clear()
        events._subscribers.update(saved)


def test_an_event_committed_late_is_still_delivered(transactional_db, recorder, settings):
    """A transaction that took an earlier ``seq`` commits after a later event was delivered: the
    cursor has not moved past it (settle time), so it is delivered when it commits."""
    import datetime as dt
    import threading

    from django.db import connection, connections
    from django.utils import timezone

    if connection.vendor != "postgresql":
        pytest.skip("two writers at once need PostgreSQL")
    settings.GONGZHI_OUTBOX_SETTLE_SECONDS = 600
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": settings.TASK_QUEUES}
    }  # dispatch by hand
    written, release, held = threading.Event(), threading.Event(), {}

    def slow_writer():
        try:
            with transaction.atomic():
                held["event"] = events.emit("test.happened", aggregate_type="slow", aggregate_id=1)
                written.set()
                release.wait(30)
        finally:
            connections.close_all()

    t = threading.Thread(target=slow_writer)
    t.start()
    try:
        assert written.wait(30)
        t0 = timezone.now()
        later = emit_one()
        assert held["event"].seq < later.seq
        assert events.dispatch_pending(now=t0) == 1  # the later one; the earlier is not committed yet
        assert events.dispatch_pending(now=t0 + dt.timedelta(seconds=300)) == 0
    finally:
        release.set()
        t.join(30)
    assert events.dispatch_pending(now=t0 + dt.timedelta(seconds=400)) == 1
    assert recorder == [later.event_id, held["event"].event_id]
    assert events.dispatch_pending(now=t0 + dt.timedelta(seconds=1000)) == 0
    assert _cursor().through_seq == later.seq


def test_two_dispatchers_at_once_hand_each_event_over_once(transactional_db, settings):
    """Two dispatchers on the same subscriber at the same time (two workers of a queue): the cursor's
    compare-and-set lets one deliver each range; the other waits, finds the version moved and writes
    nothing, so no handler call is repeated and none is missed."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("two writers at once need PostgreSQL")
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": settings.TASK_QUEUES}
    }
    saved = dict(events._subscribers)
    events._subscribers.clear()
    seen, lock = [], threading.Lock()

    @events.subscriber("counted", types={"test.happened"}, batch=True)
    def handle(batch):
        with lock:
            seen.extend(e.seq for e in batch)

    try:
        with transaction.atomic():
            written = [events.emit("test.happened", aggregate_type="t", aggregate_id=n).seq for n in range(300)]

        def dispatcher():
            try:
                for _ in range(5):
                    events.dispatch_pending(batch=7)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=dispatcher) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        events.dispatch_pending()
        assert sorted(seen) == written  # each once
    finally:
        events._subscribers.clear()
        events._subscribers.update(saved)
