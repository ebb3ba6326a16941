"""Liveness and readiness, computed from the records (shared by ``/readyz`` and ``gongzhi status``).

Ready means: the database answers, every migration is applied, a task worker has beaten within
``GONGZHI_READY_WORKER_MAX_AGE`` seconds (when tasks run on workers), and the public events that
the ledger has not yet taken in are none, or the oldest of them is younger than
``GONGZHI_READY_LEDGER_MAX_AGE`` seconds.
"""

from __future__ import annotations

import datetime as dt
import os
import time

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.utils import timezone


def _seconds(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def liveness() -> dict:
    return {"status": "ok", "pid": os.getpid(), "time": timezone.now().isoformat()}


def _database() -> dict:
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()
    return {"ok": True, "vendor": connection.vendor, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _migrations() -> dict:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending = [f"{m.app_label}.{m.name}" for m, _ in plan]
    return {"ok": not pending, "pending": pending[:20], "pending_count": len(pending)}


def uses_workers() -> bool:
    return "DatabaseBackend" in settings.TASKS["default"]["BACKEND"]


def _worker(now: dt.datetime) -> dict:
    from .models import WorkerHeartbeat

    max_age = _seconds("GONGZHI_READY_WORKER_MAX_AGE", 60)
    per_queue = queues(now)  # the totals are the queues' own figures, read once
    ages = [q["oldest_ready_age_s"] for q in per_queue.values() if q["oldest_ready_age_s"] is not None]
    queue = {
        "ready_tasks": sum(q["ready"] for q in per_queue.values()),
        "oldest_ready_age_s": max(ages) if ages else None,
        "queues": per_queue,
    }
    if not uses_workers():
        return {"ok": True, "mode": "immediate", "detail": "tasks run in the request; no worker needed", **queue}
    alive = WorkerHeartbeat.objects.filter(beat_at__gte=now - dt.timedelta(seconds=max_age)).count()
    last = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
    age = round((now - last).total_seconds(), 1) if last else None
    ok = alive > 0
    out = {"ok": ok, "mode": "workers", "workers_alive": alive, "last_beat_age_s": age, "max_age_s": max_age, **queue}
    if not ok:
        out["detail"] = (
            "no task worker has ever beaten: start `gongzhi worker` (or `gongzhi serve`)"
            if last is None
            else f"the last task worker beat {age:.0f} s ago (more than {max_age} s)"
        )
    return out


def queues(now: dt.datetime) -> dict:
    """Per task queue: tasks waiting (READY), running, and the age of the oldest waiting one."""
    from django_tasks_db.models import DBTaskResult

    names = list(settings.TASKS["default"].get("QUEUES") or ["default"])
    out = {name: {"ready": 0, "running": 0, "oldest_ready_age_s": None} for name in names}
    rows = (
        DBTaskResult.objects.filter(status__in=("READY", "RUNNING"))
        .values("queue_name", "status")
        .annotate(n=Count("id"), oldest=Min("enqueued_at"))
    )
    for row in rows:
        entry = out.setdefault(row["queue_name"], {"ready": 0, "running": 0, "oldest_ready_age_s": None})
        if row["status"] == "READY":
            entry["ready"] = row["n"]
            entry["oldest_ready_age_s"] = round(max(0.0, (now - row["oldest"]).total_seconds()), 1)
        else:
            entry["running"] = row["n"]
    return out


def subscribers(now: dt.datetime | None = None, window_s: int = 300) -> list[dict]:
    """Per event subscriber, from the outbox and its delivery batches: its queue, the events it wants
    and has not been handed yet (how many, the oldest's age), and over the last ``window_s`` seconds the
    events handed over and the lag from an event to the batch that handed it (p95, by batch: each
    batch's oldest event)."""
    from django.db.models import Max, OuterRef, Subquery

    from gongzhi.core import events
    from gongzhi.core.models import DeliveryBatch, Event

    now = now or timezone.now()
    since = now - dt.timedelta(seconds=window_s)
    out = []
    for name, sub in sorted(events.subscribers().items()):
        waiting = events.undelivered(name).aggregate(count=Count("seq"), oldest=Min("occurred_at"))
        # Each batch's oldest wanted event, in the same query as the batches (a subquery per row).
        oldest_event = (
            Event.objects.filter(sub.where(), seq__gte=OuterRef("first_seq"), seq__lte=OuterRef("last_seq"))
            .order_by("occurred_at")
            .values("occurred_at")[:1]
        )
        recent = list(
            DeliveryBatch.objects.filter(subscriber=name, delivered_at__gte=since, handled__gt=0)
            .annotate(oldest=Subquery(oldest_event))
            .values_list("handled", "delivered_at", "oldest")
        )
        lags = [(at - oldest).total_seconds() for _n, at, oldest in recent if oldest is not None]
        lags.sort()
        last_at = DeliveryBatch.objects.filter(subscriber=name).aggregate(m=Max("delivered_at"))["m"]
        out.append(
            {
                "name": name,
                "queue": sub.queue,
                "backlog": waiting["count"],
                "oldest_age_s": round((now - waiting["oldest"]).total_seconds(), 1) if waiting["oldest"] else None,
                "handled": sum(r[0] for r in recent),
                "batches": len(recent),
                "lag_p95_s": round(lags[min(len(lags) - 1, int(0.95 * len(lags)))], 2) if lags else None,
                "last_batch_age_s": round((now - last_at).total_seconds(), 1) if last_at else None,
            }
        )
    return out


def ledger_backlog(now: dt.datetime | None = None) -> dict:
    """Public events the ledger has not yet appended: how many, and how old the oldest is."""
    from gongzhi.core.events import undelivered
    from gongzhi.ledger.subscribers import SUBSCRIBER_NAME

    now = now or timezone.now()
    max_age = _seconds("GONGZHI_READY_LEDGER_MAX_AGE", 300)
    waiting = undelivered(SUBSCRIBER_NAME)
    figures = waiting.aggregate(count=Count("seq"), oldest=Min("occurred_at"))
    count, oldest = figures["count"], figures["oldest"]
    age = round(max(0.0, (now - oldest).total_seconds()), 1) if oldest else None
    ok = age is None or age <= max_age
    from gongzhi.ledger import lag

    out = {"ok": ok, "backlog": count, "oldest_age_s": age, "max_age_s": max_age, "lag": lag.summary(now=now)}
    if not ok:
        out["detail"] = f"{count} public events wait for the ledger; the oldest for {age:.0f} s (more than {max_age} s)"
    return out


def readiness(now: dt.datetime | None = None) -> dict:
    """``{"status": "ok" | "unavailable", "checks": {...}}``; each check says ``ok`` and why not."""
    now = now or timezone.now()
    checks: dict[str, dict] = {}
    for name, fn in (
        ("database", _database),
        ("migrations", _migrations),
        ("worker", lambda: _worker(now)),
        ("ledger", lambda: ledger_backlog(now)),
    ):
        if name != "database" and not checks["database"]["ok"]:
            checks[name] = {"ok": False, "detail": "not checked: the database is unreachable"}
            continue
        try:
            checks[name] = fn()
        except Exception as exc:  # noqa: BLE001 - a failing check is reported, not raised
            checks[name] = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:500]}
    ok = all(c["ok"] for c in checks.values())
    return {"status": "ok" if ok else "unavailable", "time": now.isoformat(), "checks": checks}
