"""The platform's own state for the command centre's system page (``/ops/system/``): the task workers and
their queues, the scheduler's lease, the public record's backlog and lag, the read replica's delay.
Read only; every figure comes from the records the processes keep (heartbeats, task rows, leaves,
checkpoints, the lease)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from . import health


def may_view(user: Any) -> bool:
    """Superusers, and the people whose command centre is the district's (or the city's)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    from gongzhi.command import queries

    centre = queries.centre_for(user)
    return centre is not None and centre.level in ("city", "district")


def snapshot(now: dt.datetime | None = None) -> dict:
    from gongzhi.core import leases
    from gongzhi.ledger.models import SignedCheckpoint

    from .models import WorkerHeartbeat

    now = now or timezone.now()
    dead = health._seconds("GONGZHI_READY_WORKER_MAX_AGE", 60)
    workers = [
        {
            "worker_id": w.worker_id,
            "host": w.host,
            "pid": w.pid,
            "queues": w.queues,
            "age_s": round((now - w.beat_at).total_seconds(), 1),
            "alive": (now - w.beat_at).total_seconds() <= dead,
            "up_s": round((now - w.started_at).total_seconds()),
        }
        for w in WorkerHeartbeat.objects.order_by("host", "worker_id")
    ]
    last = SignedCheckpoint.objects.order_by("-size").values("size", "signed_at").first()
    lease = leases.holder("scheduler", now=now)
    out = {
        "now": now,
        "workers": workers,
        "queues": health.queues(now) if health.uses_workers() else {},
        "ledger": health.ledger_backlog(now),
        "subscribers": health.subscribers(now),
        "checkpoint": last and {"size": last["size"], "age_s": round((now - last["signed_at"]).total_seconds(), 1)},
        "scheduler": lease and {"holder": lease.holder, "since": lease.acquired_at, "expires": lease.expires_at},
        "mode": "workers" if health.uses_workers() else "immediate",
    }
    from gongzhi.core import replica

    with replica.reading():  # how far the read replica trails, when one is configured (None otherwise)
        out["replica"] = replica.data_as_of()
    return out
