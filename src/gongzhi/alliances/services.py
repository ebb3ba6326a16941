"""Alliance use cases: founding and approval, membership with its caps, goals, the
three lists and claims, the 1142 meetings and their compliance, funds, activities.

Scoring and the year-end review are in :mod:`gongzhi.alliances.rating`.
Every function checks the actor's permission, refuses bad input with a message
that says what to fix (writing nothing), and emits a domain event in its transaction.
"""

from __future__ import annotations

import calendar
import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from gongzhi.consult.contracts import ConsultError
from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.core.events import emit
from gongzhi.org.models import Unit

from . import contracts
from . import permissions as ap
from .contracts import AllianceError
from .models import (
    APPROVING_PARTY_KINDS,
    MAX_ALLIANCES,
    MAX_ALLIANCES_SPECIAL,
    Activity,
    Alliance,
    AllianceKind,
    AllianceMember,
    Attendance,
    FundEntry,
    Goal,
    ListItem,
    Meeting,
    Participation,
    ResourceSupply,
    Suggestion,
    Task,
    UnitReview,
    YearReview,
)

RECORD_GRACE_DAYS = 7  # a meeting recorded more than a week after it was held is a late record
KICKOFF_DAYS_AFTER_FOUNDING = 30  # the founding year's kick-off is due a month after establishment

M = AllianceMember.Status


def _today(on: dt.date | None) -> dt.date:
    return on or timezone.localdate()


def _text(value, field: str, label: str, max_len: int = 300, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"请填写{label}", field=field)
    if len(value) > max_len:
        raise DomainError(f"{label}过长（最多{max_len}个字）", field=field)
    return value


def _alliance_ref(a: Alliance) -> dict:
    return {"code": a.code, "name": a.name, "kind": a.kind}


# ------------------------------------------------------------------ membership caps

def active_memberships(unit: Unit):
    return AllianceMember.objects.filter(unit=unit, status=M.ACTIVE,
                                         alliance__status=Alliance.Status.ESTABLISHED).select_related("alliance")


def _cap_check(unit: Unit, *, justification: str = "", actor, alliance: Alliance | None = None) -> bool:
    """Refuse a join beyond the cap, naming the unit's current alliances. Returns True when the join
    is beyond 3 and allowed by a recorded special approval."""
    current = [m.alliance for m in active_memberships(unit)]
    names = "、".join(a.name for a in current)
    if len(current) >= MAX_ALLIANCES_SPECIAL:
        raise DomainError(
            f"{unit.name}已加入{len(current)}个党建联合体（{names}），已达特批上限{MAX_ALLIANCES_SPECIAL}个，"
            f"不能再加入；请先退出其中一个", field="unit", code=AllianceError.ALLIANCE_CAP)
    if len(current) >= MAX_ALLIANCES:
        if not justification.strip():
            raise DomainError(
                f"{unit.name}已加入{len(current)}个党建联合体（{names}），每个单位最多加入{MAX_ALLIANCES}个；"
                f"确有特殊需要的，须经街道(乡镇)党(工)委特批并填写特批理由，最多{MAX_ALLIANCES_SPECIAL}个",
                field="special_justification", code=AllianceError.ALLIANCE_CAP)
        _text(justification, "special_justification", "特批理由")
        targets = [t for t in (alliance, unit) if t is not None]
        if not any(ap.allowed(actor, ap.APPROVE, t) for t in targets):
            raise Forbidden("超过3个的加入须由街道(乡镇)及以上党组织特批，您没有特批权限")
        return True
    return False


# ------------------------------------------------------------------ founding

def approving_unit_for(region) -> Unit | None:
    """The township/street party committee of ``region`` (the default approver)."""
    street = region.ancestor_at("street")
    if street is None:
        return None
    return Unit.objects.filter(region=street, kind__in=["party_street", "party_township"]).first()


def _next_code(region) -> str:
    prefix = f"LHT-{region.code}-"
    n = Alliance.objects.filter(code__startswith=prefix).count() + 1
    while Alliance.objects.filter(code=f"{prefix}{n:03d}").exists():
        n += 1
    return f"{prefix}{n:03d}"


@transaction.atomic
def apply_alliance(*, lead_unit: Unit, kind: str, name: str, purpose: str, members: list[Unit],
                   initial_needs: str = "", partner_province: str = "", partner_unit_name: str = "",
                   actor, on: dt.date | None = None) -> Alliance:
    """A lead unit applies to found an alliance."""
    ap.require(actor, ap.APPLY, lead_unit)
    if kind not in AllianceKind.values:
        raise DomainError(f"联合体类型必须是：{'、'.join(str(l) for l in AllianceKind.labels)}", field="kind")
    name = _text(name, "name", "联合体名称", 120)
    purpose = _text(purpose, "purpose", "组建目的", 1000)
    initial_needs = _text(initial_needs, "initial_needs", "初步需求", 1000, required=False)
    members = [u for u in dict.fromkeys(members) if u.pk != lead_unit.pk]
    if not members:
        raise DomainError("请至少提出一个拟加入的成员单位（联合体由两个以上单位组成）", field="members")
    if kind == AllianceKind.CROSS_REGION:
        partner_province = _text(partner_province, "partner_province", "外省结对单位所在省份", 40)
        partner_unit_name = _text(partner_unit_name, "partner_unit_name", "外省结对单位名称", 120)
    for u in [lead_unit, *members]:
        if u.status != Unit.Status.ESTABLISHED:
            raise DomainError(f"{u.name}尚未成立或已撤销，不能加入联合体", field="members")
        # A unit already at 3 alliances cannot be proposed: the special approval is for individual joins.
        _cap_check(u, actor=actor)
    on = _today(on)
    alliance = Alliance.objects.create(
        code=_next_code(lead_unit.region), name=name, kind=kind, purpose=purpose, initial_needs=initial_needs,
        lead_unit=lead_unit, region=lead_unit.region, partner_province=partner_province.strip(),
        partner_unit_name=partner_unit_name.strip(), applied_on=on,
        applied_by=actor if getattr(actor, "is_authenticated", False) else None)
    alliance.proposed_members.set(members)
    emit(contracts.APPLIED, aggregate_type="alliance", aggregate_id=alliance.code, region=alliance.region,
         actor=actor, payload={**_alliance_ref(alliance), "lead_unit": lead_unit.code,
                               "members": [u.code for u in members]})
    return alliance


def _check_approver(approver_unit: Unit, alliance_region, what: str) -> None:
    if approver_unit.kind not in APPROVING_PARTY_KINDS:
        raise DomainError(
            f"{approver_unit.name}不是乡镇(街道)党(工)委或更高一级党组织，无权审批{what}", field="approver_unit",
            code=AllianceError.APPROVER_LEVEL)
    if not alliance_region.path.startswith(approver_unit.region.path):
        raise DomainError(f"{approver_unit.name}不是{alliance_region.name}的上级党组织，无权审批{what}",
                          field="approver_unit", code=AllianceError.APPROVER_LEVEL)


@transaction.atomic
def decide_application(alliance: Alliance, *, approve: bool, reason: str = "", approver_unit: Unit | None = None,
                       actor, on: dt.date | None = None) -> Alliance:
    """The township/street party committee (or a higher one) approves or rejects, with a reason."""
    ap.require(actor, ap.APPROVE, alliance)
    alliance = Alliance.objects.select_for_update(of=("self",), no_key=True).get(pk=alliance.pk)
    if alliance.status != Alliance.Status.APPLIED:
        raise Conflict(f"该申请已处理（{alliance.get_status_display()}），不能重复审批")
    approver_unit = approver_unit or approving_unit_for(alliance.region)
    if approver_unit is None:
        raise DomainError("请选择审批党组织", field="approver_unit")
    _check_approver(approver_unit, alliance.region, "成立党建联合体")
    reason = _text(reason, "reason", "不予批准的理由" if not approve else "审批意见", 300, required=not approve)
    on = _today(on)
    members = list(alliance.proposed_members.all())
    if approve:
        for u in [alliance.lead_unit, *members]:
            _cap_check(u, actor=actor)
    alliance.status = Alliance.Status.ESTABLISHED if approve else Alliance.Status.REJECTED
    alliance.approver_unit = approver_unit
    alliance.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    alliance.decided_on = on
    alliance.decision_reason = reason
    if approve:
        alliance.established_on = on
        AllianceMember.objects.create(alliance=alliance, unit=alliance.lead_unit, role=AllianceMember.Role.LEAD,
                                      via=AllianceMember.Via.FOUNDING, status=M.ACTIVE,
                                      requested_on=alliance.applied_on, joined_on=on)
        for u in members:
            AllianceMember.objects.create(alliance=alliance, unit=u, via=AllianceMember.Via.FOUNDING, status=M.ACTIVE,
                                          requested_on=alliance.applied_on, joined_on=on)
    alliance.version += 1
    alliance.save()
    emit(contracts.APPROVED if approve else contracts.REJECTED, aggregate_type="alliance",
         aggregate_id=alliance.code, region=alliance.region, actor=actor,
         payload={**_alliance_ref(alliance), "approver": approver_unit.name, "reason": reason,
                  "decided_on": on.isoformat(), "members": [alliance.lead_unit.code, *[u.code for u in members]]
                  if approve else []})
    if approve:
        generate_meetings(alliance, on.year)
    return alliance


def _require_active(alliance: Alliance) -> None:
    if alliance.status != Alliance.Status.ESTABLISHED:
        raise DomainError(f"{alliance.name}尚未成立或已撤销（{alliance.get_status_display()}）", code=CoreError.INVALID_STATE)


def is_member(alliance: Alliance, unit: Unit) -> bool:
    return AllianceMember.objects.filter(alliance=alliance, unit=unit, status=M.ACTIVE).exists()


def _require_member(alliance: Alliance, unit: Unit, field: str = "unit") -> None:
    if not is_member(alliance, unit):
        raise DomainError(f"{unit.name}不是{alliance.name}的在册成员单位", field=field, code=ConsultError.NOT_MEMBER)


# ------------------------------------------------------------------ joining and leaving

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
    emit(contracts.MEMBER_REQUESTED, aggregate_type="alliance", aggregate_id=alliance.code, region=alliance.region,
         payload={**_alliance_ref(alliance), "unit": unit.code, "via": via})
    return m


@transaction.atomic
def accept_membership(member: AllianceMember, *, accept: bool = True, special_justification: str = "",
                      actor, on: dt.date | None = None) -> AllianceMember:
    """An invitation is answered by the invited unit; an application is decided by the alliance.
    A join beyond 3 alliances needs a special approval whose justification is recorded."""
    # Only the member row is locked (not the joined alliance and unit: issue 17); the unit's row is
    # locked below, after it, for the cap check.
    member = AllianceMember.objects.select_for_update(of=("self",), no_key=True).select_related(
        "alliance", "unit").get(pk=member.pk)
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
    emit(contracts.MEMBER_JOINED if accept else contracts.MEMBER_DECLINED, aggregate_type="alliance",
         aggregate_id=alliance.code, region=alliance.region, actor=actor,
         payload={**_alliance_ref(alliance), "unit": unit.code, "unit_name": unit.name,
                  "beyond_cap": member.beyond_cap, "special_justification": member.special_justification})
    return member


@transaction.atomic
def exit_alliance(member: AllianceMember, *, summary: str, actor, on: dt.date | None = None) -> AllianceMember:
    """A unit whose task is done exits with a short summary; the history stays."""
    member = AllianceMember.objects.select_for_update(of=("self",), no_key=True).select_related(
        "alliance", "unit").get(pk=member.pk)
    ap.require(actor, ap.APPLY, member.unit, member.alliance)
    summary = _text(summary, "summary", "任务完成情况小结", 300)
    _end(member, M.EXITED, on)
    member.exit_summary = summary
    member.save()
    emit(contracts.MEMBER_EXITED, aggregate_type="alliance", aggregate_id=member.alliance.code,
         region=member.alliance.region, actor=actor,
         payload={**_alliance_ref(member.alliance), "unit": member.unit.code, "summary": summary})
    return member


def participation_summary(member: AllianceMember, *, since: dt.date | None = None) -> dict:
    """What a member unit has done in the alliance (for the removal review)."""
    a, u = member.alliance, member.unit
    since = since or member.joined_on or a.established_on
    return {
        "meetings_attended": Attendance.objects.filter(meeting__alliance=a, unit=u,
                                                       meeting__held_on__gte=since).count(),
        "meetings_held": Meeting.objects.filter(alliance=a, held_on__gte=since).count(),
        "suggestions": Suggestion.objects.filter(alliance=a, unit=u, made_on__gte=since).count(),
        "supplies": ResourceSupply.objects.filter(alliance=a, unit=u, supplied_on__gte=since).count(),
        "activities": Participation.objects.filter(activity__alliance=a, unit=u, activity__held_on__gte=since).count(),
        "tasks_done": Task.objects.filter(alliance=a, owner_unit=u, completed_on__gte=since).count(),
    }


@transaction.atomic
def remove_member(member: AllianceMember, *, review: str, actor, on: dt.date | None = None) -> AllianceMember:
    """A unit that does not take part is removed after a review (the conclusion and its record are kept)."""
    member = AllianceMember.objects.select_for_update(of=("self",), no_key=True).select_related(
        "alliance", "unit").get(pk=member.pk)
    ap.require(actor, ap.APPROVE, member.alliance)
    review = _text(review, "review", "评议结论", 300)
    facts = participation_summary(member)
    _end(member, M.REMOVED, on)
    member.removal_review = review
    member.save()
    emit(contracts.MEMBER_REMOVED, aggregate_type="alliance", aggregate_id=member.alliance.code,
         region=member.alliance.region, actor=actor,
         payload={**_alliance_ref(member.alliance), "unit": member.unit.code, "review": review, "record": facts})
    return member


def _end(member: AllianceMember, status, on) -> None:
    if member.status != M.ACTIVE:
        raise Conflict(f"{member.unit.name}当前不是在册成员（{member.get_status_display()}）")
    if member.role == AllianceMember.Role.LEAD:
        raise DomainError("牵头单位不能退出或被移出；如联合体任务完成，请由审批党组织撤销联合体", field="unit")
    member.status = status
    member.ended_on = _today(on)


# ------------------------------------------------------------------ goals

PRINCIPLES = (("need", "因需"), ("useful", "管用"), ("lean", "精简"), ("efficient", "高效"))


@transaction.atomic
def propose_goal(alliance: Alliance, unit: Unit, *, title: str, description: str = "", need: str = "",
                 useful: str = "", lean: str = "", efficient: str = "", actor,
                 on: dt.date | None = None) -> Goal:
    ap.require(actor, ap.APPLY, unit, alliance)
    _require_active(alliance)
    _require_member(alliance, unit)
    on = _today(on)
    goal = Goal.objects.create(
        alliance=alliance, proposed_by=unit, title=_text(title, "title", "目标", 200),
        description=_text(description, "description", "说明", 2000, required=False),
        need=_text(need, "need", "因需", 200, False), useful=_text(useful, "useful", "管用", 200, False),
        lean=_text(lean, "lean", "精简", 200, False), efficient=_text(efficient, "efficient", "高效", 200, False),
        proposed_on=on)
    Suggestion.objects.create(alliance=alliance, unit=unit, text=f"提出目标：{goal.title}"[:300], made_on=on,
                              goal=goal)
    return goal


@transaction.atomic
def discuss_goal(goal: Goal, unit: Unit, text: str, *, actor, on: dt.date | None = None) -> Suggestion:
    ap.require(actor, ap.APPLY, unit, goal.alliance)
    _require_member(goal.alliance, unit)
    if goal.status != Goal.Status.PROPOSED:
        raise DomainError("该目标已报送上级，讨论已结束", code=CoreError.INVALID_STATE)
    return Suggestion.objects.create(alliance=goal.alliance, unit=unit, text=_text(text, "text", "意见", 300),
                                     made_on=_today(on), goal=goal)


@transaction.atomic
def submit_goal(goal: Goal, *, need: str | None = None, useful: str | None = None, lean: str | None = None,
                efficient: str | None = None, actor, on: dt.date | None = None) -> Goal:
    """The agreed goal goes to the higher party organisation: only with all four principles argued."""
    ap.require(actor, ap.MANAGE, goal.alliance)
    if goal.status != Goal.Status.PROPOSED:
        raise Conflict(f"该目标已{goal.get_status_display()}")
    for field, value in (("need", need), ("useful", useful), ("lean", lean), ("efficient", efficient)):
        if value is not None:
            setattr(goal, field, _text(value, field, dict(PRINCIPLES)[field], 200, False))
    missing = [label for field, label in PRINCIPLES if not getattr(goal, field).strip()]
    if missing:
        raise DomainError(f"目标须按“因需、管用、精简、高效”原则论证后报送；尚缺：{'、'.join(missing)}",
                          field=dict((label, f) for f, label in PRINCIPLES)[missing[0]], code=AllianceError.PRINCIPLES)
    goal.status = Goal.Status.SUBMITTED
    goal.submitted_on = _today(on)
    goal.save()
    return goal


@transaction.atomic
def decide_goal(goal: Goal, *, approve: bool, approver_unit: Unit | None = None, reason: str = "", actor,
                on: dt.date | None = None) -> Goal:
    """The higher party organisation approves: only approved goals are active."""
    alliance = goal.alliance
    ap.require(actor, ap.APPROVE, alliance)
    if goal.status != Goal.Status.SUBMITTED:
        raise DomainError("只有已报送上级的目标可以批复", code=CoreError.INVALID_STATE)
    approver_unit = approver_unit or alliance.approver_unit or approving_unit_for(alliance.region)
    _check_approver(approver_unit, alliance.region, "联合体目标")
    goal.decision_reason = _text(reason, "reason", "不予批准的理由" if not approve else "批复意见", 300,
                                 required=not approve)
    goal.status = Goal.Status.APPROVED if approve else Goal.Status.REJECTED
    goal.decided_on = _today(on)
    goal.decided_by_unit = approver_unit
    goal.save()
    emit(contracts.GOAL_APPROVED if approve else contracts.GOAL_REJECTED, aggregate_type="alliance",
         aggregate_id=alliance.code, region=alliance.region, actor=actor,
         payload={**_alliance_ref(alliance), "goal": goal.title, "approver": approver_unit.name,
                  "reason": goal.decision_reason})
    return goal


def active_goals(alliance: Alliance):
    return alliance.goals.filter(status=Goal.Status.APPROVED)


# ------------------------------------------------------------------ three lists, claims, tasks

@transaction.atomic
def add_list_item(alliance: Alliance, *, year: int, kind: str, title: str, unit: Unit, detail: str = "",
                  posts: int = 1, meets: ListItem | None = None, actor) -> ListItem:
    ap.require(actor, ap.APPLY, unit, alliance)
    _require_active(alliance)
    _require_member(alliance, unit)
    if kind not in ListItem.Kind.values:
        raise DomainError("清单必须是资源清单、需求清单或项目清单", field="kind")
    if not isinstance(posts, int) or posts < 1:
        raise DomainError("可认领岗位数至少为1", field="posts")
    if meets is not None:
        if kind != ListItem.Kind.RESOURCE or meets.kind != ListItem.Kind.NEED or meets.alliance_id != alliance.pk:
            raise DomainError("只有资源清单事项可以对接本联合体需求清单中的需求", field="meets")
    if ListItem.objects.filter(alliance=alliance, year=year, agreed_at__isnull=False).exists():
        raise DomainError(f"{year}年三张清单已在启动会议定；新增事项请在年度启动会记录前提出，或于次年启动会议定",
                          field="year", code=AllianceError.LISTS_AGREED)
    return ListItem.objects.create(alliance=alliance, year=year, kind=kind, title=_text(title, "title", "事项", 200),
                                   detail=_text(detail, "detail", "说明", 300, False), unit=unit, posts=posts,
                                   meets=meets)


@transaction.atomic
def agree_lists(alliance: Alliance, year: int, *, actor) -> int:
    """At the annual kick-off the alliance agrees its resource, need and project lists."""
    ap.require(actor, ap.MANAGE, alliance)
    kickoff = Meeting.objects.filter(alliance=alliance, year=year, kind=Meeting.Kind.KICKOFF,
                                     held_on__isnull=False).first()
    if kickoff is None:
        raise DomainError(f"三张清单须在{year}年启动会上议定：请先记录启动会", code=AllianceError.NO_KICKOFF)
    items = ListItem.objects.filter(alliance=alliance, year=year, agreed_at__isnull=True)
    kinds = set(items.values_list("kind", flat=True)) | set(
        ListItem.objects.filter(alliance=alliance, year=year).values_list("kind", flat=True))
    missing = [str(label) for value, label in ListItem.Kind.choices if value not in kinds]
    if missing:
        raise DomainError(f"三张清单须齐全，尚缺：{'、'.join(missing)}", code=AllianceError.LISTS_INCOMPLETE)
    n = items.update(agreed_at=kickoff)
    emit(contracts.LISTS_AGREED, aggregate_type="alliance", aggregate_id=alliance.code, region=alliance.region,
         actor=actor, payload={**_alliance_ref(alliance), "year": year,
                               "counts": {k: ListItem.objects.filter(alliance=alliance, year=year, kind=k).count()
                                          for k in ListItem.Kind.values}})
    return n


@transaction.atomic
def claim(item: ListItem, unit: Unit, *, owner_name: str, deadline: dt.date, post: str = "", actor,
          on: dt.date | None = None) -> Task:
    """A member claims a project (or a post in it); the claim becomes a task."""
    item = ListItem.objects.select_for_update(of=("self",), no_key=True).select_related("alliance").get(pk=item.pk)
    alliance = item.alliance
    ap.require(actor, ap.APPLY, unit, alliance)
    _require_active(alliance)
    _require_member(alliance, unit)
    if item.kind != ListItem.Kind.PROJECT:
        raise DomainError("只能认领项目清单中的项目或岗位", field="item")
    if item.agreed_at_id is None:
        raise DomainError("项目尚未在启动会上议定，暂不能认领", field="item", code=AllianceError.NOT_AGREED)
    taken = item.tasks.count()
    if taken >= item.posts:
        raise DomainError(f"该项目的{item.posts}个岗位均已被认领", field="item", code=AllianceError.POSTS_FULL)
    on = _today(on)
    if not isinstance(deadline, dt.date) or deadline < on:
        raise DomainError("完成时限不能早于认领日期", field="deadline")
    task = Task.objects.create(alliance=alliance, item=item, post=_text(post, "post", "岗位", 100, False),
                               owner_unit=unit, owner_name=_text(owner_name, "owner_name", "责任人", 40),
                               claimed_on=on, deadline=deadline)
    emit(contracts.TASK_CLAIMED, aggregate_type="alliance", aggregate_id=alliance.code, region=alliance.region,
         actor=actor, payload={**_alliance_ref(alliance), "project": item.title, "unit": unit.code,
                               "deadline": deadline.isoformat(), "personal": {"owner_name": task.owner_name}})
    return task


@transaction.atomic
def complete_task(task: Task, *, note: str, completed_on: dt.date | None = None, actor) -> Task:
    ap.require(actor, ap.APPLY, task.owner_unit, task.alliance)
    task = Task.objects.select_for_update(of=("self",), no_key=True).get(pk=task.pk)
    if task.completed_on is not None:
        raise Conflict(f"该任务已于{task.completed_on}记录完成")
    completed_on = _today(completed_on)
    if completed_on < task.claimed_on:
        raise DomainError("完成日期不能早于认领日期", field="completed_on")
    if completed_on > timezone.localdate():
        raise DomainError("完成日期不能晚于今天", field="completed_on")
    task.completion_note = _text(note, "note", "完成情况", 300)
    task.completed_on = completed_on
    task.save()
    emit(contracts.TASK_COMPLETED, aggregate_type="alliance", aggregate_id=task.alliance.code,
         region=task.alliance.region, actor=actor,
         payload={**_alliance_ref(task.alliance), "project": task.item.title, "unit": task.owner_unit.code,
                  "on_time": task.on_time})
    return task


@transaction.atomic
def supply_resource(alliance: Alliance, unit: Unit, *, description: str, on: dt.date | None = None,
                    item: ListItem | None = None, actor) -> ResourceSupply:
    ap.require(actor, ap.APPLY, unit, alliance)
    _require_active(alliance)
    _require_member(alliance, unit)
    if item is not None and (item.alliance_id != alliance.pk or item.kind == ListItem.Kind.PROJECT):
        raise DomainError("供给须对应本联合体的资源或需求清单事项", field="item")
    on = _today(on)
    if on > timezone.localdate():
        raise DomainError("供给日期不能晚于今天", field="supplied_on")
    return ResourceSupply.objects.create(alliance=alliance, unit=unit, item=item, supplied_on=on,
                                         description=_text(description, "description", "供给内容", 200))


@transaction.atomic
def add_suggestion(alliance: Alliance, unit: Unit, *, text: str, on: dt.date | None = None,
                   meeting: Meeting | None = None, actor) -> Suggestion:
    ap.require(actor, ap.APPLY, unit, alliance)
    _require_active(alliance)
    _require_member(alliance, unit)
    return Suggestion.objects.create(alliance=alliance, unit=unit, text=_text(text, "text", "建议内容", 300),
                                     made_on=_today(on), meeting=meeting)


@transaction.atomic
def adopt_suggestion(suggestion: Suggestion, *, actor) -> Suggestion:
    ap.require(actor, ap.MANAGE, suggestion.alliance)
    suggestion.adopted = True
    suggestion.save(update_fields=["adopted"])
    return suggestion


# ------------------------------------------------------------------ the 1142 meetings

def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def required_schedule(year: int, established_on: dt.date | None = None) -> list[tuple[str, int, dt.date]]:
    """The year's required meetings (kind, period, due date): 1 kick-off at the start of the year,
    1 progress meeting a month, 4 quarterly scheduling meetings, 2 half-yearly summary meetings.
    In the founding year, periods that ended before the founding are not required and the kick-off is due
    a month after founding."""
    slots: list[tuple[str, int, dt.date]] = []
    kickoff_due = dt.date(year, 1, 31)
    if established_on and established_on.year == year and established_on > dt.date(year, 1, 1):
        kickoff_due = min(established_on + dt.timedelta(days=KICKOFF_DAYS_AFTER_FOUNDING), dt.date(year, 12, 31))
    slots.append((Meeting.Kind.KICKOFF, 0, kickoff_due))
    slots += [(Meeting.Kind.PROGRESS, m, _month_end(year, m)) for m in range(1, 13)]
    slots += [(Meeting.Kind.SCHEDULING, q, _month_end(year, 3 * q)) for q in range(1, 5)]
    slots += [(Meeting.Kind.SUMMARY, h, _month_end(year, 6 * h)) for h in (1, 2)]
    if established_on and established_on.year == year:
        slots = [s for s in slots if s[0] == Meeting.Kind.KICKOFF or s[2] >= established_on]
    return slots


def generate_meetings(alliance: Alliance, year: int) -> int:
    """Create the year's required meeting slots (idempotent). Returns how many were added."""
    if alliance.established_on is None or year < alliance.established_on.year:
        return 0
    existing = set(Meeting.objects.filter(alliance=alliance, year=year, required=True)
                   .values_list("kind", "period"))
    new = [Meeting(alliance=alliance, kind=k, year=year, period=p, due_on=due, required=True)
           for k, p, due in required_schedule(year, alliance.established_on) if (k, p) not in existing]
    Meeting.objects.bulk_create(new)
    return len(new)


def supply_demand_pairs(alliance: Alliance, year: int) -> set[frozenset[int]]:
    """Member pairs with a direct supply–demand relation: a resource matched to a need, or a task
    claimed on another member's project."""
    pairs: set[frozenset[int]] = set()
    for a, b in ListItem.objects.filter(alliance=alliance, year=year, kind=ListItem.Kind.RESOURCE,
                                        meets__isnull=False).values_list("unit_id", "meets__unit_id"):
        if a != b:
            pairs.add(frozenset((a, b)))
    for a, b in Task.objects.filter(alliance=alliance, item__year=year).values_list("owner_unit_id", "item__unit_id"):
        if a != b:
            pairs.add(frozenset((a, b)))
    return pairs


@transaction.atomic
def open_signin(meeting: Meeting, *, actor) -> str:
    """Give the meeting a sign-in code for members to sign in with."""
    ap.require(actor, ap.MANAGE, meeting.alliance)
    if meeting.is_recorded:
        raise Conflict("会议已记录，签到已结束")
    if not meeting.signin_code:
        meeting.signin_code = f"{secrets.randbelow(10**6):06d}"
        meeting.save(update_fields=["signin_code"])
    return meeting.signin_code


@transaction.atomic
def sign_in(meeting: Meeting, unit: Unit, *, code: str, attendee: str = "", actor) -> Attendance:
    ap.require(actor, ap.APPLY, unit, meeting.alliance)
    if meeting.is_recorded:
        raise Conflict("会议已记录，签到已结束")
    if not meeting.signin_code or (code or "").strip() != meeting.signin_code:
        raise DomainError("签到码不正确", field="code")
    _require_member(meeting.alliance, unit)
    att, _created = Attendance.objects.get_or_create(
        meeting=meeting, unit=unit,
        defaults={"method": Attendance.Method.CODE, "attendee": _text(attendee, "attendee", "出席人", 40, False)})
    return att


@transaction.atomic
def record_meeting(meeting: Meeting | None = None, *, alliance: Alliance | None = None, kind: str | None = None,
                   held_on: dt.date, topic: str = "", minutes: str, decisions: str = "",
                   attendees: list[Unit] = (), suggestions: list[tuple[Unit, str]] = (),
                   late_reason: str = "", actor, on: dt.date | None = None) -> Meeting:
    """Record a meeting once: attendance (sign-in code or list), minutes, decisions — never photos.
    Pass ``meeting`` to record a required slot, or ``alliance`` and ``kind`` for an extra meeting.
    A meeting held after its due date, or recorded more than a week after it was held, is flagged late."""
    if meeting is None:
        if alliance is None or kind not in Meeting.Kind.values:
            raise DomainError("请选择会议类型", field="kind")
        ap.require(actor, ap.MANAGE, alliance)
        _require_active(alliance)
        meeting = Meeting(alliance=alliance, kind=kind, year=held_on.year, required=False)
    else:
        ap.require(actor, ap.MANAGE, meeting.alliance)
        meeting = Meeting.objects.select_for_update(of=("self",), no_key=True).get(pk=meeting.pk)
        if meeting.is_recorded:
            raise Conflict(f"该会议已于{meeting.recorded_on}记录，每次会议只记录一次")
    alliance = meeting.alliance
    today = _today(on)
    if not isinstance(held_on, dt.date) or held_on > today:
        raise DomainError("召开日期不能晚于今天", field="held_on")
    if alliance.established_on and held_on < alliance.established_on:
        raise DomainError("召开日期不能早于联合体成立日期", field="held_on")
    if meeting.required and held_on.year != meeting.year:
        raise DomainError(f"该会议属于{meeting.year}年度，召开日期须在该年度内", field="held_on")
    minutes = _text(minutes, "minutes", "会议纪要", 20000)
    signed = {a.unit_id for a in meeting.attendance.all()} if meeting.pk else set()
    listed = list(dict.fromkeys(attendees))
    members = set(AllianceMember.objects.filter(alliance=alliance, status=M.ACTIVE).values_list("unit_id", flat=True))
    outsiders = [u.name for u in listed if u.pk not in members]
    if outsiders:
        raise DomainError(f"签到名单中的单位不是在册成员：{'、'.join(outsiders)}", field="attendees")
    present = signed | {u.pk for u in listed}
    if len(present) < 2:
        raise DomainError("会议至少须有两个成员单位签到（签到码或签到名单）", field="attendees")
    if meeting.kind == Meeting.Kind.PROGRESS:
        pairs = supply_demand_pairs(alliance, meeting.year)
        if pairs and not any(p <= present for p in pairs):
            names = dict(Unit.objects.filter(pk__in=set().union(*pairs)).values_list("pk", "name"))
            shown = "；".join("与".join(names[i] for i in sorted(p)) for p in list(pairs)[:5])
            raise DomainError(f"月度推进会须由有直接供需关系的成员单位参加，例如：{shown}", field="attendees",
                              code=AllianceError.NO_SUPPLY_DEMAND)
    meeting.held_on = held_on
    meeting.recorded_on = today
    meeting.recorded_by = actor if getattr(actor, "is_authenticated", False) else None
    meeting.topic = _text(topic, "topic", "议题", 200, False)
    meeting.minutes = minutes
    meeting.decisions = _text(decisions, "decisions", "议定事项", 20000, False)
    held_late = meeting.due_on is not None and held_on > meeting.due_on
    recorded_late = (today - held_on).days > RECORD_GRACE_DAYS
    meeting.late = held_late or recorded_late
    meeting.late_reason = _text(late_reason, "late_reason", "逾期说明", 200, False)
    meeting.save()
    Attendance.objects.bulk_create([Attendance(meeting=meeting, unit=u, method=Attendance.Method.LIST)
                                    for u in listed if u.pk not in signed])
    for unit, text in suggestions:
        if unit.pk not in members:
            raise DomainError(f"{unit.name}不是在册成员，不能记录其建议", field="suggestions")
        Suggestion.objects.create(alliance=alliance, unit=unit, text=_text(text, "suggestions", "建议", 300),
                                  made_on=held_on, meeting=meeting)
    emit(contracts.MEETING_RECORDED, aggregate_type="alliance", aggregate_id=alliance.code, region=alliance.region,
         actor=actor, payload={**_alliance_ref(alliance), "kind": meeting.kind, "year": meeting.year,
                               "period": meeting.period, "held_on": held_on.isoformat(), "late": meeting.late,
                               "attendance": len(present)})
    return meeting


def meeting_status(m: Meeting, today: dt.date) -> str:
    """done / late / missing / upcoming for a required meeting."""
    if m.held_on is not None:
        return "late" if m.late else "done"
    if m.due_on is not None and m.due_on < today:
        return "missing"
    return "upcoming"


STATUS_LABELS = {"done": "按时召开", "late": "逾期(已补记)", "missing": "缺失", "upcoming": "未到期"}


def compliance(alliance: Alliance, year: int, *, today: dt.date | None = None) -> dict:
    """Which required meetings of the year are done, late, missing or not yet due."""
    today = _today(today)
    rows = []
    counts = {"required": 0, "done": 0, "late": 0, "missing": 0, "upcoming": 0, "extra": 0}
    for m in Meeting.objects.filter(alliance=alliance, year=year).order_by("due_on", "held_on", "kind", "period"):
        if not m.required:
            counts["extra"] += 1
            continue
        s = meeting_status(m, today)
        counts["required"] += 1
        counts[s] += 1
        rows.append({"meeting": m, "status": s, "label": STATUS_LABELS[s]})
    due = counts["required"] - counts["upcoming"]
    counts["rate"] = round(100 * counts["done"] / due, 1) if due else None
    return {"alliance": alliance, "year": year, "rows": rows, "counts": counts}


def street_compliance(alliances, year: int, *, today: dt.date | None = None) -> list[dict]:
    """Per street: how many required meetings are due, done, late and missing across its alliances."""
    today = _today(today)
    out: dict[int, dict] = {}
    ms = Meeting.objects.filter(alliance__in=alliances, year=year, required=True).select_related("alliance__region")
    streets: dict[int, object] = {}
    for m in ms:
        region = m.alliance.region
        if region.pk not in streets:
            streets[region.pk] = region if region.level == "street" else region.ancestor_at("street")
        street = streets[region.pk]
        key = street.pk if street else 0
        row = out.setdefault(key, {"street": street, "alliances": set(), "done": 0, "late": 0, "missing": 0,
                                   "upcoming": 0})
        row["alliances"].add(m.alliance_id)
        row[meeting_status(m, today)] += 1
    result = []
    for row in out.values():
        row["alliances"] = len(row["alliances"])
        due = row["done"] + row["late"] + row["missing"]
        row["rate"] = round(100 * row["done"] / due, 1) if due else None
        result.append(row)
    return sorted(result, key=lambda r: r["street"].code if r["street"] else "")


# ------------------------------------------------------------------ funds and activities

def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError("金额必须是数字（元，最多两位小数）", field="amount") from None
    if amount <= 0:
        raise DomainError("金额必须大于0", field="amount")
    if amount >= Decimal("1e10"):
        raise DomainError("金额过大", field="amount")
    return amount


def balance(alliance: Alliance) -> Decimal:
    sums = dict(FundEntry.objects.filter(alliance=alliance).values_list("direction").annotate(s=Sum("amount")))
    return _q2((sums.get("income") or Decimal("0")) - (sums.get("spending") or Decimal("0")))


def _q2(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


@transaction.atomic
def record_income(alliance: Alliance, *, source: str, amount, on: dt.date | None = None, unit: Unit | None = None,
                  note: str = "", actor) -> FundEntry:
    ap.require(actor, ap.MANAGE, alliance)
    _require_active(alliance)
    if source not in FundEntry.Source.values:
        raise DomainError("经费来源必须是党费补、部门扶、企业帮或收益提", field="source")
    entry = FundEntry.objects.create(alliance=alliance, direction=FundEntry.Direction.INCOME, source=source,
                                     amount=_amount(amount), entered_on=_today(on), unit=unit,
                                     note=_text(note, "note", "摘要", 200, False),
                                     recorded_by=actor if getattr(actor, "is_authenticated", False) else None)
    _emit_fund(entry, actor)
    return entry


@transaction.atomic
def record_spending(alliance: Alliance, *, project: ListItem, amount, on: dt.date | None = None, note: str,
                    actor) -> FundEntry:
    """Spending is by project and within means: never beyond the balance."""
    ap.require(actor, ap.MANAGE, alliance)
    _require_active(alliance)
    Alliance.objects.select_for_update(of=("self",), no_key=True).filter(pk=alliance.pk).first()
    if project is None or project.alliance_id != alliance.pk or project.kind != ListItem.Kind.PROJECT:
        raise DomainError("支出须列支到本联合体项目清单中的项目", field="project")
    amount = _amount(amount)
    bal = balance(alliance)
    if amount > bal:
        raise DomainError(f"余额不足：当前余额{bal}元，支出{amount}元（量力而行，不得超支）", field="amount",
                          code=AllianceError.INSUFFICIENT_FUNDS)
    entry = FundEntry.objects.create(alliance=alliance, direction=FundEntry.Direction.SPENDING, project=project,
                                     amount=amount, entered_on=_today(on), note=_text(note, "note", "用途摘要", 200),
                                     recorded_by=actor if getattr(actor, "is_authenticated", False) else None)
    _emit_fund(entry, actor)
    return entry


def _emit_fund(entry: FundEntry, actor) -> None:
    a = entry.alliance
    emit(contracts.FUND_RECORDED, aggregate_type="alliance", aggregate_id=a.code, region=a.region, actor=actor,
         payload={**_alliance_ref(a), "direction": entry.direction, "source": entry.source,
                  "project": entry.project.title if entry.project_id else "", "amount": str(entry.amount),
                  "on": entry.entered_on.isoformat(), "balance": str(balance(a))})


def fund_summary(alliance: Alliance) -> dict:
    """The public summary: income by source, spending by project, balance."""
    income = {s: Decimal("0.00") for s in FundEntry.Source.values}
    for source, total in (FundEntry.objects.filter(alliance=alliance, direction="income")
                          .values_list("source").annotate(t=Sum("amount"))):
        income[source] = _q2(total)
    spending = list(FundEntry.objects.filter(alliance=alliance, direction="spending")
                    .values("project__title").annotate(total=Sum("amount")).order_by("-total"))
    for r in spending:
        r["total"] = _q2(r["total"])
    total_in = sum(income.values(), Decimal("0"))
    total_out = sum((r["total"] for r in spending), Decimal("0"))
    labels = dict(FundEntry.Source.choices)
    return {"income": [{"source": s, "label": str(labels[s]), "total": income[s]} for s in FundEntry.Source.values],
            "spending": [{"project": r["project__title"], "total": r["total"]} for r in spending],
            "total_income": total_in, "total_spending": total_out, "balance": total_in - total_out}


@transaction.atomic
def record_activity(alliance: Alliance, *, kind: str, title: str, held_on: dt.date, organiser: Unit,
                    participants: dict[Unit, int] | list[Unit], place: str = "", actor,
                    on: dt.date | None = None) -> Activity:
    """A "five ones" activity with the participation of member units."""
    ap.require(actor, ap.MANAGE, alliance)
    _require_active(alliance)
    if kind not in Activity.Kind.values:
        raise DomainError("活动类型必须是“五个一”之一：联合党课、参观交流、主题党日、互学互查、互评", field="kind")
    if not isinstance(held_on, dt.date) or held_on > _today(on):
        raise DomainError("活动日期不能晚于今天", field="held_on")
    _require_member(alliance, organiser, "organiser")
    if not isinstance(participants, dict):
        participants = {u: 1 for u in participants}
    if not participants:
        raise DomainError("请记录参加活动的成员单位", field="participants")
    members = set(AllianceMember.objects.filter(alliance=alliance, status=M.ACTIVE).values_list("unit_id", flat=True))
    outsiders = [u.name for u in participants if u.pk not in members]
    if outsiders:
        raise DomainError(f"参加单位不是在册成员：{'、'.join(outsiders)}", field="participants")
    if any(not isinstance(n, int) or n < 1 for n in participants.values()):
        raise DomainError("参加人数至少为1", field="participants")
    act = Activity.objects.create(alliance=alliance, kind=kind, title=_text(title, "title", "活动主题", 200),
                                  held_on=held_on, organiser=organiser, place=_text(place, "place", "地点", 120, False))
    Participation.objects.bulk_create([Participation(activity=act, unit=u, people=n) for u, n in participants.items()])
    emit(contracts.ACTIVITY_RECORDED, aggregate_type="alliance", aggregate_id=alliance.code, region=alliance.region,
         actor=actor, payload={**_alliance_ref(alliance), "kind": kind, "title": act.title,
                               "held_on": held_on.isoformat(), "units": len(participants)})
    return act


# ------------------------------------------------------------------ views of a unit

def unit_duties(unit: Unit, *, today: dt.date | None = None) -> dict:
    """A unit's alliances and what it owes them: open tasks, pending invitations, reports due."""
    today = _today(today)
    memberships = list(AllianceMember.objects.filter(unit=unit).select_related("alliance").order_by("-joined_on"))
    return {
        "unit": unit,
        "active": [m for m in memberships if m.status == M.ACTIVE],
        "pending": [m for m in memberships if m.status == M.PENDING],
        "history": [m for m in memberships if m.status not in (M.ACTIVE, M.PENDING)],
        "open_tasks": list(Task.objects.filter(owner_unit=unit, completed_on__isnull=True)
                           .select_related("alliance", "item")),
        "overdue_tasks": Task.objects.filter(owner_unit=unit, completed_on__isnull=True, deadline__lt=today).count(),
        "reports_due": list(UnitReview.objects.filter(unit=unit, review__stage=YearReview.Stage.REPORTS,
                                                      reported_on__isnull=True).select_related("review__alliance")),
        "cap": MAX_ALLIANCES, "special_cap": MAX_ALLIANCES_SPECIAL,
    }


def visible_alliances(user):
    """Alliances the user may see: located in the user's scope, or having a member unit there."""
    paths = ap.scope_paths(user, ap.VIEW)
    qs = Alliance.objects.all()
    if paths is None:
        return qs
    if not paths:
        return qs.none()
    q = Q()
    for p in paths:
        q |= Q(region__path__startswith=p) | Q(members__unit__region__path__startswith=p)
    return qs.filter(q).distinct()
