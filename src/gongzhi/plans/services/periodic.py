"""The periodic check (``gongzhi plans check``, the daily job): indicators read, overdue and off-track
flags raised, back-on-track flags lifted.

Part of :mod:`gongzhi.plans.services`.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from gongzhi.core.errors import Forbidden

from .. import perms as P
from .. import status as S
from ..models import (
    Goal,
    SupervisionFlag,
    Task,
)
from .common import _today
from .supervision import _auto_resolve, _raise
from .tasks import _refresh_value


def check(actor, *, on: dt.date | None = None, region=None) -> dict[str, int]:
    """The periodic check (``gongzhi plans check``): read computable indicators, flag overdue and
    off-track tasks, lift off-track flags of tasks back on track.  One transaction per goal."""
    if not P.perm.is_system(actor):
        region = region or P.perm.home_region(actor)
        if region is None:
            raise Forbidden("无权督办目标任务")
        P.require(actor, P.SUPERVISE, region)
    on = on or _today()
    out = {"goals": 0, "tasks": 0, "readings": 0, "overdue": 0, "off_track": 0, "back_on_track": 0}
    goals = Goal.objects.filter(state=Goal.State.ACTIVE).select_related("region")
    if region is not None:
        goals = goals.filter(region__path__startswith=region.path)
    for goal in goals.iterator():
        with transaction.atomic():
            out["goals"] += 1
            tasks = list(goal.tasks.filter(state=Task.State.OPEN).select_related("unit", "region", "goal"))
            for t in tasks:
                out["tasks"] += 1
                if t.indicator_source and _refresh_value(t, on, actor):
                    out["readings"] += 1
            prog = S.tree_progress(list(goal.tasks.exclude(state=Task.State.CANCELLED)))
            for t in tasks:
                t.progress = prog.get(t.pk, t.progress)
                if S.is_overdue(t, on):
                    days = (on - t.deadline).days
                    if _raise(
                        t,
                        SupervisionFlag.Kind.OVERDUE,
                        f"已超过完成时限{t.deadline}共{days}天，进度{t.progress:g}%",
                        actor,
                    ):
                        out["overdue"] += 1
                elif S.is_off_track(t, goal.starts_on, on):
                    exp = S.expected_progress(goal.starts_on, t.deadline, on)
                    if _raise(
                        t,
                        SupervisionFlag.Kind.OFF_TRACK,
                        f"进度{t.progress:g}%，按时间应达{exp:g}%（容差{S.OFF_TRACK_TOLERANCE:g}个百分点）",
                        actor,
                    ):
                        out["off_track"] += 1
                else:
                    out["back_on_track"] += _auto_resolve(t, (SupervisionFlag.Kind.OFF_TRACK,), "进度已恢复正常")
    return out
