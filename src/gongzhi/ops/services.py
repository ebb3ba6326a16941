"""The only writes of the ops app: a worker's heartbeat, forgetting workers long gone, and putting back the
tasks a dead worker left RUNNING.

These are the processes' own bookkeeping, done by the platform itself (no person acts here)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket

from django.db import IntegrityError
from django.utils import timezone

from .models import WorkerHeartbeat

log = logging.getLogger("gongzhi.ops")

# A worker silent for this long is forgotten by the next beat of any worker.
FORGET_AFTER = dt.timedelta(days=1)


def beat(
    worker_id: str, *, queues: str = "*", started_at: dt.datetime | None = None, now: dt.datetime | None = None
) -> WorkerHeartbeat:
    """Record that worker ``worker_id`` (this process) is alive now."""
    now = now or timezone.now()
    fields = {"host": socket.gethostname()[:255], "pid": os.getpid(), "queues": queues[:255], "beat_at": now}
    # Single statements, not a read-then-write transaction: under SQLite's WAL a transaction that read
    # and then writes after another process wrote fails at once ("database is locked") instead of
    # waiting, and a worker's first beat must not be lost to that.
    if not WorkerHeartbeat.objects.filter(worker_id=worker_id).update(**fields):
        try:
            WorkerHeartbeat.objects.create(worker_id=worker_id, started_at=started_at or now, **fields)
        except IntegrityError:  # created by this worker's other thread meanwhile
            WorkerHeartbeat.objects.filter(worker_id=worker_id).update(**fields)
    row = WorkerHeartbeat.objects.get(worker_id=worker_id)
    WorkerHeartbeat.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()
    return row


def stop(worker_id: str) -> None:
    """A worker that shuts down cleanly takes its row with it."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def dead_after() -> dt.timedelta:
    """A worker whose heartbeat is older than this is taken for dead (``GONGZHI_WORKER_DEAD_AFTER``, seconds)."""
    return dt.timedelta(seconds=float(os.environ.get("GONGZHI_WORKER_DEAD_AFTER", "30")))


def reclaim(*, dead: tuple[str, ...] = (), now: dt.datetime | None = None) -> list[str]:
    """Put back on their queue the tasks left RUNNING by a worker that is gone: one of ``dead`` (a
    supervisor saw it die), or one whose heartbeat is older than :func:`dead_after` (its host died).
    The task runs again from the start: every task is a transaction or a series of idempotent ones
    (the outbox's deliveries, the ledger's appends by event id). Returns the ids put back."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - dead_after()
    alive = set(WorkerHeartbeat.objects.filter(beat_at__gte=cutoff).values_list("worker_id", flat=True))
    back = []
    running = DBTaskResult.objects.filter(status="RUNNING").values_list("id", "worker_ids", "started_at", "task_path")
    for task_id, worker_ids, started_at, path in list(running):
        last = worker_ids[-1] if worker_ids else None
        gone = last in dead or (last not in alive and started_at is not None and started_at < cutoff)
        # One conditional UPDATE each (no read-then-write transaction, which SQLite may refuse under load):
        # it changes nothing if the task finished or was claimed again since it was read.
        if gone and DBTaskResult.objects.filter(id=task_id, status="RUNNING", started_at=started_at).update(
            status="READY", started_at=None
        ):
            back.append(str(task_id))
            log.warning("task %s (%s) left RUNNING by worker %s is queued again", task_id, path, last)
    if dead:
        WorkerHeartbeat.objects.filter(worker_id__in=dead).delete()
    return back
