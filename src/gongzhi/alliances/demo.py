"""Demo alliances like district Y's, with last year complete (1142 meetings, lists and claims, funds,
activities, four closed quarters, the year-end review and star grades) and this year so far.

Everything goes through the services (so every rule holds and every event is emitted), with the
system as actor and explicit dates. Deterministic by seed.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import Region
from gongzhi.org.models import Unit

from . import rating as RT
from . import services as S
from .models import Alliance, AllianceMember, Meeting, Rectification, Support, UnitReview

PARTNERS = [
    ("河北省", "承德市丰宁县杨木栅子村党支部"),
    ("山西省", "大同市云州区西坪镇党委"),
    ("辽宁省", "朝阳市龙城区七道泉子镇党委"),
]


def _first(qs):
    return qs.order_by("code").first()


class _Demo:
    def __init__(self, seed: int, scale: str, progress):
        self.rng = random.Random(seed * 7919 + 6)
        self.scale = scale
        self.progress = progress
        self.today = timezone.localdate()
        self.last = self.today.year - 1
        self.counts = {"alliances": 0, "alliance_meetings": 0, "alliance_tasks": 0, "alliance_activities": 0}
        self.drive: dict[int, float] = {}
        self.levels = ("strong", "steady", "steady", "steady", "weak", "steady", "strong", "steady", "steady", "steady")

    # ------------------------------------------------------------ how engaged each member unit is
    def p(self, u: Unit) -> float:
        """The unit's engagement: the chance it attends, joins in, supplies … Units differ (some do
        everything, most do most, a few little), so the grades spread from the records."""
        if u.pk not in self.drive:
            level = self.levels[len(self.drive) % len(self.levels)]
            lo, hi = {"strong": (0.97, 1.0), "steady": (0.65, 0.85), "weak": (0.2, 0.4)}[level]
            self.drive[u.pk] = round(lo + (hi - lo) * self.rng.random(), 3)
        return self.drive[u.pk]

    # ------------------------------------------------------------ picking units
    def plans(self) -> list[dict]:
        district = _first(Region.objects.filter(level="district"))
        streets = list(Region.objects.filter(parent=district).order_by("code"))
        urban = [s for s in streets if s.kind == "urban"]
        rural = [s for s in streets if s.kind == "rural"]
        plans = []
        if rural:
            t = rural[0]
            village = _first(Unit.objects.filter(region__parent=t, kind="party_village"))
            coal = _first(Unit.objects.filter(region=t, kind="enterprise_state"))
            vc = _first(Unit.objects.filter(region=village.region, kind="villagers_committee"))
            nrj = Unit.objects.filter(code=f"{district.code}-ZRJ").first()
            members = [coal, vc] + ([nrj] if nrj else [])
            plans.append(
                dict(
                    lead=village,
                    members=members,
                    kind="cross_domain",
                    name=f"{village.region.name}—{coal.name}采煤沉陷区治理联合体",
                    purpose="村企共商采煤沉陷区土地补偿和搬迁安置，化解多年矛盾，共建美丽乡村",
                    needs="沉陷区土地补偿标准不一；受损房屋修缮；村民就业",
                    need="沉陷区受损房屋修缮",
                    resource="企业复垦资金与工程队",
                    project="沉陷区土地补偿协商",
                    story="land",
                )
            )
        if urban:
            s = urban[0]
            comm = _first(Region.objects.filter(parent=s))
            cparty = _first(Unit.objects.filter(region=comm, kind="party_community"))
            prop = _first(Unit.objects.filter(region=comm, kind="property_company"))
            school = _first(Unit.objects.filter(region=s, kind="school"))
            rc = _first(Unit.objects.filter(region=comm, kind="residents_committee"))
            owners = _first(Unit.objects.filter(region=comm, kind="owners_committee"))
            plans.append(
                dict(
                    lead=cparty,
                    members=[m for m in (prop, school, rc) if m],
                    kind="cross_domain",
                    name=f"{comm.name}红色物业共建联合体",
                    purpose="社区、物业、学校共治：停车、护学、课后托管",
                    needs="小区停车难；上下学交通拥堵；双职工家庭课后托管",
                    need="学生课后托管场地",
                    resource="物业活动室",
                    project="四点半课堂",
                    story="community",
                    late_join=owners,
                )
            )
        socials = list(Unit.objects.filter(region__in=streets, kind="social_org").order_by("code"))
        if len(socials) >= 2:
            hosp = _first(Unit.objects.filter(region=socials[0].region, kind="hospital"))
            plans.append(
                dict(
                    lead=socials[0],
                    members=socials[1:4] + ([hosp] if hosp else []),
                    kind="cross_industry",
                    name=f"{district.name}社会组织扶贫志愿联盟",
                    purpose="社会组织联合开展扶贫帮困和志愿服务",
                    needs="困难家庭帮扶；志愿者组织和培训",
                    need="困难老人助餐",
                    resource="志愿服务队",
                    project="结对帮扶困难家庭",
                    story="social",
                )
            )
        if rural:
            t = rural[-1]
            tparty = _first(Unit.objects.filter(region=t, kind="party_township"))
            school = _first(Unit.objects.filter(region=t, kind="school"))
            ent = _first(Unit.objects.filter(region=t, kind="enterprise_private")) or _first(
                Unit.objects.filter(region=t, kind="enterprise_state")
            )
            nyj = Unit.objects.filter(code=f"{district.code}-NYJ").first()
            province, partner = PARTNERS[self.rng.randrange(len(PARTNERS))]
            plans.append(
                dict(
                    lead=tparty,
                    members=[m for m in (school, ent, nyj) if m],
                    kind="cross_region",
                    name=f"{t.name}跨省结对共建联合体",
                    purpose="与外省结对乡村互学互鉴，发展特色农牧产业",
                    needs="特色农产品销路；种养技术",
                    need="农产品销售渠道",
                    resource="农技专家",
                    project="跨省农产品产销对接",
                    story="region",
                    partner=(province, partner),
                )
            )
        return plans

    # ------------------------------------------------------------ one alliance, one year
    def found(self, p: dict) -> Alliance:
        on = dt.date(self.last, 1, 6)
        partner = p.get("partner") or ("", "")
        a = S.apply_alliance(
            lead_unit=p["lead"],
            kind=p["kind"],
            name=p["name"],
            purpose=p["purpose"],
            members=p["members"],
            initial_needs=p["needs"],
            partner_province=partner[0],
            partner_unit_name=partner[1],
            on=on,
            actor=SYSTEM,
        )
        a = S.decide_application(
            a, approve=True, reason="符合“因需、管用、精简、高效”原则，同意成立", on=on, actor=SYSTEM
        )
        g = S.propose_goal(
            a,
            p["members"][0],
            title=p["project"],
            need=p["need"],
            useful="群众可感可及",
            lean="只设一个工作专班",
            efficient="每月推进会调度",
            on=on,
            actor=SYSTEM,
        )
        S.submit_goal(g, on=on, actor=SYSTEM)
        S.decide_goal(g, approve=True, reason="同意", on=on, actor=SYSTEM)
        self.counts["alliances"] += 1
        return a

    def members(self, a: Alliance, on: dt.date) -> list[Unit]:
        return [
            m.unit
            for m in AllianceMember.objects.filter(alliance=a, status="active", joined_on__lte=on)
            .select_related("unit")
            .order_by("id")
        ]

    def year(self, a: Alliance, p: dict, year: int, until: dt.date):
        rng = self.rng
        S.generate_meetings(a, year)
        units = self.members(a, dt.date(year, 1, 10))
        lead, first = units[0], units[1]
        # Three lists, agreed at the kick-off; the first member's need is met by the lead's resource.
        need = S.add_list_item(a, year=year, kind="need", title=p["need"], unit=first, actor=SYSTEM)
        res = S.add_list_item(
            a, year=year, kind="resource", title=p["resource"], unit=units[-1], meets=need, actor=SYSTEM
        )
        S.add_list_item(a, year=year, kind="resource", title="党员志愿者", unit=lead, actor=SYSTEM)
        projects = [
            S.add_list_item(a, year=year, kind="project", title=p["project"], unit=lead, posts=2, actor=SYSTEM),
            S.add_list_item(
                a, year=year, kind="project", title="“五个一”活动轮值承办", unit=lead, posts=len(units), actor=SYSTEM
            ),
        ]
        pair = [first, units[-1]]
        kickoff = a.meetings.get(kind=Meeting.Kind.KICKOFF, year=year)
        day = dt.date(year, 1, rng.randint(12, 28))
        if day <= until:
            self.record(a, kickoff, day, units, "议定年度资源清单、需求清单、项目清单")
            S.agree_lists(a, year, actor=SYSTEM)
            for i, u in enumerate(units):
                proj = projects[0] if i < 2 else projects[1]
                t = S.claim(
                    proj,
                    u,
                    owner_name=f"{u.name[:2]}负责人",
                    post="联络员" if i >= 2 else "",
                    deadline=dt.date(year, rng.choice([4, 6, 9, 11]), 28),
                    on=day,
                    actor=SYSTEM,
                )
                self.counts["alliance_tasks"] += 1
                pu = self.p(u)
                done = t.deadline + dt.timedelta(days=rng.randint(-40, -3) if rng.random() < pu else rng.randint(3, 30))
                if done <= until and rng.random() < 0.5 + pu / 2:
                    S.complete_task(t, note="已按认领内容完成，群众反映良好", completed_on=max(done, day), actor=SYSTEM)
        # The required meetings of the year, mostly on time, some late, some (this year) not yet held.
        for m in (
            a.meetings.filter(year=year, required=True)
            .exclude(kind=Meeting.Kind.KICKOFF)
            .order_by("due_on", "kind", "period", "id")
        ):
            if m.due_on is None:
                continue
            if m.due_on > until:
                break
            r = rng.random()
            if r < 0.06:
                continue  # missing
            held = m.due_on - dt.timedelta(days=rng.randint(2, 20))
            if r < 0.14:
                held = m.due_on + dt.timedelta(days=rng.randint(3, 15))  # late
            held = max(held, a.established_on)
            if held > until:
                continue
            attendees = [u for u in self.members(a, held) if rng.random() < self.p(u)]
            if len(attendees) < 2 or (m.kind == Meeting.Kind.PROGRESS and not set(pair) <= set(attendees)):
                attendees = list(dict.fromkeys([*pair, *attendees]))
            self.record(
                a,
                m,
                held,
                attendees,
                f"{m.get_kind_display()}：推进{p['project']}",
                suggest=[u for u in attendees if rng.random() < 0.6 * self.p(u)],
            )
        # Resources supplied, activities of the "five ones".
        for month in range(1, 13):
            d = dt.date(year, month, rng.randint(1, 25))
            if d > until:
                break
            for u in self.members(a, d):
                if rng.random() < 0.75 * self.p(u):
                    S.supply_resource(
                        a,
                        u,
                        description=rng.choice(["提供场地", "捐赠物资", "派出志愿者", "技术指导"]),
                        item=res if u == units[-1] else None,
                        on=d,
                        actor=SYSTEM,
                    )
            if month % 2 == 0:
                kind = ["lecture", "visit", "themed_day", "mutual_learning", "mutual_evaluation"][(month // 2 - 1) % 5]
                S.record_activity(
                    a,
                    kind=kind,
                    title=f"{year}年{month}月联建活动",
                    held_on=d,
                    organiser=units[(month // 2) % len(units)],
                    participants={u: rng.randint(3, 20) for u in self.members(a, d) if rng.random() < self.p(u)}
                    or {lead: 5},
                    on=until,
                    actor=SYSTEM,
                )
                self.counts["alliance_activities"] += 1
        # Funds: "党费补、部门扶、企业帮、收益提"; spending by project within means.
        S.record_income(
            a,
            source="party_fees",
            amount=rng.choice([5000, 8000, 10000]),
            on=dt.date(year, 2, 1),
            unit=lead,
            note="党费返还",
            actor=SYSTEM,
        )
        S.record_income(
            a,
            source="department",
            amount=rng.choice([10000, 20000]),
            on=dt.date(year, 3, 1),
            note="部门专项支持",
            actor=SYSTEM,
        )
        S.record_income(
            a,
            source="enterprise",
            amount=rng.choice([3000, 6000]),
            on=dt.date(year, 3, 15),
            unit=units[-1],
            note="企业帮扶",
            actor=SYSTEM,
        )
        if year == self.last:
            S.record_income(
                a, source="revenue_share", amount=2000, on=dt.date(year, 10, 1), note="项目收益提取", actor=SYSTEM
            )
        for month in (4, 7, 10):
            if dt.date(year, month, 10) <= until:
                S.record_spending(
                    a,
                    project=projects[0],
                    amount=rng.choice([1500, 2500, 4000]),
                    on=dt.date(year, month, 10),
                    note="项目支出",
                    actor=SYSTEM,
                )

    def record(self, a, m, held, attendees, minutes, suggest=()):
        S.record_meeting(
            m,
            held_on=held,
            minutes=minutes,
            decisions="明确责任单位和完成时限",
            attendees=list(dict.fromkeys(attendees)),
            topic=minutes[:60],
            suggestions=[(u, "建议加强供需对接，细化责任清单") for u in suggest],
            late_reason="因防汛任务推迟" if m.due_on and held > m.due_on else "",
            on=held + dt.timedelta(days=1),
            actor=SYSTEM,
        )
        self.counts["alliance_meetings"] += 1

    def review(self, a: Alliance):
        year = self.last
        for q in (1, 2, 3, 4):
            RT.close_quarter(a, year, q, on=dt.date(year + 1, 1, 5), actor=SYSTEM)
        rv = RT.start_review(a, year, actor=SYSTEM)
        for ur in rv.units.select_related("unit"):
            RT.submit_report(
                rv,
                ur.unit,
                report=f"{ur.unit.name}{year}年度述职：参加联合体会议，认领并落实项目，提供资源和志愿服务。",
                on=dt.date(year + 1, 1, 8),
                actor=SYSTEM,
            )
        RT.publish_points(rv, on=dt.date(year + 1, 1, 10), actor=SYSTEM)
        RT.open_appraisal(rv, actor=SYSTEM)
        ids = [ur.unit for ur in rv.units.select_related("unit")]
        pts = {ur.unit_id: ur.points for ur in rv.units.all()}
        for v in ids:
            RT.cast_appraisal(
                rv,
                v,
                {u: self.rating(pts[u.pk] or 0.0) for u in ids if u != v},
                actor=SYSTEM,
            )
        RT.grade(rv, on=dt.date(year + 1, 1, 15), actor=SYSTEM)
        return rv

    def rating(self, points: float) -> int:
        """How a member unit rates another after the points are announced: mostly by what it saw."""
        r = 4 if points >= 85 else 3 if points >= 65 else 2 if points >= 45 else 1
        roll = self.rng.random()
        return max(1, min(4, r + (1 if roll < 0.1 else -1 if roll > 0.9 else 0)))

    def follow_up(self, reviews: list) -> None:
        """What follows from the grades, up to today: the rectified units work through their plans (the
        weakest falls behind and its re-review fails, opening a second round); a top-graded unit gets
        its funding tilt."""
        rects = list(
            Rectification.objects.filter(unit_review__review__in=reviews)
            .select_related("unit_review")
            .order_by("unit_review__final_score", "id")
        )
        for i, rect in enumerate(rects):
            tasks = list(rect.tasks.all())
            behind = i == 0  # the weakest falls behind its plan
            for k, t in enumerate(tasks):
                if t.due_on <= self.today and not (behind and k % 2 == 0):
                    S.complete_rectification_task(
                        t,
                        note="已按整顿计划完成，附会议记录和台账",
                        on=max(rect.opened_on, t.due_on - dt.timedelta(days=3)),
                        actor=SYSTEM,
                    )
            review_on = rect.deadline + dt.timedelta(days=5)
            if review_on <= self.today:
                passed = not behind
                done = S.rereview(
                    rect,
                    passed=passed,
                    note="整改任务全部完成，参会和履职恢复正常" if passed else "期限内整改任务未全部完成，继续整顿",
                    on=review_on,
                    actor=SYSTEM,
                )
                nxt = done.next_round
                if nxt is not None:
                    for t in list(nxt.tasks.all())[:1]:
                        if t.due_on <= self.today:
                            S.complete_rectification_task(t, note="已补做", on=t.due_on, actor=SYSTEM)
        top = (
            UnitReview.objects.filter(review__in=reviews, outcome=UnitReview.Outcome.SUPPORT)
            .select_related("review", "review__alliance")
            .order_by("-final_score", "id")
            .first()
        )
        if top is not None and not Support.objects.filter(unit_review=top, kind="funding").exists():
            on = min(self.today, dt.date(self.last + 1, 3, 1))
            S.record_support_funding(top, amount=5000, on=on, actor=SYSTEM)
        self.counts["alliance_rectifications"] = Rectification.objects.count()
        self.counts["alliance_supports"] = Support.objects.count()


def generate(*, seed: int, scale: str, progress) -> dict[str, int]:
    d = _Demo(seed, scale, progress)
    plans = d.plans()
    total = len(plans)
    reviews = []
    for i, p in enumerate(plans):
        a = d.found(p)
        late = p.get("late_join")
        if late is not None:  # a unit invited in spring: its records start then
            m = S.invite(a, late, on=dt.date(d.last, 4, 2), actor=SYSTEM)
            S.accept_membership(m, on=dt.date(d.last, 4, 5), actor=SYSTEM)
        d.year(a, p, d.last, dt.date(d.last, 12, 31))
        reviews.append(d.review(a))
        if d.today > dt.date(d.today.year, 1, 12):
            d.year(a, p, d.today.year, d.today)
        progress("党建联合体", i + 1, total)
    d.follow_up(reviews)
    # One application waiting in the inbox.
    if plans:
        p = plans[-1]
        S.apply_alliance(
            lead_unit=p["members"][0],
            kind="cross_level",
            name=f"{p['members'][0].name}牵头跨层级联合体",
            purpose="区、镇、村三级联动推进人居环境整治",
            members=[p["lead"]],
            initial_needs="垃圾清运；污水处理",
            on=d.today,
            actor=SYSTEM,
        )
    d.counts["alliances"] = Alliance.objects.count()
    return d.counts
