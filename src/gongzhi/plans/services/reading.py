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
    from ..models import ReviewMeeting

    for m in ReviewMeeting.objects.filter(goal=goal, state=ReviewMeeting.State.HELD).prefetch_related(
        "judgements__task", "adjustments"
    ):
        counts: dict[str, int] = {}
        for j in m.judgements.all():
            label = j.get_status_display()
            counts[label] = counts.get(label, 0) + 1
        judged = "、".join(f"{k}{v}项" for k, v in counts.items())
        items.append(
            {
                "at": m.held_at or m.created_at,
                "kind": "review",
                "label": "会商研判",
                "text": f"{m.held_on}：研判{judged}；决定调整{len(m.adjustments.all())}项。{m.summary}",
                "task": None,
            }
        )
    labels = dict(LOOP)
    for i in items:
        i["stage"] = LOOP_STAGE.get(i["kind"], "decision")
        i["stage_label"] = labels[i["stage"]]
    items.sort(key=lambda i: i["at"])
    return items


# The closed loop decision → execution → feedback → supervision → adjustment (决策—执行—反馈—监督—调整,
# seed 001; seed 003's 定期会商研判 reads and judges, its adjustments are the loop's last step).
LOOP = (
    ("decision", "决策"),
    ("execution", "执行"),
    ("feedback", "反馈"),
    ("supervision", "监督"),
    ("adjustment", "调整"),
)
LOOP_STAGE = {
    "goal": "decision",
    "task": "decision",
    "progress": "execution",
    "feedback": "feedback",
    "flag": "supervision",
    "flag_resolved": "supervision",
    "review": "supervision",
    "adjustment": "adjustment",
}


def loop(items: list[dict]) -> list[dict]:
    """The loop's stages with how many records of the goal's timeline each holds and the latest one."""
    out = []
    for key, label in LOOP:
        mine = [i for i in items if i["stage"] == key]
        out.append({"key": key, "label": label, "count": len(mine), "last": max((i["at"] for i in mine), default=None)})
    return out
