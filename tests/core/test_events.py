import pytest
from django.db import transaction

from gongzhi.core import events
from gongzhi.core.models import Delivery, Event


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
            1 / 0
    assert not Event.objects.exists()


def test_dispatch_delivers_once_per_subscriber(db, recorder):
    e1, e2 = emit_one(), emit_one()
    assert events.dispatch_pending() == 2
    assert recorder == [e1.event_id, e2.event_id]
    # A second dispatch finds nothing new: idempotent by event id.
    assert events.dispatch_pending() == 0
    assert recorder == [e1.event_id, e2.event_id]
    assert Delivery.objects.filter(subscriber="recorder").count() == 2


def test_other_types_are_acknowledged_but_not_handled(db, recorder):
    with transaction.atomic():
        events.emit("test.other", aggregate_type="thing", aggregate_id=2)
    assert events.dispatch_pending() == 1
    assert recorder == []


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
        assert calls == [a.seq, a.seq, b.seq]
    finally:
        events._subscribers.clear()
        events._subscribers.update(saved)


def test_commit_enqueues_dispatch_through_the_tasks_api(db, recorder, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        e = emit_one()
    assert recorder == [e.event_id]


def test_one_waiting_dispatch_task_serves_many_commits(transactional_db, settings):
    """With the database task backend, a commit enqueues a dispatch task only when the one this process
    enqueued last has started; while it waits (READY), it will see every later commit's events."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    events._waiting_dispatch.clear()
    try:
        for _ in range(3):
            emit_one()  # a real commit each
        tasks = DBTaskResult.objects.filter(task_path__endswith="dispatch_events")
        assert tasks.count() == 1 and tasks.get().status == "READY"
        tasks.update(status="RUNNING")  # the worker took it: the next commit needs a new one
        emit_one()
        assert tasks.count() == 2 and tasks.filter(status="READY").count() == 1
        assert Event.objects.count() == 4
    finally:
        events._waiting_dispatch.clear()
