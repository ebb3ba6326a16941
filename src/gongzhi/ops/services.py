"""The only writes of the ops app: a worker's heartbeat, and forgetting workers long gone."""

from __future__ import annotations

import datetime as dt
import os
import socket

from django.utils import timezone

from .models import WorkerHeartbeat

# A worker silent for this long is forgotten by the next beat of any worker.
FORGET_AFTER = dt.timedelta(days=1)


def beat(
    worker_id: str, *, queues: str = "*", started_at: dt.datetime | None = None, now: dt.datetime | None = None
) -> WorkerHeartbeat:
    """Record that worker ``worker_id`` (this process) is alive now."""
    now = now or timezone.now()
    row, _ = WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"host": socket.gethostname()[:255], "pid": os.getpid(), "queues": queues[:255], "beat_at": now},
        create_defaults={
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "queues": queues[:255],
            "beat_at": now,
            "started_at": started_at or now,
        },
    )
    WorkerHeartbeat.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()
    return row


def stop(worker_id: str) -> None:
    """A worker that shuts down cleanly takes its row with it."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()
