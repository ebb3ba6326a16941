"""Status and progress % computed from tasks (never typed in).

Rules (docs/plans.md):
- a task is *overdue* when it is open and its deadline is before today;
- a task is *off track* when its progress is more than ``OFF_TRACK_TOLERANCE`` percentage points
  below the expected straight-line progress between the goal's start and the task's deadline;
- a task's progress is 100 when done; a task with sub-tasks takes the weighted mean of its
  sub-tasks; otherwise the last reading (indicator: (current - baseline) / (target - baseline),
  clamped to 0..100; or the last manual report);
- a goal's progress is the weighted mean of its top-level tasks (cancelled ones left out);
- a goal's status: cancelled / done (closed, or every task done) / not_started (no tasks) /
  overdue (a task overdue, or the goal past its due date) / at_risk (an open supervision flag) /
  on_track.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext_noop

OFF_TRACK_TOLERANCE = 20.0  # percentage points below the expected straight-line progress

# Chinese message ids (marked for the catalogue); pages show them through {% translate %}.
STATUS_LABELS = {
    "on_track": gettext_noop("按计划推进"),
    "at_risk": gettext_noop("存在督办事项"),
    "overdue": gettext_noop("逾期"),
    "done": gettext_noop("已完成"),
    "not_started": gettext_noop("未分解任务"),
    "cancelled": gettext_noop("已撤销"),
}


def today() -> dt.date:
    return timezone.localdate()


def indicator_progress(baseline: float, target: float, value: float | None) -> float | None:
    if value is None:
        return None
    if target == baseline:
        return 100.0 if value == target else 0.0
    return round(max(0.0, min(1.0, (value - baseline) / (target - baseline))) * 100, 1)


def expected_progress(start: dt.date, deadline: dt.date, on: dt.date) -> float:
    span = (deadline - start).days
    if span <= 0:
        return 100.0
    return round(max(0.0, min(1.0, (on - start).days / span)) * 100, 1)


def is_overdue(task, on: dt.date | None = None) -> bool:
    return task.state == "open" and task.deadline < (on or today())


def is_off_track(task, start: dt.date, on: dt.date | None = None) -> bool:
    on = on or today()
    return task.state == "open" and task.progress + OFF_TRACK_TOLERANCE < expected_progress(start, task.deadline, on)


def _weighted(items) -> float:
    total = sum(w for w, _ in items)
    return round(sum(w * p for w, p in items) / total, 1) if total else 0.0


def tree_progress(tasks) -> dict[int, float]:
    """Progress % of each task of one goal, parents from their children (weighted)."""
    children = defaultdict(list)
    for t in tasks:
        children[t.parent_id].append(t)
    out: dict[int, float] = {}

    def visit(t) -> float:
        if t.pk in out:
            return out[t.pk]
        kids = [k for k in children.get(t.pk, []) if k.state != "cancelled"]
        if t.state == "done":
            p = 100.0
        elif kids:
            p = _weighted([(k.weight, visit(k)) for k in kids])
        else:
            p = float(t.progress)
        out[t.pk] = p
        return p

    for t in tasks:
        visit(t)
    return out


def goal_summary(goal, tasks=None, open_flags: int | None = None, on: dt.date | None = None) -> dict:
    """{"progress", "status", "status_label", "tasks", "done", "overdue", "open_flags"} of one goal."""
    on = on or today()
    tasks = list(goal.tasks.all()) if tasks is None else list(tasks)
    live = [t for t in tasks if t.state != "cancelled"]
    prog = tree_progress(live)
    top = [t for t in live if t.parent_id is None or t.parent_id not in prog]
    progress = _weighted([(t.weight, prog[t.pk]) for t in top])
    overdue = sum(1 for t in live if is_overdue(t, on))
    done = sum(1 for t in live if t.state == "done")
    if open_flags is None:
        from .models import SupervisionFlag

        open_flags = SupervisionFlag.objects.filter(task__goal=goal, resolved_at__isnull=True).count()
    if goal.state == "cancelled":
        status = "cancelled"
    elif goal.state == "closed" or (live and done == len(live)):
        status, progress = "done", 100.0 if live else progress
    elif not live:
        status = "not_started"
    elif overdue or goal.due_on < on:
        status = "overdue"
    elif open_flags:
        status = "at_risk"
    else:
        status = "on_track"
    return {
        "progress": progress,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "tasks": len(live),
        "done": done,
        "overdue": overdue,
        "open_flags": open_flags,
        "task_progress": prog,
    }


def summaries(goals, on: dt.date | None = None) -> dict[int, dict]:
    """goal_summary for many goals with two queries."""
    from .models import SupervisionFlag, Task

    goals = list(goals)
    ids = [g.pk for g in goals]
    by_goal = defaultdict(list)
    for t in Task.objects.filter(goal_id__in=ids):
        by_goal[t.goal_id].append(t)
    flags = defaultdict(int)
    for gid in SupervisionFlag.objects.filter(task__goal_id__in=ids, resolved_at__isnull=True).values_list(
        "task__goal_id", flat=True
    ):
        flags[gid] += 1
    return {g.pk: goal_summary(g, by_goal[g.pk], flags[g.pk], on) for g in goals}
