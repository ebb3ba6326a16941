"""Periodic jobs: what runs by itself, and how often.

``gongzhi schedule`` (``gongzhi serve --role scheduler``, or beside the workers in ``gongzhi serve``)
wakes every ``--interval`` seconds and, while it holds the cluster's ``scheduler`` lease
(``core.leases``), enqueues each job whose period has passed since it was last enqueued, on the
``periodic`` queue (or the queue its task declares); the workers of that queue run it. Any number of
schedulers may run: one is active, the others wait to take the lease over when it stops renewing.
The last enqueue time is kept per job in ``core.ScheduledJob`` and the row is locked while a
scheduler decides, so even two active schedulers never enqueue the same run twice, and a restart
does not run everything again.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module

from django.db import transaction
from django.utils import timezone
from django_tasks.base import Task

from .manifest import Job  # noqa: F401  (re-exported: the apps' manifests declare their jobs with it)
from .models import ScheduledJob


def __getattr__(name: str):
    # JOBS: every app's periodic jobs, from the manifests (``jobs=`` of each app's ``Manifest``).
    if name == "JOBS":
        from . import manifest

        return tuple(manifest.loaded().jobs)
    raise AttributeError(name)


def _task(path: str):
    module, name = path.rsplit(".", 1)
    return getattr(import_module(module), name)


def on_queue(task: Task) -> Task:
    """A periodic job's task on its own queue: the one its task declares, ``periodic`` for a task on
    ``default`` (so escalation and scans never wait behind the ledger or the event dispatch)."""
    return task if task.queue_name != "default" else task.using(queue_name="periodic")


def run_due(now: dt.datetime | None = None, jobs=None) -> list[str]:
    """Enqueue every job whose period has passed (every app's, unless ``jobs`` is given); returns their names."""
    if jobs is None:
        from . import manifest

        jobs = manifest.loaded().jobs
    now = now or timezone.now()
    enqueued = []
    for job in jobs:
        with transaction.atomic():
            state, _ = ScheduledJob.objects.select_for_update().get_or_create(name=job.name)
            if state.last_enqueued_at is not None and now - state.last_enqueued_at < job.every:
                continue
            result = on_queue(_task(job.task)).enqueue()
            state.last_enqueued_at = now
            state.last_task_id = str(result.id)[:64]
            state.save()
        enqueued.append(job.name)
    return enqueued
