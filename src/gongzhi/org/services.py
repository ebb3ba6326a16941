"""Organisation use cases. The only code that changes the org app's state:
one function per use case, one transaction each, each emitting its events."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError, NotFound
from gongzhi.core.events import emit
from gongzhi.core.models import Region

from . import contracts, geo
from . import permissions as perm
from .contracts import OrgError
from .kinds import (
    ESTABLISHED_BY_MEMBERS,
    HOUSEHOLD_KINDS,
    MIN_FULL_MEMBERS,
    PARTY_CHILDREN,
    PARTY_GROUP_KINDS,
    PARTY_KINDS,
    PRIMARY_ORG_KINDS,
    HandlerLevel,
    MemberRole,
    PartyStatus,
    SlaClass,
    StaffRoleKind,
    UnitKind,
)
from .models import (
    Grid,
    GridAssignment,
    Household,
    HouseholdLink,
    MatterCategory,
    Membership,
    Person,
    Power,
    PowerGrant,
    ResponsibilityRule,
    StaffRole,
    Unit,
)


def _today() -> dt.date:
    return timezone.localdate()


def _bump(model: Any, obj: Any, expected_version: int | None, **fields: Any) -> None:
    """Optimistic concurrency: update only if nobody changed the row since ``expected_version``."""
    qs = model.objects.filter(pk=obj.pk)
    if expected_version is not None:
        qs = qs.filter(version=expected_version)
    if qs.update(version=F("version") + 1, **fields) == 0:
        raise Conflict(f"“{obj}”已被他人修改，请刷新后重试", code=CoreError.CONFLICT)
    obj.refresh_from_db()


# ----------------------------------------------------------------- units


def full_member_count(unit: Unit) -> int:
    return Membership.objects.filter(unit=unit, role=MemberRole.FULL_MEMBER, end_date__isnull=True).count()


def _check_parent(kind: str, parent: Unit | None, unit: Unit | None = None) -> None:
    if parent is None:
        return
    if parent.kind in HOUSEHOLD_KINDS:
        raise DomainError("党员中心户/联系户下不能再设下级组织", field="parent")
    if kind in PARTY_KINDS and parent.kind in PARTY_KINDS and kind not in PARTY_CHILDREN[parent.kind]:
        raise DomainError(
            f"{UnitKind(kind).label}不能设在{UnitKind(parent.kind).label}之下", field="parent", code=OrgError.BAD_CHAIN
        )
    if unit is not None and (parent.pk == unit.pk or parent.path.startswith(unit.path)):
        raise DomainError(
            f"不能把“{unit}”移到它自己的下级“{parent}”之下（会形成环）", field="parent", code=OrgError.CYCLE
        )


def _standing(p: Person) -> str:
    return f"{p.name}（#{p.pk}，{PartyStatus(p.party_status).label}）"


def _founding_roles(kind: str, parent: Unit | None, members: list[Person]) -> dict[int, MemberRole]:
    """The party roles the founders of a ``kind`` take, by person id, or a refusal that names them.

    - a primary organisation (``kinds.PRIMARY_ORG_KINDS``): at least three founders, every one already
      a full party member (party constitution art. 30, quoted in seed 004: 凡是有正式党员三人以上的，
      都应当成立党的基层组织; probationary members do not count). Founding never changes anyone's
      standing.
    - a party group (``kinds.PARTY_GROUP_KINDS``, 党小组): formed inside its branch from the branch's
      members (支部工作条例(试行) art. 13); at least one; full and probationary members alike; the
      three-member rule does not apply.
    - a leading body or a party-member household: founders optional; each must be a party member.
    - any other unit: no founders (its people join with ``add_member``).
    """
    if kind not in PARTY_KINDS:
        if members:
            raise DomainError(
                f"“{UnitKind(kind).label}”不是党组织，不登记创始党员；人员请以成员关系加入",
                field="founding_members",
            )
        return {}
    if kind in PRIMARY_ORG_KINDS:
        not_full = [p for p in members if p.party_status != PartyStatus.FULL]
        n_full = len(members) - len(not_full)
        if not_full or n_full < MIN_FULL_MEMBERS:
            msg = f"成立党组织需要至少{MIN_FULL_MEMBERS}名正式党员，目前只有{n_full}名"
            if not_full:
                msg += "；以下人员不是正式党员（预备党员不计入）：" + "、".join(_standing(p) for p in not_full)
            raise DomainError(
                msg,
                field="founding_members",
                code=OrgError.NOT_FULL_MEMBERS if not_full else OrgError.TOO_FEW_MEMBERS,
            )
        return {p.pk: MemberRole.FULL_MEMBER for p in members}
    non_members = [p for p in members if p.party_status not in (PartyStatus.FULL, PartyStatus.PROBATIONARY)]
    if non_members:
        raise DomainError(
            "以下人员不是党员：" + "、".join(_standing(p) for p in non_members),
            field="founding_members",
            code=OrgError.NOT_PARTY_MEMBER,
        )
    roles = {
        p.pk: MemberRole.FULL_MEMBER if p.party_status == PartyStatus.FULL else MemberRole.PROBATIONARY_MEMBER
        for p in members
    }
    if kind in PARTY_GROUP_KINDS:
        if not members:
            raise DomainError("党小组须由所在党支部的党员组成，请至少指定一名", field="founding_members")
        outside = _not_in_branch(parent, members) if parent is not None else members
        if outside:
            raise DomainError(
                f"党小组成员须是“{parent}”的党员，以下人员不是：" + "、".join(_standing(p) for p in outside),
                field="founding_members",
                code=OrgError.NOT_BRANCH_MEMBERS,
            )
    return roles


def _not_in_branch(branch: Unit, people: list[Person]) -> list[Person]:
    inside = set(
        Membership.objects.filter(
            unit=branch,
            person__in=people,
            end_date__isnull=True,
            role__in=[MemberRole.FULL_MEMBER, MemberRole.PROBATIONARY_MEMBER],
        ).values_list("person_id", flat=True)
    )
    return [p for p in people if p.pk not in inside]


@transaction.atomic
def create_unit(
    actor: Any,
    *,
    code: str,
    name: str,
    kind: str,
    region: Region,
    parent: Unit | None = None,
    founding_members: list[Person] | None = None,
    host: Unit | None = None,
    address: str = "",
    lon: Any = None,
    lat: Any = None,
    established_on: dt.date | None = None,
) -> Unit:
    """Create a unit. A primary party organisation is established only when ``founding_members``
    holds at least three people who are already full party members; a party group only from
    members of its parent branch (:func:`_founding_roles`). A refusal writes nothing. ``host``:
    the (non-party) unit a party organisation is set up in (企业、社会组织……)."""
    perm.require(actor, perm.EDIT_UNIT, region)
    code = (code or "").strip()
    if not code or not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", code):
        raise DomainError("编码须为1–40位字母、数字、点、横线或下划线", field="code")
    if not name:
        raise DomainError("请填写名称", field="name")
    if kind not in UnitKind.values:
        raise DomainError(f"未知的单位类型：{kind}", field="kind")
    if Unit.objects.filter(code=code).exists():
        raise DomainError(f"编码{code}已被使用", field="code", code=CoreError.DUPLICATE)
    if parent is not None and not parent.region.contains(region) and not region.contains(parent.region):
        # A unit sits in its parent's region, or (for a higher-level parent) above it.
        raise DomainError(f"“{name}”所在区域{region}不在上级“{parent}”的区域{parent.region}内", field="region")
    _check_parent(kind, parent)
    if kind in PARTY_GROUP_KINDS and (parent is None or parent.kind not in PARTY_KINDS):
        raise DomainError("党小组须设在一个党支部之下", field="parent", code=OrgError.BAD_CHAIN)
    if host is not None and (kind not in PARTY_KINDS or host.kind in PARTY_KINDS):
        raise DomainError("只有党组织可以指定所在单位，且所在单位不能是党组织", field="host")
    # Fresh rows: the standing is read as recorded, never as the caller's copy says.
    members = list(Person.objects.filter(pk__in={p.pk for p in founding_members or []}).order_by("pk"))
    roles = _founding_roles(kind, parent, members)
    established_on = established_on or _today()
    unit = Unit(
        code=code,
        name=name,
        kind=kind,
        parent=parent,
        region=region,
        address=address,
        lon=lon,
        lat=lat,
        host=host,
        status=Unit.Status.ESTABLISHED,
        established_on=established_on,
        depth=(parent.depth + 1) if parent else 0,
        path="",
    )
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError:
        raise DomainError(f"编码{code}已被使用", field="code", code=CoreError.DUPLICATE) from None
    unit.path = (parent.path if parent else "/") + f"{unit.pk}/"
    Unit.objects.filter(pk=unit.pk).update(path=unit.path)
    for p in members:
        Membership.objects.create(person=p, unit=unit, role=roles[p.pk], region=region, start_date=established_on)
    emit(
        contracts.UNIT_ESTABLISHED,
        aggregate_type="unit",
        aggregate_id=unit.code,
        region=region,
        actor=actor,
        payload={
            "code": code,
            "name": name,
            "kind": kind,
            "parent": parent.code if parent else None,
            "founding_members": len(members),
        },
    )
    return unit


@transaction.atomic
def move_unit(actor: Any, unit: Unit, new_parent: Unit | None, *, expected_version: int | None = None) -> Unit:
    """Move a unit (and its subtree) under another parent. Cycles are refused."""
    perm.require(actor, perm.EDIT_UNIT, unit)
    if new_parent is not None:
        perm.require(actor, perm.EDIT_UNIT, new_parent)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    _check_parent(unit.kind, new_parent, unit)
    old_path = unit.path
    new_path = (new_parent.path if new_parent else "/") + f"{unit.pk}/"
    _bump(
        Unit,
        unit,
        expected_version,
        parent=new_parent,
        path=new_path,
        depth=(new_parent.depth + 1) if new_parent else 0,
    )
    delta = unit.depth - old_path.count("/") + 2
    for child in Unit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk):
        Unit.objects.filter(pk=child.pk).update(path=new_path + child.path[len(old_path) :], depth=child.depth + delta)
    emit(
        contracts.UNIT_MOVED,
        aggregate_type="unit",
        aggregate_id=unit.code,
        region=unit.region,
        actor=actor,
        payload={"code": unit.code, "parent": new_parent.code if new_parent else None},
    )
    return unit


@transaction.atomic
def update_unit(actor: Any, unit: Unit, *, expected_version: int | None = None, **fields: Any) -> Unit:
    perm.require(actor, perm.EDIT_UNIT, unit)
    allowed_fields = {"name", "address", "lon", "lat"}
    bad = set(fields) - allowed_fields
    if bad:
        raise DomainError(f"不能直接修改：{', '.join(sorted(bad))}", field=sorted(bad)[0])
    if "name" in fields and not fields["name"]:
        raise DomainError("请填写名称", field="name")
    _bump(Unit, unit, expected_version, **fields)
    emit(
        contracts.UNIT_UPDATED,
        aggregate_type="unit",
        aggregate_id=unit.code,
        region=unit.region,
        actor=actor,
        payload={"code": unit.code, "fields": sorted(fields)},
    )
    return unit


def _recheck_rectification(unit: Unit) -> None:
    """An established party organisation below three full members is flagged
    for rectification (never dissolved or otherwise changed silently)."""
    if unit.kind not in ESTABLISHED_BY_MEMBERS or unit.status != Unit.Status.ESTABLISHED:
        return
    n = full_member_count(unit)
    if n < MIN_FULL_MEMBERS and not unit.needs_rectification:
        reason = f"正式党员仅{n}名，少于{MIN_FULL_MEMBERS}名"
        Unit.objects.filter(pk=unit.pk).update(needs_rectification=True, rectification_reason=reason)
        emit(
            contracts.PARTY_ORG_FLAGGED,
            aggregate_type="unit",
            aggregate_id=unit.code,
            region=unit.region,
            payload={"code": unit.code, "full_members": n, "reason": reason},
        )
    elif n >= MIN_FULL_MEMBERS and unit.needs_rectification:
        Unit.objects.filter(pk=unit.pk).update(needs_rectification=False, rectification_reason="")
        emit(
            contracts.PARTY_ORG_RECTIFIED,
            aggregate_type="unit",
            aggregate_id=unit.code,
            region=unit.region,
            payload={"code": unit.code, "full_members": n},
        )
    unit.refresh_from_db()


@transaction.atomic
def add_member(actor: Any, unit: Unit, person: Person, role: str, *, start_date: dt.date | None = None) -> Membership:
    perm.require(actor, perm.EDIT_UNIT, unit)
    if role not in MemberRole.values:
        raise DomainError(f"未知的角色：{role}", field="role")
    if role in (MemberRole.FULL_MEMBER, MemberRole.PROBATIONARY_MEMBER, MemberRole.SECRETARY) and not unit.is_party:
        raise DomainError(f"“{unit}”不是党组织，不能登记党员或书记", field="role")
    person = Person.objects.get(pk=person.pk)  # the standing as recorded
    needs: dict[str, str] = {
        MemberRole.FULL_MEMBER: PartyStatus.FULL,
        MemberRole.SECRETARY: PartyStatus.FULL,
        MemberRole.PROBATIONARY_MEMBER: PartyStatus.PROBATIONARY,
    }
    needed = needs.get(role)
    if needed is not None and person.party_status != needed:
        # Joining never changes a person's standing: record it first (record_party_standing).
        raise DomainError(
            f"{_standing(person)}不能以“{MemberRole(role).label}”加入：须为{PartyStatus(needed).label}",
            field="person",
            code=OrgError.NOT_PARTY_MEMBER,
        )
    if needed is not None and unit.kind in PARTY_GROUP_KINDS and unit.parent is not None:
        if _not_in_branch(unit.parent, [person]):
            raise DomainError(
                f"党小组成员须是“{unit.parent}”的党员，{_standing(person)}不是",
                field="person",
                code=OrgError.NOT_BRANCH_MEMBERS,
            )
    if Membership.objects.filter(unit=unit, person=person, role=role, end_date__isnull=True).exists():
        raise DomainError(f"{person}已是{unit}的{MemberRole(role).label}", field="person", code=CoreError.DUPLICATE)
    m = Membership.objects.create(
        person=person, unit=unit, role=role, region=unit.region, start_date=start_date or _today()
    )
    emit(
        contracts.MEMBER_ADDED,
        aggregate_type="unit",
        aggregate_id=unit.code,
        region=unit.region,
        actor=actor,
        payload={"unit": unit.code, "role": role, "personal": {"person_id": person.pk, "name": person.name}},
    )
    _recheck_rectification(unit)
    return m


@transaction.atomic
def end_membership(
    actor: Any, membership: Membership, *, end_date: dt.date | None = None, reason: str = ""
) -> Membership:
    perm.require(actor, perm.EDIT_UNIT, membership.unit)
    m = Membership.objects.select_for_update().get(pk=membership.pk)
    if m.end_date is not None:
        raise Conflict("该成员关系已结束")
    m.end_date = end_date or _today()
    m.save(update_fields=["end_date"])
    emit(
        contracts.MEMBER_LEFT,
        aggregate_type="unit",
        aggregate_id=m.unit.code,
        region=m.region,
        actor=actor,
        payload={"unit": m.unit.code, "role": m.role, "reason": reason, "personal": {"person_id": m.person_id}},
    )
    _recheck_rectification(m.unit)
    return m


@transaction.atomic
def record_party_standing(
    actor: Any, person: Person, *, status: str, relation: Unit | None = None, expected_version: int | None = None
) -> Person:
    """Record a person's party standing (群众 / 预备党员 / 正式党员) and the primary organisation
    holding the member's relation (组织关系). The only place a standing changes: founding and
    joining organisations never do. Memberships are not touched (end them with ``end_membership``)."""
    perm.require(actor, perm.EDIT_PERSON, person)
    if status not in PartyStatus.values:
        raise DomainError(f"未知的政治面貌：{status}", field="status")
    if relation is not None:
        if status == PartyStatus.NONE:
            raise DomainError("群众没有组织关系", field="relation")
        if relation.kind not in PRIMARY_ORG_KINDS or relation.status == Unit.Status.DISSOLVED:
            raise DomainError(f"“{relation}”不是可以接收组织关系的党的基层组织", field="relation")
    _bump(Person, person, expected_version, party_status=status, party_relation=relation)
    emit(
        contracts.PARTY_STANDING_RECORDED,
        aggregate_type="person",
        aggregate_id=person.pk,
        region=person.region,
        actor=actor,
        payload={
            "relation": relation.code if relation else None,
            "personal": {"person_id": person.pk, "party_status": status},
        },
        public=False,
    )
    return person


# ----------------------------------------------------------------- people and households

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def id_number_valid(idn: str) -> bool:
    """GB 11643 resident identity number: 17 digits and an ISO 7064 MOD 11-2 check character."""
    if not re.fullmatch(r"\d{17}[\dX]", idn or ""):
        return False
    return ID_CHECK[sum(int(a) * w for a, w in zip(idn[:17], ID_WEIGHTS)) % 11] == idn[17]


@transaction.atomic
def create_person(
    actor: Any,
    *,
    name: str,
    region: Region,
    gender: str = "",
    birth_date: Any = None,
    id_number: str = "",
    phone: str = "",
    household: Household | None = None,
    is_mobile: bool = False,
) -> Person:
    perm.require(actor, perm.EDIT_PERSON, region)
    if not name:
        raise DomainError("请填写姓名", field="name")
    if id_number and not id_number_valid(id_number.upper()):
        raise DomainError("身份证号格式或校验位不正确", field="id_number")
    if phone and not re.fullmatch(r"1\d{10}|0\d{2,3}-?\d{7,8}", phone):
        raise DomainError("电话号码格式不正确（手机11位，或区号-座机）", field="phone")
    if household is not None and not region.contains(household.region) and household.region_id != region.pk:
        raise DomainError("户所在区域与人员所在区域不一致", field="household")
    p = Person.objects.create(
        name=name,
        region=region,
        gender=gender,
        birth_date=birth_date,
        id_number=id_number.upper(),
        phone=phone,
        household=household,
        is_mobile=is_mobile,
    )
    emit(
        contracts.PERSON_REGISTERED,
        aggregate_type="person",
        aggregate_id=p.pk,
        region=region,
        actor=actor,
        payload={"personal": {"name": name, "id_number": p.id_number, "phone": phone}},
        public=False,
    )
    return p


@transaction.atomic
def update_person(actor: Any, person: Person, *, expected_version: int | None = None, **fields: Any) -> Person:
    perm.require(actor, perm.EDIT_PERSON, person)
    allowed_fields = {"name", "phone", "household", "is_mobile", "gender", "birth_date"}
    bad = set(fields) - allowed_fields
    if bad:
        raise DomainError(f"不能修改：{', '.join(sorted(bad))}", field=sorted(bad)[0])
    if "phone" in fields and fields["phone"] and not re.fullmatch(r"1\d{10}|0\d{2,3}-?\d{7,8}", fields["phone"]):
        raise DomainError("电话号码格式不正确（手机11位，或区号-座机）", field="phone")
    _bump(Person, person, expected_version, **fields)
    emit(
        contracts.PERSON_UPDATED,
        aggregate_type="person",
        aggregate_id=person.pk,
        region=person.region,
        actor=actor,
        payload={"fields": sorted(fields)},
        public=False,
    )
    return person


@transaction.atomic
def create_household(
    actor: Any, *, code: str, address: str, region: Region, building: str = "", grid: Grid | None = None
) -> Household:
    perm.require(actor, perm.EDIT_PERSON, region)
    if Household.objects.filter(code=code).exists():
        raise DomainError(f"户编码{code}已存在", field="code", code=CoreError.DUPLICATE)
    if not address:
        raise DomainError("请填写地址", field="address")
    h = Household.objects.create(code=code, address=address, region=region, building=building, grid=grid)
    emit(
        contracts.HOUSEHOLD_REGISTERED,
        aggregate_type="household",
        aggregate_id=code,
        region=region,
        actor=actor,
        payload={"code": code},
        public=False,
    )
    return h


@transaction.atomic
def link_household(actor: Any, member: Person, household: Household) -> HouseholdLink:
    """A party member links a household (包片联户)."""
    perm.require(actor, perm.EDIT_PERSON, household)
    if not Membership.objects.filter(
        person=member, end_date__isnull=True, role__in=[MemberRole.FULL_MEMBER, MemberRole.PROBATIONARY_MEMBER]
    ).exists():
        raise DomainError(f"{member}不是党员，不能联户", field="member")
    if HouseholdLink.objects.filter(member=member, household=household, end_date__isnull=True).exists():
        raise DomainError(f"{member}已联系该户", field="household", code=CoreError.DUPLICATE)
    link = HouseholdLink.objects.create(
        member=member, household=household, region=household.region, start_date=_today()
    )
    emit(
        contracts.HOUSEHOLD_LINKED,
        aggregate_type="household",
        aggregate_id=household.code,
        region=household.region,
        actor=actor,
        payload={"household": household.code, "personal": {"member_id": member.pk}},
    )
    return link


# ----------------------------------------------------------------- household visits (包片联户, seed 002)

# A matter a resident raises during a visit becomes a request through the cases app's intake: cases
# sits above org, so it hands its function over at start-up (``cases.visit_intake.register``).
# The function: (actor, visit, description, category code or None) -> the request's number.
_MATTER_INTAKE: list = []


def register_matter_intake(fn: Any) -> None:
    _MATTER_INTAKE[:] = [fn]


def _visit_day(value: Any) -> dt.date:
    if value in (None, ""):
        return _today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DomainError(f"日期格式不正确：{value}（应为YYYY-MM-DD）", field="visited_on") from None


@transaction.atomic
def record_visit(
    actor: Any,
    member: Person,
    household: Household,
    *,
    purpose: str,
    visited_on: Any = None,
    note: str = "",
    matter: str = "",
    category: str | None = None,
) -> Any:
    """A party member's visit to a household they link: a record of work done (no photo, no check-in).
    A matter the household raised (``matter``) is filed as a request through the cases app's intake in
    the same transaction; the visit keeps the request's number."""
    from .models import HouseholdVisit, VisitPurpose

    perm.require(actor, perm.EDIT_PERSON, household)
    if purpose not in VisitPurpose.values:
        raise DomainError(
            f"走访事由应为：{'、'.join(str(c.label) for c in VisitPurpose)}", field="purpose", code=CoreError.INVALID
        )
    day = _visit_day(visited_on)
    if day > _today():
        raise DomainError(f"走访日期{day}晚于今天，只能记录已完成的走访", field="visited_on")
    if not HouseholdLink.objects.filter(member=member, household=household, end_date__isnull=True).exists():
        raise DomainError(
            f"{member.name}没有联系户{household.code}，请先建立联户关系", field="household", code=OrgError.NOT_LINKED
        )
    note = (note or "").strip()
    if len(note) > 300:
        raise DomainError("备注过长：最多300字", field="note")
    matter = (matter or "").strip()
    if HouseholdVisit.objects.filter(member=member, household=household, visited_on=day).exists():
        raise DomainError(f"{member.name}在{day}走访该户已有记录", field="visited_on", code=CoreError.DUPLICATE)
    number = ""
    visit = HouseholdVisit(
        member=member,
        household=household,
        region=household.region,
        grid=household.grid,
        visited_on=day,
        purpose=purpose,
        matter_raised=bool(matter),
        note=note,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        recorded_at=timezone.now(),
    )
    if matter:
        if not _MATTER_INTAKE:
            raise DomainError("诉求受理未启用，无法登记走访中反映的诉求", field="matter")
        number = _MATTER_INTAKE[0](actor, visit, matter, category or None)
        visit.request_number = number
    visit.save()
    emit(
        contracts.HOUSEHOLD_VISITED,
        aggregate_type="household",
        aggregate_id=household.code,
        region=household.region,
        actor=actor,
        payload={
            "visit": visit.pk,
            "household": household.code,
            "grid": household.grid.code if household.grid is not None else None,
            "visited_on": day.isoformat(),
            "purpose": purpose,
            "matter_raised": bool(matter),
            "request": number or None,
            "personal": {"member_id": member.pk},
        },
        public=False,
    )
    return visit


# ----------------------------------------------------------------- grids


def next_grid_code(region: Region) -> str:
    """District(6) + street(3) + community(3) + sequence, from the community's 12-digit code."""
    from django.conf import settings

    digits = settings.GONGZHI_GRID_CODE_SEQUENCE_DIGITS
    existing = Grid.objects.filter(code__startswith=region.code).values_list("code", flat=True)
    seqs = [int(c[len(region.code) :]) for c in existing if c[len(region.code) :].isdigit()]
    n = max(seqs, default=0) + 1
    if n >= 10**digits:
        raise DomainError(f"{region}的网格序号已用尽", field="code")
    return f"{region.code}{n:0{digits}d}"


def _check_grid_code(code: str, region: Region) -> None:
    from django.conf import settings

    digits = settings.GONGZHI_GRID_CODE_SEQUENCE_DIGITS
    if not re.fullmatch(rf"{region.code}\d{{{digits}}}", code):
        raise DomainError(
            f"网格编码应为社区代码{region.code}加{digits}位序号，收到“{code}”", field="code", code=OrgError.BAD_CODE
        )


def _check_overlaps(geom: Any, *, exclude_ids: Any = ()) -> None:
    index = geo.grid_index(force_check=True)
    cand = [gid for gid in index.candidates(geom) if gid not in set(exclude_ids)]
    for grid in Grid.objects.filter(pk__in=cand):
        ov = geo.overlap_m2(geom, geo.shape(grid.geometry))
        if ov > geo.OVERLAP_TOLERANCE_M2:
            raise DomainError(
                f"与网格{grid.code}“{grid.name}”重叠约{ov:.0f}平方米", field="geometry", code=OrgError.OVERLAP
            )


@transaction.atomic
def create_grid(actor: Any, *, region: Region, geometry: Any, name: str, code: str | None = None) -> Grid:
    perm.require(actor, perm.MANAGE_GRIDS, region)
    if region.level != Region.Level.COMMUNITY:
        raise DomainError("网格须属于一个社区或村", field="region")
    if not name:
        raise DomainError("请填写网格名称", field="name")
    geom = geo.parse_polygon(geometry)
    code = code or next_grid_code(region)
    _check_grid_code(code, region)
    if Grid.objects.filter(code=code).exists():
        raise DomainError(f"网格编码{code}已存在", field="code", code=CoreError.DUPLICATE)
    _check_overlaps(geom)
    grid = Grid.objects.create(code=code, name=name, region=region, **geo.grid_fields(geom))
    emit(
        contracts.GRID_CREATED,
        aggregate_type="grid",
        aggregate_id=code,
        region=region,
        actor=actor,
        payload={"code": code, "name": name, "area_m2": round(grid.area_m2)},
    )
    return grid


@transaction.atomic
def update_grid_geometry(actor: Any, grid: Grid, geometry: Any, *, expected_version: int | None = None) -> Grid:
    perm.require(actor, perm.MANAGE_GRIDS, grid)
    geom = geo.parse_polygon(geometry)
    _check_overlaps(geom, exclude_ids=[grid.pk])
    _bump(Grid, grid, expected_version, updated_at=timezone.now(), **geo.grid_fields(geom))
    geo.invalidate()
    emit(
        contracts.GRID_RESHAPED,
        aggregate_type="grid",
        aggregate_id=grid.code,
        region=grid.region,
        actor=actor,
        payload={"code": grid.code, "area_m2": round(grid.area_m2)},
    )
    return grid


@transaction.atomic
def import_grids(actor: Any, feature_collection: Any) -> list[Grid]:
    """Import a GeoJSON FeatureCollection; each feature's properties give
    ``community`` (12-digit region code), ``name`` and optionally ``code``.
    All or nothing: any bad feature refuses the whole import."""
    if not isinstance(feature_collection, dict) or feature_collection.get("type") != "FeatureCollection":
        raise DomainError("须为GeoJSON FeatureCollection", field="file", code=OrgError.INVALID_GEOJSON)
    feats = feature_collection.get("features")
    if not isinstance(feats, list) or not feats:
        raise DomainError("FeatureCollection中没有要素", field="file", code=OrgError.INVALID_GEOJSON)
    created: list[Grid] = []
    for i, feat in enumerate(feats, start=1):
        props = (feat or {}).get("properties") or {}
        try:
            region = Region.objects.get(code=str(props.get("community", "")), level=Region.Level.COMMUNITY)
        except Region.DoesNotExist:
            raise DomainError(
                f"第{i}个要素：properties.community“{props.get('community')}”不是已有社区/村代码", field="file"
            ) from None
        try:
            # Grids created earlier in this import are already visible to the overlap check.
            grid = create_grid(
                actor, region=region, geometry=feat, name=str(props.get("name") or ""), code=props.get("code") or None
            )
        except DomainError as e:
            raise DomainError(f"第{i}个要素：{e.message}", field="file", code=e.code) from None
        created.append(grid)
    geo.invalidate()
    return created


def export_grids(grids: Any) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": g.code,
                "geometry": g.geometry,
                "properties": {
                    "code": g.code,
                    "name": g.name,
                    "community": g.region.code,
                    "community_name": g.region.name,
                    "area_m2": round(g.area_m2),
                },
            }
            for g in grids.select_related("region")
        ],
    }


@transaction.atomic
def assign_to_grid(
    actor: Any, grid: Grid, person: Person, kind: str = GridAssignment.Kind.GRID_WORKER
) -> GridAssignment:
    """Assign a grid worker, or a party member covering the area (包片)."""
    perm.require(actor, perm.MANAGE_GRIDS if kind == GridAssignment.Kind.GRID_WORKER else perm.EDIT_PERSON, grid)
    if GridAssignment.objects.filter(grid=grid, person=person, kind=kind, end_date__isnull=True).exists():
        raise DomainError(f"{person}已分配到网格{grid.code}", field="person", code=CoreError.DUPLICATE)
    if (
        kind == GridAssignment.Kind.COVERAGE
        and not Membership.objects.filter(
            person=person, end_date__isnull=True, role__in=[MemberRole.FULL_MEMBER, MemberRole.PROBATIONARY_MEMBER]
        ).exists()
    ):
        raise DomainError(f"{person}不是党员，不能包片", field="person")
    a = GridAssignment.objects.create(grid=grid, person=person, kind=kind, region=grid.region, start_date=_today())
    emit(
        contracts.GRID_ASSIGNED,
        aggregate_type="grid",
        aggregate_id=grid.code,
        region=grid.region,
        actor=actor,
        payload={"grid": grid.code, "kind": kind, "personal": {"person_id": person.pk}},
    )
    return a


@transaction.atomic
def set_grid_party_org(actor: Any, grid: Grid, party_org: Unit, co_builders: Sequence[Unit] = ()) -> Grid:
    """A functional grid party organisation co-built with units located in the grid."""
    perm.require(actor, perm.MANAGE_GRIDS, grid)
    if party_org.kind != UnitKind.PARTY_GRID:
        raise DomainError("须指定一个功能型网格党组织", field="party_org")
    geom = geo.shape(grid.geometry)
    for u in co_builders:
        if u.lon is None or not geom.intersects(geo.shapely.Point(u.lon, u.lat)):
            raise DomainError(f"共建单位“{u}”不在网格{grid.code}内", field="co_builders")
    Grid.objects.filter(pk=grid.pk).update(party_org=party_org)
    grid.co_builders.set(co_builders)
    emit(
        contracts.GRID_PARTY_ORG_SET,
        aggregate_type="grid",
        aggregate_id=grid.code,
        region=grid.region,
        actor=actor,
        payload={"grid": grid.code, "party_org": party_org.code, "co_builders": [u.code for u in co_builders]},
    )
    grid.refresh_from_db()
    return grid


# ----------------------------------------------------------------- power/responsibility lists


@transaction.atomic
def create_category(
    actor: Any, *, code: str, name: str, default_sla: str = SlaClass.GENERAL, keywords: str = ""
) -> MatterCategory:
    perm.require(actor, perm.MANAGE_LISTS)
    if not re.fullmatch(r"\d{2}|\d{5}", code or ""):
        raise DomainError("事项编码应为2位大类或5位小类（大类2位+小类3位）", field="code")
    if default_sla not in SlaClass.values:
        raise DomainError(f"未知的时限类别：{default_sla}", field="default_sla")
    parent = None
    if len(code) == 5:
        parent = MatterCategory.objects.filter(code=code[:2]).first()
        if parent is None:
            raise DomainError(f"大类{code[:2]}不存在，请先建立大类", field="code")
    if MatterCategory.objects.filter(code=code).exists():
        raise DomainError(f"事项编码{code}已存在", field="code", code=CoreError.DUPLICATE)
    c = MatterCategory.objects.create(code=code, name=name, parent=parent, default_sla=default_sla, keywords=keywords)
    emit(
        contracts.CATEGORY_CREATED,
        aggregate_type="category",
        aggregate_id=code,
        payload={"code": code, "name": name, "sla": default_sla},
    )
    return c


@transaction.atomic
def add_responsibility_rule(
    actor: Any,
    *,
    category: MatterCategory,
    region: Region,
    handler_level: str,
    sla: str | None = None,
    department: Unit | None = None,
    legal_basis: str = "",
    effective_from: dt.date | None = None,
) -> ResponsibilityRule:
    """Add a list line, or a new version of one: the previous version ends the day the new one starts."""
    perm.require(actor, perm.MANAGE_LISTS, region)
    if handler_level not in HandlerLevel.values:
        raise DomainError(f"未知的承办层级：{handler_level}", field="handler_level")
    if (handler_level == HandlerLevel.DEPARTMENT) != (department is not None):
        raise DomainError("承办层级为“指定部门”时须且只须指定部门", field="department")
    if department is not None and department.kind != UnitKind.DEPARTMENT:
        raise DomainError(f"“{department}”不是政府部门", field="department")
    sla = sla or category.default_sla
    if sla not in SlaClass.values:
        raise DomainError(f"未知的时限类别：{sla}", field="sla")
    start = effective_from or _today()
    prev = (
        ResponsibilityRule.objects.select_for_update()
        .filter(category=category, region=region)
        .order_by("-version")
        .first()
    )
    if prev is not None:
        if start <= prev.effective_from:
            raise DomainError(f"新版本生效日期须晚于上一版本的{prev.effective_from}", field="effective_from")
        if prev.effective_to is None or prev.effective_to > start:
            ResponsibilityRule.objects.filter(pk=prev.pk).update(effective_to=start)
    rule = ResponsibilityRule.objects.create(
        category=category,
        region=region,
        handler_level=handler_level,
        department=department,
        legal_basis=legal_basis,
        sla=sla,
        version=(prev.version + 1) if prev else 1,
        effective_from=start,
    )
    emit(
        contracts.RESPONSIBILITY_RULE_ADDED,
        aggregate_type="category",
        aggregate_id=category.code,
        region=region,
        actor=actor,
        payload={
            "category": category.code,
            "region": region.code,
            "version": rule.version,
            "handler_level": handler_level,
            "department": department.code if department else None,
            "sla": sla,
            "effective_from": start.isoformat(),
        },
    )
    return rule


# ----------------------------------------------------------------- the power list (权力清单)


@transaction.atomic
def define_power(
    actor: Any, *, code: str, name: str, categories: list[MatterCategory] | None = None, description: str = ""
) -> Power:
    """Define a kind of power, or change which matter categories need it (a minor class also needs its
    major class's powers). Seed 001: 权小责大; the power list is modelled beside the responsibility list."""
    perm.require(actor, perm.MANAGE_LISTS)
    code = (code or "").strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,23}", code):
        raise DomainError("权力编码为2–24位小写字母、数字或下划线", field="code")
    if not (name or "").strip():
        raise DomainError("请填写权力名称", field="name")
    power, _created = Power.objects.update_or_create(
        code=code, defaults={"name": name.strip(), "description": description}
    )
    categories = list(categories or [])
    power.needed_by.set(categories)
    emit(
        contracts.POWER_DEFINED,
        aggregate_type="power",
        aggregate_id=code,
        actor=actor,
        payload={"code": code, "name": power.name, "categories": sorted(c.code for c in categories)},
    )
    return power


@transaction.atomic
def grant_power(
    actor: Any,
    *,
    unit: Unit,
    power: Power | str,
    region: Region,
    legal_basis: str = "",
    effective_from: dt.date | None = None,
) -> PowerGrant:
    """Add a line to the power list: ``unit`` may exercise ``power`` in ``region`` and below."""
    perm.require(actor, perm.MANAGE_LISTS, region)
    if isinstance(power, str):
        found = Power.objects.filter(code=power).first()
        if found is None:
            raise DomainError(f"权力清单中没有“{power}”", field="power", code=OrgError.UNKNOWN_POWER)
        power = found
    if unit.status != Unit.Status.ESTABLISHED:
        raise DomainError(f"{unit.name}未成立或已撤销", field="unit")
    start = effective_from or _today()
    g = PowerGrant.objects.create(unit=unit, power=power, region=region, legal_basis=legal_basis, effective_from=start)
    emit(
        contracts.POWER_GRANTED,
        aggregate_type="power",
        aggregate_id=power.code,
        region=region,
        actor=actor,
        payload={
            "power": power.code,
            "unit": unit.code,
            "region": region.code,
            "effective_from": start.isoformat(),
            "grant": g.pk,
        },
    )
    return g


@transaction.atomic
def end_power_grant(actor: Any, grant: PowerGrant, *, effective_to: dt.date | None = None) -> PowerGrant:
    """End a line of the power list (from ``effective_to``, today by default)."""
    perm.require(actor, perm.MANAGE_LISTS, grant.region)
    end = effective_to or _today()
    if end <= grant.effective_from:
        raise DomainError(f"失效日期须晚于生效日期{grant.effective_from}", field="effective_to")
    PowerGrant.objects.filter(pk=grant.pk).update(effective_to=end)
    grant.effective_to = end
    emit(
        contracts.POWER_GRANT_ENDED,
        aggregate_type="power",
        aggregate_id=grant.power.code,
        region=grant.region,
        actor=actor,
        payload={
            "power": grant.power.code,
            "unit": grant.unit.code,
            "region": grant.region.code,
            "effective_to": end.isoformat(),
            "grant": grant.pk,
        },
    )
    return grant


# ----------------------------------------------------------------- roles


@transaction.atomic
def grant_role(actor: Any, user: Any, unit: Unit, role: str) -> StaffRole:
    perm.require(actor, perm.MANAGE_ROLES, unit)
    if role not in StaffRoleKind.values:
        raise DomainError(f"未知的平台角色：{role}", field="role")
    if (
        role == StaffRoleKind.DISTRICT_ADMIN
        and not perm.is_system(actor)
        and not perm.allowed(actor, perm.MANAGE_LISTS, unit)
    ):
        raise DomainError("只有区级管理员可以授予区级管理员角色", field="role", code=CoreError.FORBIDDEN)
    r, _ = StaffRole.objects.get_or_create(user=user, unit=unit, role=role, defaults={"region": unit.region})
    if not r.active:
        StaffRole.objects.filter(pk=r.pk).update(active=True)
    emit(
        contracts.ROLE_GRANTED,
        aggregate_type="user",
        aggregate_id=user.pk,
        region=unit.region,
        actor=actor,
        payload={"unit": unit.code, "role": role},
        public=False,
    )
    return r


def get_unit(code: str) -> Unit:
    try:
        return Unit.objects.select_related("region", "parent").get(code=code)
    except Unit.DoesNotExist:
        raise NotFound(f"单位编码{code}不存在", field="unit") from None
