"""Background work through Django's Tasks API (the django-tasks backport)."""

from django_tasks import task

from .events import dispatch_pending, on_queue


@task(queue_name="dispatch")
def dispatch_events(queue: str | None = None) -> int:
    """Deliver the outbox to the subscribers of ``queue`` (``ledger`` or ``dispatch``; all when None:
    the periodic sweep)."""
    return dispatch_pending(on_queue(queue) if queue else None)


@task(queue_name="periodic")
def sweep_events() -> int:
    """The periodic sweep: a dispatch task on each event queue (unless one is still waiting there), so
    events a lost wake-up left behind are delivered, each queue by its own workers."""
    from .events import _schedule_dispatch, queues

    _schedule_dispatch()
    return len(queues())


@task(queue_name="periodic")
def prune_security_log() -> int:
    from .actors import SYSTEM
    from .audit import prune

    return prune(SYSTEM)
