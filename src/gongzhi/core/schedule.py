"""Periodic jobs: what runs by itself, and how often.

``gongzhi schedule`` (started by ``gongzhi serve`` beside the task worker) wakes every
``--interval`` seconds and enqueues each job whose period has passed since it was last enqueued;
the task worker runs it. The last enqueue time is kept per job in ``core.ScheduledJob`` and the
row is locked while a scheduler decides, so a second scheduler (another host) never enqueues the
same run twice, and a restart does not run everything again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import import_module

from django.db import transaction
from django.utils import timezone

from .models import ScheduledJob


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    task: str  # dotted path of a Django Tasks task
    why: str


JOBS = (
    Job("cases.escalate_overdue", dt.timedelta(minutes=5), "gongzhi.cases.tasks.escalate_overdue",
        "escalate overdue requests to the level above; flag emergency bypasses not filed in time"),
    Job("core.dispatch_events", dt.timedelta(minutes=1), "gongzhi.core.tasks.dispatch_events",
        "deliver any outbox events a lost wake-up left behind"),
    Job("consult.close_due_votes", dt.timedelta(minutes=1), "gongzhi.consult.tasks.close_due_votes",
        "tally formal votes whose time is up; publish tallies, minutes and follow-up items"),
    Job("consult.update_live_analyses", dt.timedelta(minutes=1), "gongzhi.consult.tasks.update_live_analyses",
        "bring each consultation's opinion groups up to date, one update per burst of votes"),
    Job("alerts.daily_scan", dt.timedelta(hours=24), "gongzhi.alerts.tasks.daily_scan",
        "run the early-warning detectors over yesterday"),
    Job("plans.daily_check", dt.timedelta(hours=24), "gongzhi.plans.tasks.daily_check",
        "read computable indicators; flag overdue and off-track tasks"),
    Job("core.prune_security_log", dt.timedelta(hours=24), "gongzhi.core.tasks.prune_security_log",
        "delete security audit log rows past their retention (never younger than 180 days)"),
    Job("privacy.purge_expired", dt.timedelta(hours=24), "gongzhi.privacy.tasks.purge_expired",
        "delete or anonymise personal data past its retention period (gongzhi/privacy/retention.py)"),
)


def _task(path: str):
    module, name = path.rsplit(".", 1)
    return getattr(import_module(module), name)


def run_due(now: dt.datetime | None = None, jobs=JOBS) -> list[str]:
    """Enqueue every job whose period has passed; returns their names."""
    now = now or timezone.now()
    enqueued = []
    for job in jobs:
        with transaction.atomic():
            state, _ = ScheduledJob.objects.select_for_update().get_or_create(name=job.name)
            if state.last_enqueued_at is not None and now - state.last_enqueued_at < job.every:
                continue
            result = _task(job.task).enqueue()
            state.last_enqueued_at = now
            state.last_task_id = str(result.id)[:64]
            state.save()
        enqueued.append(job.name)
    return enqueued
