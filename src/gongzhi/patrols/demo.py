"""The patrols module's part of ``gongzhi demo``: three weekly patrols of every grid that has a grid
worker, the last one 0–10 days ago (so that some grids are overdue); the demo's grid worker (log-in
``grid``) has one grid patrolled yesterday with a finding filed as a request, and one overdue."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from gongzhi.org.models import GridAssignment

from .models import Patrol

FINDINGS = ("楼道堆放杂物，存在消防隐患", "路灯不亮", "井盖松动", "绿化带垃圾堆积")


def generate(*, seed: int, scale: str, progress: Any = None) -> dict[str, int]:
    if scale == "city":
        return {}
    rng = random.Random(seed + 15)
    today = timezone.localdate()
    assignments = (
        GridAssignment.objects.filter(kind=GridAssignment.Kind.GRID_WORKER, end_date__isnull=True)
        .select_related("grid", "grid__region", "person__user")
        .order_by("grid__code")
    )
    rows = []
    seen: set[int] = set()
    with_login = 0
    for a in assignments:
        if a.grid_id in seen:
            continue
        seen.add(a.grid_id)
        user = a.person.user  # None when the worker has no log-in
        if user is not None:
            # the demo's grid worker: one grid patrolled yesterday, the next overdue by a few days
            last = today - dt.timedelta(days=1 if with_login % 2 == 0 else 9)
            with_login += 1
        else:
            last = today - dt.timedelta(days=rng.randint(0, 10))
        for k in range(3):
            on = last - dt.timedelta(days=7 * k)
            rows.append(
                Patrol(grid=a.grid, region=a.grid.region, worker=user, on=on, minutes=rng.choice([30, 45, 60, 90]))
            )
    Patrol.objects.bulk_create(rows, batch_size=2000)
    # Findings through the intake service, so that a patrol links the requests filed from it.
    from gongzhi.cases.models import Channel
    from gongzhi.cases.services import submit

    filed = 0
    latest = Patrol.objects.filter(worker__isnull=False).select_related("grid", "worker").order_by("-on", "id")[:2]
    for p in latest:
        req, _created = submit(p.worker, description=rng.choice(FINDINGS), channel=Channel.GRID, grid=p.grid.code)
        p.findings.add(req)
        filed += 1
    return {"patrols": len(rows), "findings": filed}
