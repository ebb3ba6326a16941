"""Goals: proposed and discussed by the members, argued by the four principles (因需、管用、精简、高效)
and approved by the higher party organisation.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError
from gongzhi.core.events import emit
from gongzhi.org.models import Unit

from .. import contracts
from .. import permissions as ap
from ..contracts import AllianceError
from ..models import Alliance, Goal, Suggestion
from .common import _alliance_ref, _check_approver, _require_active, _require_member, _text, _today, approving_unit_for

PRINCIPLES = (("need", "因需"), ("useful", "管用"), ("lean", "精简"), ("efficient", "高效"))


@transaction.atomic
def propose_goal(
    alliance: Alliance,
    unit: Unit,
    *,
    title: str,
    description: str = "",
    need: str = "",
    useful: str = "",
    lean: str = "",
    efficient: str = "",
    actor,
    on: dt.date | None = None,
) -> Goal:
    ap.require(actor, ap.APPLY, unit, alliance)
    _require_active(alliance)
    _require_member(alliance, unit)
    on = _today(on)
    goal = Goal.objects.create(
        alliance=alliance,
        proposed_by=unit,
        title=_text(title, "title", "目标", 200),
        description=_text(description, "description", "说明", 2000, required=False),
        need=_text(need, "need", "因需", 200, False),
        useful=_text(useful, "useful", "管用", 200, False),
        lean=_text(lean, "lean", "精简", 200, False),
        efficient=_text(efficient, "efficient", "高效", 200, False),
        proposed_on=on,
    )
    Suggestion.objects.create(alliance=alliance, unit=unit, text=f"提出目标：{goal.title}"[:300], made_on=on, goal=goal)
    return goal


@transaction.atomic
def discuss_goal(goal: Goal, unit: Unit, text: str, *, actor, on: dt.date | None = None) -> Suggestion:
    ap.require(actor, ap.APPLY, unit, goal.alliance)
    _require_member(goal.alliance, unit)
    if goal.status != Goal.Status.PROPOSED:
        raise DomainError("该目标已报送上级，讨论已结束", code=CoreError.INVALID_STATE)
    return Suggestion.objects.create(
        alliance=goal.alliance, unit=unit, text=_text(text, "text", "意见", 300), made_on=_today(on), goal=goal
    )


@transaction.atomic
def submit_goal(
    goal: Goal,
    *,
    need: str | None = None,
    useful: str | None = None,
    lean: str | None = None,
    efficient: str | None = None,
    actor,
    on: dt.date | None = None,
) -> Goal:
    """The agreed goal goes to the higher party organisation: only with all four principles argued."""
    ap.require(actor, ap.MANAGE, goal.alliance)
    if goal.status != Goal.Status.PROPOSED:
        raise Conflict(f"该目标已{goal.get_status_display()}")
    for field, value in (("need", need), ("useful", useful), ("lean", lean), ("efficient", efficient)):
        if value is not None:
            setattr(goal, field, _text(value, field, dict(PRINCIPLES)[field], 200, False))
    missing = [label for field, label in PRINCIPLES if not getattr(goal, field).strip()]
    if missing:
        raise DomainError(
            f"目标须按“因需、管用、精简、高效”原则论证后报送；尚缺：{'、'.join(missing)}",
            field=dict((label, f) for f, label in PRINCIPLES)[missing[0]],
            code=AllianceError.PRINCIPLES,
        )
    goal.status = Goal.Status.SUBMITTED
    goal.submitted_on = _today(on)
    goal.save()
    return goal


@transaction.atomic
def decide_goal(
    goal: Goal, *, approve: bool, approver_unit: Unit | None = None, reason: str = "", actor, on: dt.date | None = None
) -> Goal:
    """The higher party organisation approves: only approved goals are active."""
    alliance = goal.alliance
    ap.require(actor, ap.APPROVE, alliance)
    if goal.status != Goal.Status.SUBMITTED:
        raise DomainError("只有已报送上级的目标可以批复", code=CoreError.INVALID_STATE)
    approver_unit = approver_unit or alliance.approver_unit or approving_unit_for(alliance.region)
    _check_approver(approver_unit, alliance.region, "联合体目标")
    goal.decision_reason = _text(
        reason, "reason", "不予批准的理由" if not approve else "批复意见", 300, required=not approve
    )
    goal.status = Goal.Status.APPROVED if approve else Goal.Status.REJECTED
    goal.decided_on = _today(on)
    goal.decided_by_unit = approver_unit
    goal.save()
    emit(
        contracts.GOAL_APPROVED if approve else contracts.GOAL_REJECTED,
        aggregate_type="alliance",
        aggregate_id=alliance.code,
        region=alliance.region,
        actor=actor,
        payload={
            **_alliance_ref(alliance),
            "goal": goal.title,
            "approver": approver_unit.name,
            "reason": goal.decision_reason,
        },
    )
    return goal


def active_goals(alliance: Alliance):
    return alliance.goals.filter(status=Goal.Status.APPROVED)
