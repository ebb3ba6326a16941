"""Reading goals and tasks within the user's scope, the task inbox, who may act, and a goal's timeline.

Part of :mod:`gongzhi.plans.services`.
"""

from __future__ import annotations

from django.db.models import Q

from gongzhi.core.errors import NotFound

from .. import perms as P
from ..models import (
    Adjustment,
    Goal,
    ProgressUpdate,
    SupervisionFlag,
    Task,
)

# ----------------------------------------------------------------- reading


def visible_goals(user):
    """Goals of the user's region subtree, and goals above it with a task in the subtree or of the user's units."""
    qs = Goal.objects.select_related("region", "lead_unit")
    if P.perm.is_system(user):
        return qs
    own = P.scope(user, Goal.objects.all()).values("pk")
    via_tasks = P.scope(user, Task.objects.all()).values("goal_id")
    acted = P.tasks_acted_for(user, Task.objects.all()).values("goal_id")
    return qs.filter(Q(pk__in=own) | Q(pk__in=via_tasks) | Q(pk__in=acted))


def visible_tasks(user):
    return P.scope(user, Task.objects.select_related("goal", "unit", "region"))


def get_goal(user, pk) -> Goal:
    g = visible_goals(user).filter(pk=pk).first()
    if g is None:
        raise NotFound("目标不存在或不在您的管辖范围内")
    return g


def get_task(user, pk) -> Task:
    t = Task.objects.select_related("goal", "unit", "region").filter(pk=pk).first()
    if t is None or not (P.allowed(user, P.VIEW, t) or P.acts_for(user, t.unit)):
        raise NotFound("任务不存在或不在您的管辖范围内")
    return t


def inbox(user):
    """Open tasks of the units the user acts for, due soonest first."""
    return P.tasks_acted_for(
        user, Task.objects.filter(state=Task.State.OPEN, goal__state=Goal.State.ACTIVE).select_related("goal", "unit")
    ).order_by("deadline", "id")


def can_manage(user, goal) -> bool:
    return P.allowed(user, P.MANAGE, goal)


def can_act(user, task) -> bool:
    return P.acts_for(user, task.unit) or P.allowed(user, P.MANAGE, task.goal)


def _require_act(user, task) -> None:
    if P.allowed(user, P.MANAGE, task.goal):
        return
    P.require_acts_for(user, task)


# ----------------------------------------------------------------- history


def timeline(goal: Goal) -> list[dict]:
    """Every dated record of the goal, oldest first: creation, tasks, progress, feedback, flags, adjustments."""
    items: list[dict] = [{"at": goal.created_at, "kind": "goal", "label": "目标立项", "text": goal.title, "task": None}]
    tasks = {t.pk: t for t in goal.tasks.all()}
    for t in tasks.values():
        items.append(
            {
                "at": t.created_at,
                "kind": "task",
                "label": "分解任务",
                "text": f"{t.title}（责任单位：{t.unit.name}，时限{t.deadline}）",
                "task": t,
            }
        )
    for u in ProgressUpdate.objects.filter(task__goal=goal).select_related("task", "reporter_unit", "reported_by"):
        who = u.reporter_unit.name if u.reporter_unit else (u.get_source_display())
        val = f"{u.value:g}{u.task.indicator_unit}，" if u.value is not None else ""
        items.append(
            {
                "at": u.at,
                "kind": "progress",
                "label": "进度报告",
                "text": f"{u.task.title}：{val}进度{u.progress:g}%（{who}）{u.note}",
                "task": u.task,
            }
        )
    for f in goal.feedback.select_related("unit", "task"):
        src = f.unit.name if f.unit else f.get_source_display()
        items.append(
            {
                "at": f.at,
                "kind": "feedback",
                "label": "反馈",
                "text": f"{src}：{f.text}" + (f"（{f.get_rating_display()}）" if f.rating else ""),
                "task": f.task,
            }
        )
    for fl in SupervisionFlag.objects.filter(task__goal=goal).select_related("task"):
        items.append(
            {
                "at": fl.raised_at,
                "kind": "flag",
                "label": f"督办：{fl.get_kind_display()}",
                "text": f"{fl.task.title}：{fl.detail}",
                "task": fl.task,
            }
        )
        if fl.resolved_at:
            items.append(
                {
                    "at": fl.resolved_at,
                    "kind": "flag_resolved",
                    "label": "督办解除",
                    "text": f"{fl.task.title}：{fl.resolution}",
                    "task": fl.task,
                }
            )
    for a in Adjustment.objects.filter(task__goal=goal).select_related("task"):
        ch = "；".join(f"{k}：{o} → {n}" for k, (o, n) in a.changes.items())
        items.append(
            {
                "at": a.requested_at,
                "kind": "adjustment",
                "label": f"{a.get_kind_display()}（{a.get_status_display()}）",
                "text": f"{a.task.title}：{ch}。理由：{a.reason}",
                "task": a.task,
            }
        )
    items.sort(key=lambda i: i["at"])
    return items
