"""Goals from their sources (alliance goals, consultation decisions, directives), closing them, and
feedback on them.

Part of :mod:`gongzhi.plans.services`.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from gongzhi.core import approvals
from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.events import emit
from gongzhi.org.models import Unit

from .. import contracts as C
from .. import perms as P
from ..models import (
    Feedback,
    Goal,
    Link,
    SourceKind,
    Task,
)
from .common import _bump, _date, _goal_payload, _now, _text, _today, _user
from .reading import visible_goals
from .records import _link

# ----------------------------------------------------------------- goals


@transaction.atomic
def create_goal(
    actor,
    *,
    title: str,
    source_kind: str,
    lead_unit: Unit | None,
    starts_on,
    due_on,
    region=None,
    description: str = "",
    alliance_goal=None,
    follow_up=None,
    directive_ref: str = "",
    directive_issuer: Unit | None = None,
    budget=None,
) -> Goal:
    """A goal from its source: an approved alliance goal, a consultation decision (a passed vote's
    follow-up) or a directive from above (document number and issuing unit)."""
    title = _text(title, "title", "请填写目标名称", 200)
    if source_kind not in SourceKind.values:
        raise DomainError("请选择目标来源：党建联合体目标、议事协商决定或上级部署", field="source_kind")
    if source_kind == SourceKind.ALLIANCE:
        if alliance_goal is None:
            raise DomainError("请选择来源的党建联合体目标", field="alliance_goal")
        if alliance_goal.status != "approved":
            raise DomainError(
                f"联合体目标“{alliance_goal.title}”尚未经上级党组织批准，不能立项分解", field="alliance_goal"
            )
        region = region or alliance_goal.alliance.region
        follow_up, directive_ref, directive_issuer = None, "", None
    elif source_kind == SourceKind.CONSULTATION:
        if follow_up is None:
            raise DomainError("请选择来源的议事协商决定（表决通过后的落实事项）", field="follow_up")
        region = region or follow_up.region
        alliance_goal, directive_ref, directive_issuer = None, "", None
    else:
        directive_ref = _text(directive_ref, "directive_ref", "请填写上级部署的文件文号", 80)
        if directive_issuer is None:
            raise DomainError("请选择部署单位", field="directive_issuer")
        alliance_goal = follow_up = None
    if region is None:
        raise DomainError("请选择目标所在区域", field="region")
    if source_kind == SourceKind.DIRECTIVE and not region.path.startswith(directive_issuer.region.path):
        raise DomainError(
            f"部署单位{directive_issuer.name}不是{region.name}的上级，不能作为上级部署的来源", field="directive_issuer"
        )
    P.require(actor, P.MANAGE, region)
    if lead_unit is None:
        raise DomainError("请指定牵头单位", field="lead_unit")
    starts_on = _date(starts_on, "starts_on", "请填写开始日期")
    due_on = _date(due_on, "due_on", "请填写完成时限")
    if due_on < starts_on:
        raise DomainError("完成时限不能早于开始日期", field="due_on")
    goal = Goal.objects.create(
        title=title,
        description=(description or "").strip(),
        source_kind=source_kind,
        alliance_goal=alliance_goal,
        follow_up=follow_up,
        directive_ref=directive_ref,
        directive_issuer=directive_issuer,
        region=region,
        lead_unit=lead_unit,
        starts_on=starts_on,
        due_on=due_on,
        created_by=_user(actor),
    )
    # 三重一大: a goal whose budget is above the threshold needs an approved major-project matter
    approvals.require_approved(
        "major_project",
        ("plan_goal", region.code),
        budget,
        actor=actor,
        region=region,
        effect_ref=goal.pk,
        field="budget",
    )
    if follow_up is not None:
        _link(actor, goal, None, Link.Kind.FOLLOW_UP, follow_up.pk)
        if follow_up.vote_id:
            _link(actor, goal, None, Link.Kind.VOTE, follow_up.vote_id)
    payload = _goal_payload(goal)
    payload.update(
        {
            "alliance_goal": alliance_goal.pk if alliance_goal else None,
            "follow_up": follow_up.pk if follow_up else None,
            "directive_ref": directive_ref,
        }
    )
    emit(C.GOAL_CREATED, aggregate_type="plan_goal", aggregate_id=goal.pk, region=region, actor=actor, payload=payload)
    return goal


@transaction.atomic
def close_goal(actor, goal: Goal, *, version: int | None = None, cancel: bool = False, reason: str = "") -> Goal:
    P.require(actor, P.MANAGE, goal)
    if goal.state != Goal.State.ACTIVE:
        raise DomainError(f"目标已{goal.get_state_display()}，不能再关闭", field="state")
    if cancel:
        reason = _text(reason, "reason", "撤销目标须说明理由", 300)
        _bump(Goal, goal, version, state=Goal.State.CANCELLED, closed_on=_today())
        goal.tasks.filter(state=Task.State.OPEN).update(state=Task.State.CANCELLED, version=F("version") + 1)
        kind = C.GOAL_CANCELLED
    else:
        open_tasks = list(goal.tasks.filter(state=Task.State.OPEN).values_list("title", flat=True)[:5])
        if open_tasks:
            raise DomainError(f"还有未完成的任务：{'、'.join(open_tasks)}；请先完成或经调整撤销", field="state")
        if not goal.tasks.filter(state=Task.State.DONE).exists():
            raise DomainError("目标没有已完成的任务，不能作为完成关闭", field="state")
        _bump(Goal, goal, version, state=Goal.State.CLOSED, closed_on=_today())
        kind = C.GOAL_CLOSED
    emit(
        kind,
        aggregate_type="plan_goal",
        aggregate_id=goal.pk,
        region=goal.region,
        actor=actor,
        payload={**_goal_payload(goal), "reason": reason},
    )
    return goal


# ----------------------------------------------------------------- feedback


@transaction.atomic
def add_feedback(
    actor, goal: Goal, *, source: str, text: str, rating: str = "", task: Task | None = None, unit: Unit | None = None
) -> Feedback:
    """Feedback from a resident (recorded by staff or the resident) or from a unit."""
    if not visible_goals(actor).filter(pk=goal.pk).exists():
        raise Forbidden(f"无权对{goal.region.name}的目标提出反馈：不在您的管辖范围内")
    if source not in Feedback.Source.values:
        raise DomainError("请选择反馈方：居民或单位", field="source")
    text = _text(text, "text", "请填写反馈内容", 500)
    if rating and rating not in Feedback.Rating.values:
        raise DomainError("评价应为满意、基本满意或不满意", field="rating")
    if source == Feedback.Source.UNIT and unit is None:
        raise DomainError("单位反馈请注明反馈单位", field="unit")
    if task is not None and task.goal_id != goal.pk:
        raise DomainError("该任务不属于这个目标", field="task")
    fb = Feedback.objects.create(
        goal=goal,
        task=task,
        source=source,
        unit=unit if source == "unit" else None,
        rating=rating or "",
        text=text,
        by=_user(actor),
        at=_now(),
    )
    emit(
        C.FEEDBACK_RECEIVED,
        aggregate_type="plan_goal",
        aggregate_id=goal.pk,
        region=goal.region,
        actor=actor,
        payload={
            "source": source,
            "rating": rating,
            "task": task.pk if task else None,
            "unit": unit.code if unit and source == "unit" else None,
        },
    )
    return fb
