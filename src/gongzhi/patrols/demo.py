"""The patrols module's part of ``gongzhi demo``: two weeks of patrols by the demo's grid workers, most
on time, some grids overdue, a few with a finding filed as a request."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from gongzhi.org.models import GridAssignment

from .models import Patrol

FINDINGS = ("楼道堆放杂物，存在消防隐患", "路灯不亮", "井盖松动", "绿化带垃圾堆积")


def generate(*, seed: int, scale: str, progress=None) -> dict[str, int]:
    if scale == "city":
        return {}
    rng = random.Random(seed + 15)
    today = timezone.localdate()
    assignments = (
        GridAssignment.objects.filter(
            kind=GridAssignment.Kind.GRID_WORKER, end_date__isnull=True, person__user__isnull=False
        )
        .select_related("grid", "grid__region", "person__user")
        .order_by("grid__code")
    )
    rows = []
    seen: set[int] = set()
    for a in assignments:
        if a.grid_id in seen:
            continue
        seen.add(a.grid_id)
        # every 7 days by default: the last patrol 0–10 days ago, so that some grids are overdue
        last = today - dt.timedelta(days=rng.randint(0, 10))
        for k in range(3):
            on = last - dt.timedelta(days=7 * k)
            rows.append(
                Patrol(
                    grid=a.grid, region=a.grid.region, worker=a.person.user,  # None when the worker has no log-in
 on=on, minutes=rng.choice([30, 45, 60, 90])
                )
            )
    Patrol.objects.bulk_create(rows, batch_size=2000)
    # A few findings through the intake service, so that a patrol links its requests.
    filed = 0
    from gongzhi.cases.models import Channel
    from gongzhi.cases.services import submit

    for p in Patrol.objects.filter(on=today, worker__isnull=False).select_related("grid", "worker")[:3]:
        req, _c = submit(p.worker, description=rng.choice(FINDINGS), channel=Channel.GRID, grid=p.grid.code)
        p.findings.add(req)
        filed += 1
    return {"patrols": len(rows), "findings": filed}
