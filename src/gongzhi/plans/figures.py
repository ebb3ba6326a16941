"""Figures of the goal → task → responsibility chain for other modules (assessment, command, …).

Interface (kept stable):

- :func:`task_figures(region, start, end, unit=None)` — counts over the tasks whose responsible unit
  lies in ``region``'s subtree with a deadline in ``[start, end]``;
- :func:`task_records(region, start, end, kind)` — the queryset behind each count (drill-down).

Definitions (docs/plans.md): cancelled tasks are left out; ``done`` = completed; ``done_on_time`` =
completed on or before the deadline in force; ``overdue`` = still open with the deadline before today;
``adjusted`` = at least one approved adjustment; ``goals`` = distinct goals of these tasks;
``goals_on_track`` = those whose computed status is on_track or done; ``on_time_rate`` =
done_on_time / (tasks due: deadline before today, or done), ``None`` when none is due.
"""

from __future__ import annotations

import datetime

from django.db.models import F, Q, QuerySet

from . import status as S
from .models import Adjustment, Goal, Task

KINDS = ("tasks", "done", "done_on_time", "overdue", "adjusted", "goals", "goals_on_track", "due")


def _tasks(region, start: datetime.date, end: datetime.date, unit=None) -> QuerySet:
    qs = Task.objects.filter(region__path__startswith=region.path, deadline__gte=start, deadline__lte=end).exclude(
        state=Task.State.CANCELLED
    )
    if unit is not None:
        qs = qs.filter(unit=unit)
    return qs


def task_records(region, start: datetime.date, end: datetime.date, kind: str, unit=None) -> QuerySet:
    """The rows behind ``task_figures(...)[kind]``: Task rows, or Goal rows for ``goals``/``goals_on_track``."""
    today = S.today()
    qs = _tasks(region, start, end, unit)
    if kind == "tasks":
        return qs
    if kind == "done":
        return qs.filter(state=Task.State.DONE)
    if kind == "done_on_time":
        return qs.filter(state=Task.State.DONE, done_on__lte=F("deadline"))
    if kind == "overdue":
        return qs.filter(state=Task.State.OPEN, deadline__lt=today)
    if kind == "due":
        return qs.filter(Q(state=Task.State.DONE) | Q(deadline__lt=today))
    if kind == "adjusted":
        return qs.filter(pk__in=Adjustment.objects.filter(status=Adjustment.Status.APPROVED).values("task_id"))
    if kind in ("goals", "goals_on_track"):
        goals = Goal.objects.filter(pk__in=qs.values("goal_id"))
        if kind == "goals":
            return goals
        sums = S.summaries(goals, today)
        return goals.filter(pk__in=[pk for pk, s in sums.items() if s["status"] in ("on_track", "done")])
    raise ValueError(f"unknown figure kind {kind!r}; one of {', '.join(KINDS)}")


def task_figures(region, start: datetime.date, end: datetime.date, unit=None) -> dict:
    """Tasks whose responsible unit lies in `region`'s subtree (region: core.models.Region) with deadline in
    [start, end]: {"tasks": int, "done": int, "done_on_time": int, "overdue": int, "adjusted": int,
    "goals": int, "goals_on_track": int, "on_time_rate": float|None}"""
    out = {
        k: task_records(region, start, end, k, unit).count()
        for k in ("tasks", "done", "done_on_time", "overdue", "adjusted", "goals", "goals_on_track", "due")
    }
    due = out.pop("due")
    out["on_time_rate"] = round(out["done_on_time"] / due, 4) if due else None
    return out


# ------------------------------------------------------------------ the registered figures (plans.*)
# Periods of the registry are [start, end) in days; task_figures' are inclusive: end - 1 day.


def _inclusive(end: datetime.date) -> datetime.date:
    return end - datetime.timedelta(days=1)


def _register() -> None:
    from gongzhi.core import figures as registry
    from gongzhi.core.models import Region

    labels = {
        "tasks": "任务数",
        "done": "已完成任务",
        "done_on_time": "按时完成任务",
        "overdue": "逾期未完成任务",
        "adjusted": "经批准调整的任务",
        "goals": "目标数",
        "goals_on_track": "进展正常的目标",
    }
    for kind, label in labels.items():

        def count(region: Region, start: datetime.date, end: datetime.date, _kind: str = kind) -> int:
            return task_records(region, start, _inclusive(end), _kind).count()

        count.__qualname__ = f"task_count_{kind}"
        registry.register(
            f"plans.{kind}",
            count,
            label=label,
            unit="count",
            doc=f"task_records(kind={kind!r}) over the tasks with a deadline in the period",
        )

    def task_on_time_rate(region: Region, start: datetime.date, end: datetime.date) -> dict:
        """Tasks done on time / tasks due (deadline before today, or done), over the tasks with a deadline in
        the period."""
        f = task_figures(region, start, _inclusive(end))
        return {
            "value": f["on_time_rate"],
            "num": f["done_on_time"],
            "den": task_records(region, start, _inclusive(end), "due").count(),
        }

    registry.register("plans.task_on_time_rate", task_on_time_rate, label="任务按时完成率", unit="rate")


_register()
