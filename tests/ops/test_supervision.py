"""Background work that survives its processes (issue 18, item 2): a worker killed with kill -9 is back
within 10 s and the task it was running runs again; the scheduler's lease lets one scheduler act; the
supervisor restarts what dies and gives up on what cannot start."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from django.utils import timezone

from gongzhi.core import leases
from gongzhi.ops import services
from gongzhi.ops.models import WorkerHeartbeat
from gongzhi.ops.supervisor import Child, Supervisor

# ------------------------------------------------------------------ the lease


def test_one_holder_at_a_time_and_a_takeover_after_expiry(db):
    t0 = timezone.now()
    ttl = dt.timedelta(seconds=20)
    assert leases.acquire("scheduler", "a", ttl, now=t0)
    assert not leases.acquire("scheduler", "b", ttl, now=t0 + dt.timedelta(seconds=5))
    assert leases.acquire("scheduler", "a", ttl, now=t0 + dt.timedelta(seconds=10))  # renewed to t0+30
    assert not leases.acquire("scheduler", "b", ttl, now=t0 + dt.timedelta(seconds=25))
    assert leases.acquire("scheduler", "b", ttl, now=t0 + dt.timedelta(seconds=31))  # a stopped renewing
    assert not leases.acquire("scheduler", "a", ttl, now=t0 + dt.timedelta(seconds=32))
    assert leases.holder("scheduler", now=t0 + dt.timedelta(seconds=32)).holder == "b"
    leases.release("scheduler", "b")
    assert leases.holder("scheduler") is None
    assert leases.acquire("scheduler", "a", ttl)


def test_only_the_lease_holder_enqueues_periodic_jobs(db, settings):
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}}
    leases.acquire("scheduler", "another-host:1:x", dt.timedelta(minutes=1))
    call_command("schedule", "--once", stdout=open(os.devnull, "w"))
    assert DBTaskResult.objects.count() == 0  # standby: the other scheduler is active
    leases.release("scheduler", "another-host:1:x")
    call_command("schedule", "--once", stdout=open(os.devnull, "w"))
    queued = DBTaskResult.objects.all()
    assert queued.count() > 0
    # Escalation and the other periodic jobs on their own queue; the outbox sweep wakes the event queues.
    by_path = dict(queued.values_list("task_path", "queue_name"))
    assert by_path["gongzhi.cases.tasks.escalate_overdue"] == "periodic"
    assert by_path["gongzhi.core.tasks.sweep_events"] == "periodic"


# ------------------------------------------------------------------ reclaiming a dead worker's task


def _running(worker_id: str, started_ago: float):
    from django_tasks_db.models import DBTaskResult

    from gongzhi.ops.tasks import probe

    result = DBTaskResult.objects.create(
        args_kwargs={"args": [0], "kwargs": {}},
        task_path=probe.module_path,
        backend_name="default",
        queue_name="default",
        run_after=timezone.now(),
        status="RUNNING",
        started_at=timezone.now() - dt.timedelta(seconds=started_ago),
        worker_ids=[worker_id],
    )
    return result


def test_tasks_of_a_dead_worker_are_queued_again_and_a_living_workers_are_not(db):
    services.beat("alive")
    mine = _running("alive", started_ago=300)
    named = _running("killed", started_ago=1)  # a supervisor saw it die: at once
    silent = _running("host-gone", started_ago=300)  # no heartbeat for longer than dead_after
    young = _running("starting", started_ago=1)  # no beat yet, but just started: left alone
    back = services.reclaim(dead=("killed",))
    assert set(back) == {str(named.id), str(silent.id)}
    for row, status in ((mine, "RUNNING"), (named, "READY"), (silent, "READY"), (young, "RUNNING")):
        row.refresh_from_db()
        assert row.status == status
    assert services.reclaim() == []  # nothing more to do


# ------------------------------------------------------------------ the supervisor


def test_supervisor_restarts_a_killed_child_and_gives_up_on_one_that_cannot_start(monkeypatch):
    import gongzhi.ops.supervisor as sup

    monkeypatch.setattr(sup, "RESTART_DELAY", 0.05)
    lines: list[str] = []
    seen: list[list[str]] = []

    def argv(n):
        seen.append([str(n)])
        return [sys.executable, "-c", "import time; time.sleep(60)"]

    child = Child("sleeper", argv)
    s = Supervisor([child], poll=0.05, grace=2, write=lines.append)
    child.start()
    first = child.process.pid
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (child.process.pid == first or child.restart_at is not None):
        s.step(time.monotonic())
        time.sleep(0.05)
    assert child.process.pid != first and child.process.poll() is None
    assert seen == [["0"], ["1"]] and "exited with -9" in lines[0]
    s.shutdown()
    assert child.process.poll() is not None

    broken = Child("broken", lambda n: [sys.executable, "-c", "raise SystemExit(3)"])
    s = Supervisor([broken], poll=0.02, grace=1, write=lines.append)
    assert s.run() == 1
    assert s.failed is broken and "giving up" in lines[-1]


# ------------------------------------------------------------------ the real thing: kill -9 a worker


def _sqlite(path):
    conn = sqlite3.connect(path, timeout=20)
    conn.row_factory = sqlite3.Row
    return conn


@pytest.mark.slow  # real processes: migrate a SQLite file, serve --role worker, kill -9
@pytest.mark.sqlite_only
def test_a_worker_killed_with_kill_9_is_back_within_10_s_and_its_task_runs_again(tmp_path):
    db = tmp_path / "gz.sqlite3"
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="gongzhi.settings",
        GONGZHI_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{db}",
        GONGZHI_TASKS="database",
    )
    cli = [sys.executable, "-m", "gongzhi.cli"]
    subprocess.run([*cli, "migrate", "--noinput", "-v0"], env=env, check=True, timeout=300)
    log = open(tmp_path / "serve.log", "w")
    serve = subprocess.Popen(
        [*cli, "serve", "--role", "worker", "--queues", "default"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        enqueued = subprocess.run(
            [*cli, "shell", "-c", "from gongzhi.ops.tasks import probe; print(probe.enqueue(15).id)"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        task_id = enqueued.stdout.strip().splitlines()[-1].replace("-", "")

        def task():
            with _sqlite(db) as conn:
                return conn.execute(
                    "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult WHERE id = ?", [task_id]
                ).fetchone()

        def wait(what, cond, seconds):
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                value = cond()
                if value:
                    return value
                time.sleep(0.1)
            raise AssertionError(f"{what} within {seconds} s; log:\n" + (tmp_path / "serve.log").read_text()[-3000:])

        wait("the task runs", lambda: task()["status"] == "RUNNING", 60)
        first_worker = json.loads(task()["worker_ids"])[-1]
        with _sqlite(db) as conn:
            pid = wait(
                "the worker beats",
                lambda: (
                    conn.execute("SELECT pid FROM ops_workerheartbeat WHERE worker_id = ?", [first_worker]).fetchone()
                    or [None]
                )[0],
                30,
            )
        assert task()["status"] == "RUNNING"  # killed in the middle of its task
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()

        def new_worker_beats():
            with _sqlite(db) as conn:
                return conn.execute("SELECT pid FROM ops_workerheartbeat WHERE pid != ?", [pid]).fetchone()

        wait("a new worker beats", new_worker_beats, 10)
        back_after = time.monotonic() - killed
        assert back_after < 10
        # The interrupted task is taken again by the new worker and finishes there.
        wait("the task is re-run", lambda: len(json.loads(task()["worker_ids"])) == 2, 10)
        wait("the task finishes", lambda: task()["status"] == "SUCCESSFUL", 60)
        ids = json.loads(task()["worker_ids"])
        assert ids[0] == first_worker and ids[1] != first_worker
        with _sqlite(db) as conn:  # the dead worker's heartbeat is gone; the new one's is there
            assert (
                conn.execute("SELECT count(*) FROM ops_workerheartbeat WHERE worker_id = ?", [first_worker]).fetchone()[
                    0
                ]
                == 0
            )
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
        log.close()


def test_status_probe_refuses_an_unknown_queue_and_says_when_no_worker_takes_it(db, settings):
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}}
    with pytest.raises(CommandError, match="no such queue"):
        call_command("status", "--probe", "nope")
    with pytest.raises(CommandError, match="no worker started it"):
        call_command("status", "--probe", "ledger", "--probe-timeout", "0.3")
    assert DBTaskResult.objects.count() == 0  # the unanswered probe is taken back
