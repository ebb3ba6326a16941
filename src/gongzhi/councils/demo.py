"""Demo data for the councils (seeds 002 and 003), built through the services from the other demos'
records: each urban street gets its joint meeting (街镇党建联席会) with its member units and two held
meetings, one decision becoming a plan goal and one a pool need; its first community gets a
co-governance platform with the residents' committee, owners' committees, property companies
(红色物业) and a party-building instructor, with one meeting; one 三重一大 matter (large spending of an
alliance's funds) goes through the whole procedure and allows a spending above the threshold, a second
one is left waiting for its decision, so that the spending it is for stays refused. Deterministic.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.core.models import Region
from gongzhi.org.kinds import UnitKind
from gongzhi.org.models import Membership, Unit

STREET_MEMBER_KINDS = (
    UnitKind.GOVERNMENT,
    UnitKind.SCHOOL,
    UnitKind.HOSPITAL,
    UnitKind.ENTERPRISE_STATE,
    UnitKind.ENTERPRISE_PRIVATE,
    UnitKind.SOCIAL_ORG,
    UnitKind.PARTY_COMMUNITY,
)


def generate(*, seed: int, scale: str, progress: Any) -> dict[str, int]:
    with transaction.atomic():
        return _generate(seed=seed)


def _generate(*, seed: int) -> dict[str, int]:
    counts = {"councils": 0, "council_meetings": 0, "council_decisions": 0, "matters": 0}
    today = timezone.localdate()
    first = True
    for street in Region.objects.filter(level=Region.Level.STREET, kind=Region.Kind.URBAN).order_by("code"):
        _street(street, today, counts, with_matters=first)
        first = False
    return counts


def _street(street: Region, today: dt.date, counts: dict, *, with_matters: bool) -> None:
    from gongzhi.alliances.models import Alliance, ListItem

    from . import procedure as P
    from . import services as S
    from .models import Decision, Level, Member

    party = Unit.objects.filter(code=f"{street.code}-PARTY").first()
    gov = Unit.objects.filter(code=f"{street.code}-GOV").first()
    if party is None or gov is None:
        return
    c = S.establish(SYSTEM, name=f"{street.name}党建联席会", level=Level.STREET_JOINT, region=street, host=party)
    counts["councils"] += 1
    S.add_member(SYSTEM, c, unit=party, role=Member.Role.CONVENOR, joined_on=today - dt.timedelta(days=200))
    units = list(
        Unit.objects.filter(
            region__path__startswith=street.path, kind__in=STREET_MEMBER_KINDS, status="established"
        ).order_by("kind", "code")[:10]
    )
    for u in units:
        S.add_member(SYSTEM, c, unit=u, joined_on=today - dt.timedelta(days=200))
    voting = list(S.voting_members(c).order_by("id"))
    ids = [m.pk for m in voting]
    need = S.quorum_needed(c, len(ids))
    cands = S.agenda_candidates(c, today=today)
    keys = [k["key"] for k in cands if k["source"] != "matter"]
    m1 = S.hold_meeting(
        SYSTEM,
        c,
        title="季度联席会议",
        held_on=today - dt.timedelta(days=30),
        present=ids[: max(need, len(ids) - 1)],
        agenda=keys[:3],
        topics=["辖区共建项目推进"],
        minutes="会议听取了辖区诉求分析和联合体需求清单，议定将背街小巷照明改造列为年度目标，由街道办牵头推进。",
    )
    S.record_decision(
        SYSTEM,
        m1,
        title="背街小巷照明改造",
        votes_for=len(ids) - 2,
        votes_against=0,
        votes_abstain=1,
        effect=Decision.Effect.PLAN_GOAL,
        params={"lead_unit": gov.code, "due_on": (today + dt.timedelta(days=180)).isoformat(), "budget": "80000"},
        agenda_item=m1.agenda.first(),
    )
    m2 = S.hold_meeting(
        SYSTEM,
        c,
        title="专题联席会议",
        held_on=today,
        present=ids,
        agenda=keys[3:6] or keys[:1],
        topics=["独居老人冬季关爱"],
        minutes="会议研究独居老人冬季关爱，议定向公共池提交助老志愿服务需求，由成员单位认领。",
    )
    S.record_decision(
        SYSTEM,
        m2,
        title=f"{street.name}独居老人冬季助老服务",
        votes_for=len(ids),
        effect=Decision.Effect.POOL_NEED,
        params={"kind": "person", "quantity": 6, "priority": "basic"},
    )
    counts["council_meetings"] += 2
    counts["council_decisions"] += 2
    _community(street, today, counts)
    if not with_matters:
        return
    alliances = list(
        Alliance.objects.filter(region__path__startswith=street.path, status="established").order_by("code")
    )
    if not alliances:
        return
    a = alliances[0]
    project = ListItem.objects.filter(alliance=a, kind=ListItem.Kind.PROJECT).order_by("id").first()
    if project is None:
        return
    from gongzhi.alliances import services as A

    big = (P.threshold("alliance_fund", a.region) or Decimal("50000")) + 10000
    matter = P.propose(
        SYSTEM,
        c,
        kind="large_spending",
        title=f"{a.name}年度共建项目大额支出",
        subject_type="alliance_fund",
        subject_ref=a.code,
        amount=big,
        description="联合体年度共建项目需一次性支出，超过大额资金使用标准，提请联席会集体决策。",
    )
    P.consult(SYSTEM, matter, note="书面征求成员单位和社区居民代表意见，均表示同意。", consulted=len(ids))
    P.decide(SYSTEM, matter, meeting=m2, votes_for=len(ids) - 1, votes_abstain=1)
    P.publish(SYSTEM, matter, note="在街道党务公开栏和平台公开记录公示。")
    A.record_income(a, source="department", amount=big, on=today, note="区级部门专项支持", actor=SYSTEM)
    A.record_spending(a, project=project, amount=big, on=today, note="年度共建项目支出", actor=SYSTEM)
    counts["matters"] += 1
    other = alliances[1] if len(alliances) > 1 else a
    pending = P.propose(
        SYSTEM,
        c,
        kind="large_spending",
        title=f"{other.name}场地改造大额支出",
        subject_type="alliance_fund",
        subject_ref=other.code,
        amount=big + 20000,
        description="拟改造联合体共享活动场地，待征求意见后提交联席会集体决策。",
    )
    P.consult(SYSTEM, pending, note="已征求成员单位意见，部分单位建议分期实施。", consulted=len(ids) - 2)
    counts["matters"] += 1
    try:  # not yet decided: the spending it is for is refused (and nothing is written)
        with transaction.atomic():
            proj = ListItem.objects.filter(alliance=other, kind=ListItem.Kind.PROJECT).order_by("id").first()
            if proj is not None:
                A.record_spending(other, project=proj, amount=big + 20000, note="场地改造", actor=SYSTEM)
    except DomainError:
        pass


def _community(street: Region, today: dt.date, counts: dict) -> None:
    from . import services as S
    from .models import Level, Member

    comm = Region.objects.filter(parent=street).order_by("code").first()
    if comm is None:
        return
    party = Unit.objects.filter(region=comm, kind=UnitKind.PARTY_COMMUNITY).order_by("code").first()
    if party is None:
        return
    c = S.establish(SYSTEM, name=f"{comm.name}共治议事会", level=Level.COMMUNITY_COGOV, region=comm, host=party)
    counts["councils"] += 1
    S.add_member(SYSTEM, c, unit=party, role=Member.Role.CONVENOR, joined_on=today - dt.timedelta(days=120))
    kinds = (UnitKind.RESIDENTS_COMMITTEE, UnitKind.OWNERS_COMMITTEE, UnitKind.PROPERTY_COMPANY)
    for u in Unit.objects.filter(region=comm, kind__in=kinds).order_by("kind", "code")[:6]:
        S.add_member(SYSTEM, c, unit=u, joined_on=today - dt.timedelta(days=120))
    instructor = (
        Membership.objects.filter(unit=party, role="full_member", end_date__isnull=True)
        .select_related("person")
        .order_by("id")
        .first()
    )
    if instructor is not None:
        S.add_member(
            SYSTEM, c, person=instructor.person, role=Member.Role.INSTRUCTOR, joined_on=today - dt.timedelta(days=120)
        )
    ids = list(S.voting_members(c).order_by("id").values_list("id", flat=True))
    keys = [k["key"] for k in S.agenda_candidates(c, today=today) if k["source"] == "requests"]
    m = S.hold_meeting(
        SYSTEM,
        c,
        title="红色物业联席议事",
        held_on=today - dt.timedelta(days=5),
        present=ids,
        agenda=keys[:2],
        topics=["小区电动车集中充电"],
        minutes="居委会、业委会、物业服务企业和党建指导员共同议定：物业在小区增设电动车集中充电点，业委会组织业主意见征询。",
    )
    S.record_decision(SYSTEM, m, title="增设电动车集中充电点", votes_for=len(ids))
    counts["council_meetings"] += 1
    counts["council_decisions"] += 1
