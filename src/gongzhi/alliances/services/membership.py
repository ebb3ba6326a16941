"""Membership: the cap of 3 alliances per unit (5 with a special approval), invitations and
applications to join, exits and removals after a review.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.core.events import emit
from gongzhi.org.models import Unit

from .. import contracts
from .. import permissions as ap
from ..contracts import AllianceError
from ..models import (
    MAX_ALLIANCES,
    MAX_ALLIANCES_SPECIAL,
    Alliance,
    AllianceMember,
    Attendance,
    Meeting,
    Participation,
    ResourceSupply,
    Suggestion,
    Task,
)
from .common import M, _alliance_ref, _require_active, _text, _today


def active_memberships(unit: Unit):
    return AllianceMember.objects.filter(
        unit=unit, status=M.ACTIVE, alliance__status=Alliance.Status.ESTABLISHED
    ).select_related("alliance")


def _cap_check(unit: Unit, *, justification: str = "", actor, alliance: Alliance | None = None) -> bool:
    """Refuse a join beyond the cap, naming the unit's current alliances. Returns True when the join
    is beyond 3 and allowed by a recorded special approval."""
    current = [m.alliance for m in active_memberships(unit)]
    names = "、".join(a.name for a in current)
    if len(current) >= MAX_ALLIANCES_SPECIAL:
        raise DomainError(
            f"{unit.name}已加入{len(current)}个党建联合体（{names}），已达特批上限{MAX_ALLIANCES_SPECIAL}个，"
            f"不能再加入；请先退出其中一个",
            field="unit",
            code=AllianceError.ALLIANCE_CAP,
        )
    if len(current) >= MAX_ALLIANCES:
        if not justification.strip():
            raise DomainError(
                f"{unit.name}已加入{len(current)}个党建联合体（{names}），每个单位最多加入{MAX_ALLIANCES}个；"
                f"确有特殊需要的，须经街道(乡镇)党(工)委特批并填写特批理由，最多{MAX_ALLIANCES_SPECIAL}个",
                field="special_justification",
                code=AllianceError.ALLIANCE_CAP,
            )
        _text(justification, "special_justification", "特批理由")
        targets = [t for t in (alliance, unit) if t is not None]
        if not any(ap.allowed(actor, ap.APPROVE, t) for t in targets):
            raise Forbidden("超过3个的加入须由街道(乡镇)及以上党组织特批，您没有特批权限")
        return True
    return False


@transaction.atomic
def invite(alliance: Alliance, unit: Unit, *, actor, on: dt.date | None = None) -> AllianceMember:
    ap.require(actor, ap.MANAGE, alliance)
    _require_active(alliance)
    return _open_membership(alliance, unit, AllianceMember.Via.INVITATION, on)


@transaction.atomic
def apply_to_join(alliance: Alliance, unit: Unit, *, actor, on: dt.date | None = None) -> AllianceMember:
    ap.require(actor, ap.APPLY, unit)
    _require_active(alliance)
    return _open_membership(alliance, unit, AllianceMember.Via.APPLICATION, on)


def _open_membership(alliance, unit, via, on) -> AllianceMember:
    if AllianceMember.objects.filter(alliance=alliance, unit=unit, status__in=[M.PENDING, M.ACTIVE]).exists():
        raise Conflict(f"{unit.name}已是{alliance.name}的成员或已有待确认的加入申请")
    if unit.status != Unit.Status.ESTABLISHED:
        raise DomainError(f"{unit.name}尚未成立或已撤销，不能加入联合体", field="unit")
    on = _today(on)
    m = AllianceMember.objects.create(alliance=alliance, unit=unit, via=via, status=M.PENDING, requested_on=on)
    emit(
        contracts.MEMBER_REQUESTED,
        aggregate_type="alliance",
        aggregate_id=alliance.code,
        region=alliance.region,
        payload={**_alliance_ref(alliance), "unit": unit.code, "via": via},
    )
    return m


@transaction.atomic
def accept_membership(
    member: AllianceMember, *, accept: bool = True, special_justification: str = "", actor, on: dt.date | None = None
) -> AllianceMember:
    """An invitation is answered by the invited unit; an application is decided by the alliance.
    A join beyond 3 alliances needs a special approval whose justification is recorded."""
    # Only the member row is locked (not the joined alliance and unit: issue 17); the unit's row is
    # locked below, after it, for the cap check.
    member = (
        AllianceMember.objects.select_for_update(of=("self",), no_key=True)
        .select_related("alliance", "unit")
        .get(pk=member.pk)
    )
    alliance, unit = member.alliance, member.unit
    if member.via == AllianceMember.Via.INVITATION:
        ap.require(actor, ap.APPLY, unit)
    else:
        ap.require(actor, ap.MANAGE, alliance)
    if member.status != M.PENDING:
        raise Conflict(f"该加入请求已处理（{member.get_status_display()}）")
    on = _today(on)
    if accept:
        _require_active(alliance)
        # Joins of one unit queue here, so two at once cannot both pass the cap.
        Unit.objects.select_for_update(of=("self",), no_key=True).filter(pk=unit.pk).first()
        beyond = _cap_check(unit, justification=special_justification, actor=actor, alliance=alliance)
        member.status = M.ACTIVE
        member.joined_on = on
        if beyond:
            member.beyond_cap = True
            member.special_justification = special_justification.strip()
            member.special_approved_by = actor if getattr(actor, "is_authenticated", False) else None
    else:
        member.status = M.DECLINED
        member.ended_on = on
    member.save()
    emit(
        contracts.MEMBER_JOINED if accept else contracts.MEMBER_DECLINED,
        aggregate_type="alliance",
        aggregate_id=alliance.code,
        region=alliance.region,
        actor=actor,
        payload={
            **_alliance_ref(alliance),
            "unit": unit.code,
            "unit_name": unit.name,
            "beyond_cap": member.beyond_cap,
            "special_justification": member.special_justification,
        },
    )
    return member


@transaction.atomic
def exit_alliance(member: AllianceMember, *, summary: str, actor, on: dt.date | None = None) -> AllianceMember:
    """A unit whose task is done exits with a short summary; the history stays."""
    member = (
        AllianceMember.objects.select_for_update(of=("self",), no_key=True)
        .select_related("alliance", "unit")
        .get(pk=member.pk)
    )
    ap.require(actor, ap.APPLY, member.unit, member.alliance)
    summary = _text(summary, "summary", "任务完成情况小结", 300)
    _end(member, M.EXITED, on)
    member.exit_summary = summary
    member.save()
    emit(
        contracts.MEMBER_EXITED,
        aggregate_type="alliance",
        aggregate_id=member.alliance.code,
        region=member.alliance.region,
        actor=actor,
        payload={**_alliance_ref(member.alliance), "unit": member.unit.code, "summary": summary},
    )
    return member


def participation_summary(member: AllianceMember, *, since: dt.date | None = None) -> dict:
    """What a member unit has done in the alliance (for the removal review)."""
    a, u = member.alliance, member.unit
    since = since or member.joined_on or a.established_on
    return {
        "meetings_attended": Attendance.objects.filter(
            meeting__alliance=a, unit=u, meeting__held_on__gte=since
        ).count(),
        "meetings_held": Meeting.objects.filter(alliance=a, held_on__gte=since).count(),
        "suggestions": Suggestion.objects.filter(alliance=a, unit=u, made_on__gte=since).count(),
        "supplies": ResourceSupply.objects.filter(alliance=a, unit=u, supplied_on__gte=since).count(),
        "activities": Participation.objects.filter(activity__alliance=a, unit=u, activity__held_on__gte=since).count(),
        "tasks_done": Task.objects.filter(alliance=a, owner_unit=u, completed_on__gte=since).count(),
    }


@transaction.atomic
def remove_member(member: AllianceMember, *, review: str, actor, on: dt.date | None = None) -> AllianceMember:
    """A unit that does not take part is removed after a review (the conclusion and its record are kept)."""
    member = (
        AllianceMember.objects.select_for_update(of=("self",), no_key=True)
        .select_related("alliance", "unit")
        .get(pk=member.pk)
    )
    ap.require(actor, ap.APPROVE, member.alliance)
    review = _text(review, "review", "评议结论", 300)
    facts = participation_summary(member)
    _end(member, M.REMOVED, on)
    member.removal_review = review
    member.save()
    emit(
        contracts.MEMBER_REMOVED,
        aggregate_type="alliance",
        aggregate_id=member.alliance.code,
        region=member.alliance.region,
        actor=actor,
        payload={**_alliance_ref(member.alliance), "unit": member.unit.code, "review": review, "record": facts},
    )
    return member


def _end(member: AllianceMember, status, on) -> None:
    if member.status != M.ACTIVE:
        raise Conflict(f"{member.unit.name}当前不是在册成员（{member.get_status_display()}）")
    if member.role == AllianceMember.Role.LEAD:
        raise DomainError("牵头单位不能退出或被移出；如联合体任务完成，请由审批党组织撤销联合体", field="unit")
    member.status = status
    member.ended_on = _today(on)
