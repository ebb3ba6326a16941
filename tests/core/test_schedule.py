"""Periodic jobs: each enqueued once per period, across restarts and schedulers; the command."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from gongzhi.core import schedule
from gongzhi.core.models import ScheduledJob


@pytest.fixture
def queue(settings):
    """The database task backend: enqueued tasks wait as rows instead of running."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}}
    return DBTaskResult.objects


def test_each_job_is_enqueued_once_per_period(db, queue):
    t0 = timezone.now()
    assert set(schedule.run_due(t0)) == {j.name for j in schedule.JOBS}  # never run: all due
    assert queue.count() == len(schedule.JOBS)
    assert schedule.run_due(t0 + dt.timedelta(seconds=30)) == []
    every_minute = {
        "core.dispatch_events",
        "consult.close_due_votes",
        "consult.update_live_analyses",
        "notify.send_due",
    }
    assert set(schedule.run_due(t0 + dt.timedelta(minutes=1))) == every_minute
    assert set(schedule.run_due(t0 + dt.timedelta(minutes=5))) == {"cases.escalate_overdue", *every_minute}
    assert set(schedule.run_due(t0 + dt.timedelta(hours=24))) == {j.name for j in schedule.JOBS}
    assert queue.filter(task_path="gongzhi.cases.tasks.escalate_overdue").count() == 3
    state = ScheduledJob.objects.get(name="alerts.daily_scan")
    assert state.last_enqueued_at == t0 + dt.timedelta(hours=24)
    assert queue.filter(id=state.last_task_id).exists()


def test_command_once_and_list(db, queue, capsys):
    call_command("schedule", "--once")
    out = capsys.readouterr().out
    assert all(f"enqueued {j.name}" in out for j in schedule.JOBS)
    call_command("schedule", "--once")  # a restart right after: nothing is due again
    assert "enqueued" not in capsys.readouterr().out
    call_command("schedule", "--list")
    listing = capsys.readouterr().out
    assert "cases.escalate_overdue" in listing and "0:05:00" in listing


def test_jobs_run_in_the_worker(world):
    """What the worker runs: each job's task, with the immediate backend of the tests."""
    for job in schedule.JOBS:
        result = schedule._task(job.task).enqueue()
        assert result.status == "SUCCESSFUL", (job.name, result.status)
