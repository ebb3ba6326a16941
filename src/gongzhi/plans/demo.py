"""Demo goals built FROM the records the other demos made: each approved alliance goal, each open
consultation decision (a passed vote's follow-up) and two district directives become plan goals,
decomposed into tasks across units (the demo users' units among them), with a realistic history:
manual progress reports over past weeks, indicators read from requests / meetings / alliance tasks,
some tasks done with evidence, some overdue, some adjusted (one adjustment request waiting), feedback,
a failed quality check, then the supervision check.  Goals and tasks go through the services (rules
hold, events emitted); the backdated history rows are bulk-written.  One transaction; deterministic.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import Region
from gongzhi.org.models import StaffRole, Unit

from . import services as PS
from . import status as S
from .models import Adjustment, Feedback, Goal, Link, ProgressUpdate, Task


def generate(*, seed: int, scale: str, progress) -> dict[str, int]:
    with transaction.atomic():  # one commit: the outbox is dispatched once
        return _Demo(seed, progress).run()


def _aware(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


class _Demo:
    def __init__(self, seed: int, progress):
        self.rng = random.Random(seed * 17 + 8)
        self.progress = progress
        self.today = timezone.localdate()
        self.updates: list[ProgressUpdate] = []
        self.feedback: list[Feedback] = []
        self.done: list[tuple[Task, dt.date]] = []

    def day(self, back: int) -> dt.date:
        return self.today - dt.timedelta(days=back)

    def role_unit(self, username: str):
        r = StaffRole.objects.filter(user__username=username, active=True).select_related("unit").first()
        return r.unit if r else None

    # ------------------------------------------------------------ history helpers
    def history(self, task: Task, *, share: float, reports: int, reporter: Unit | None = None):
        """Manual reports spread over the past weeks reaching ``share`` of the way to the target."""
        if task.indicator_source:
            return
        start = max(task.goal.starts_on, task.created_at.date() - dt.timedelta(days=120))
        span = max(1, (min(self.today, task.deadline) - start).days)
        value = task.baseline
        for k in range(1, reports + 1):
            at = start + dt.timedelta(days=span * k // (reports + 1))
            value = round(task.baseline + (task.target - task.baseline) * share * k / reports, 1)
            p = S.indicator_progress(task.baseline, task.target, value)
            self.updates.append(
                ProgressUpdate(
                    task=task,
                    source=ProgressUpdate.Source.MANUAL,
                    value=value,
                    progress=p,
                    note=self.rng.choice(
                        [
                            "按计划推进",
                            "已召开专题会部署",
                            "入户走访完成一批",
                            "协调相关单位到位",
                            "资金已拨付，正在实施",
                        ]
                    ),
                    reporter_unit=reporter or task.unit,
                    at=_aware(at, 9 + k % 8),
                )
            )
        Task.objects.filter(pk=task.pk).update(
            current_value=value,
            progress=S.indicator_progress(task.baseline, task.target, value),
            current_at=_aware(self.today - dt.timedelta(days=2)),
        )
        task.refresh_from_db()

    def finish(self, task: Task, evidence: tuple[str, int], done_on: dt.date):
        task.refresh_from_db()
        PS.complete_task(SYSTEM, task, evidence_kind=evidence[0], evidence_id=evidence[1], note="已完成，经验收合格")
        self.done.append((task, done_on))

    # ------------------------------------------------------------ sources
    def alliance_goals(self) -> int:
        from gongzhi.alliances.models import AllianceMember, Meeting
        from gongzhi.alliances.models import Goal as AllianceGoal
        from gongzhi.alliances.models import Task as AllianceTask

        n = 0
        for ag in (
            AllianceGoal.objects.filter(status="approved")
            .select_related("alliance", "alliance__lead_unit")
            .order_by("id")
        ):
            a = ag.alliance
            units = [
                m.unit
                for m in AllianceMember.objects.filter(alliance=a, status="active")
                .select_related("unit")
                .order_by("id")
            ]
            if not units:
                continue
            goal = PS.create_goal(
                SYSTEM,
                title=f"{ag.title}（{self.today.year}年度）",
                source_kind="alliance",
                alliance_goal=ag,
                lead_unit=a.lead_unit,
                starts_on=dt.date(self.today.year, 1, 1),
                due_on=dt.date(self.today.year, 12, 31),
                description=f"{a.name}经上级党组织批准的共同目标，分解到成员单位落实。",
            )
            t1 = PS.add_task(
                SYSTEM,
                goal,
                title="按“1142”机制召开联合体会议",
                unit=a.lead_unit,
                deadline=dt.date(self.today.year, 12, 20),
                quality_standard="会议按期召开、有签到有纪要",
                indicator_name="已召开会议",
                target=19,
                indicator_source="alliance_meetings_held",
            )
            t2 = PS.add_task(
                SYSTEM,
                goal,
                title="落实认领项目",
                unit=units[min(1, len(units) - 1)],
                deadline=dt.date(self.today.year, 11, 30),
                quality_standard="认领岗位按时完成并经成员评议",
                indicator_name="已完成认领任务",
                target=max(2, len(units)),
                indicator_source="alliance_tasks_done",
            )
            t3 = PS.add_task(
                SYSTEM,
                goal,
                title=f"{ag.title}：服务对象走访",
                unit=units[-1],
                deadline=min(self.day(-self.rng.randint(20, 90)), goal.due_on),
                quality_standard="服务对象全覆盖，满意率不低于90%",
                indicator_name="已走访户数",
                indicator_unit="户",
                target=60,
            )
            self.history(t3, share=self.rng.uniform(0.3, 0.8), reports=4)
            for m in Meeting.objects.filter(alliance=a, held_on__isnull=False, year=self.today.year).order_by(
                "-held_on"
            )[:3]:
                PS.link_record(SYSTEM, goal, kind=Link.Kind.MEETING, object_id=m.pk, task=t1)
            at = AllianceTask.objects.filter(alliance=a, completed_on__isnull=False).order_by("-completed_on").first()
            if at is not None:
                PS.link_record(SYSTEM, goal, kind=Link.Kind.ALLIANCE_TASK, object_id=at.pk, task=t2)
            self.feedback.append(
                Feedback(
                    goal=goal,
                    source=Feedback.Source.UNIT,
                    unit=units[0],
                    rating="satisfied",
                    text="联合体会议调度及时，供需对接顺畅",
                    at=_aware(self.day(12)),
                )
            )
            n += 1
        return n

    def consultation_goals(self) -> int:
        from gongzhi.consult.models import FollowUp

        n = 0
        for fu in (
            FollowUp.objects.filter(status="open", topic__isnull=False).select_related("region").order_by("id")[:3]
        ):
            comm = fu.region
            street = comm.parent if comm.level == "community" else comm
            rc = (
                Unit.objects.filter(region=comm, kind__in=("residents_committee", "villagers_committee"))
                .order_by("code")
                .first()
            )
            gov = Unit.objects.filter(code=f"{street.code}-GOV").first() if street else None
            zjj = Unit.objects.filter(code=f"{comm.code[:6]}-ZJJ").first()
            if not (rc and gov):
                continue
            goal = PS.create_goal(
                SYSTEM,
                title=fu.title,
                source_kind="consultation",
                follow_up=fu,
                lead_unit=gov,
                starts_on=self.day(8),
                due_on=self.day(-150),
                description="居民表决通过的事项，按“决策—执行—反馈—监督—调整”闭环落实。",
            )
            t1 = PS.add_task(
                SYSTEM,
                goal,
                title="逐户公示方案并征求意见",
                unit=rc,
                deadline=self.day(-20),
                quality_standard="公示不少于7天，书面意见全部登记回复",
                indicator_name="已征求意见户数",
                indicator_unit="户",
                target=120,
            )
            self.history(t1, share=0.35, reports=2)
            PS.add_task(
                SYSTEM,
                goal,
                title="方案报批与资金申请",
                unit=gov,
                deadline=self.day(-60),
                quality_standard="手续齐全，资金来源明确",
                indicator_name="已完成审批事项",
                indicator_unit="项",
                target=3,
            )
            if zjj:
                PS.add_task(
                    SYSTEM,
                    goal,
                    title="组织施工并验收",
                    unit=zjj,
                    deadline=self.day(-140),
                    quality_standard="符合安全规范，验收一次通过",
                    indicator_name="完工部数",
                    indicator_unit="部",
                    target=4,
                )
            self.feedback.append(
                Feedback(
                    goal=goal,
                    source=Feedback.Source.RESIDENT,
                    rating="basically",
                    text="希望施工期间合理安排时间，减少噪音",
                    at=_aware(self.day(3)),
                )
            )
            n += 1
        return n

    def directives(self) -> int:
        from gongzhi.cases.models import ServiceRequest

        district = Region.objects.filter(level="district").order_by("code").first()
        if district is None:
            return 0
        dgov = Unit.objects.filter(code=f"{district.code}-GOV").first()
        dparty = Unit.objects.filter(code=f"{district.code}-PARTY").first() or dgov
        streets = list(Region.objects.filter(parent=district, level="street").order_by("code"))
        if not (dgov and streets):
            return 0
        year = self.today.year
        # 1. Requests: resolve and satisfy — one task per street, indicators read from the requests.
        g1 = PS.create_goal(
            SYSTEM,
            title="接诉即办“每月一题”：提升诉求办结率和满意率",
            source_kind="directive",
            directive_ref=f"{district.name[:2]}办发〔{year}〕12号",
            directive_issuer=dparty,
            region=district,
            lead_unit=dgov,
            starts_on=self.day(90),
            due_on=self.day(-120),
            description="区委部署：聚焦高频诉求，压实街乡和部门责任。",
        )
        for st in streets:
            gov = Unit.objects.filter(code=f"{st.code}-GOV").first()
            if gov is None:
                continue
            t = PS.add_task(
                SYSTEM,
                g1,
                title=f"{st.name}：诉求办结",
                unit=gov,
                deadline=self.day(-100),
                quality_standard="按时办结，群众满意",
                indicator_name="诉求办结数",
                target=max(20, ServiceRequest.objects.filter(region__path__startswith=st.path).count()),
                indicator_source="requests_resolved",
            )
            PS.add_task(
                SYSTEM,
                g1,
                title=f"{st.name}：诉求满意率",
                unit=gov,
                deadline=self.day(-100),
                quality_standard="满意率不低于90%",
                indicator_name="满意率",
                target=90,
                baseline=60,
                indicator_source="requests_satisfaction",
            )
            for r in ServiceRequest.objects.filter(
                region__path__startswith=st.path, state__in=("resolved", "closed", "confirmed")
            ).order_by("id")[:2]:
                PS.link_record(SYSTEM, g1, kind=Link.Kind.REQUEST, object_id=r.pk, task=t)
        cgj = Unit.objects.filter(code=f"{district.code}-CGJ").first()
        if cgj:
            t = PS.add_task(
                SYSTEM,
                g1,
                title="占道经营专项整治",
                unit=cgj,
                deadline=self.day(-45),
                quality_standard="重点路段占道经营动态清零",
                indicator_name="整治点位",
                indicator_unit="处",
                target=30,
            )
            self.history(t, share=0.45, reports=3)
        # 2. Living environment: tasks for street offices and communities, some late, one adjusted.
        g2 = PS.create_goal(
            SYSTEM,
            title="城乡人居环境整治提升",
            source_kind="directive",
            directive_ref=f"{district.name[:2]}政发〔{year}〕5号",
            directive_issuer=dgov,
            region=district,
            lead_unit=dgov,
            starts_on=self.day(120),
            due_on=self.day(-60),
            description="区政府部署：垃圾分类、楼道清理、村庄清洁行动。",
        )
        comm_user_unit = self.role_unit("community")
        for i, st in enumerate(streets):
            gov = Unit.objects.filter(code=f"{st.code}-GOV").first()
            if gov is None:
                continue
            parent = PS.add_task(
                SYSTEM,
                g2,
                title=f"{st.name}：人居环境整治",
                unit=gov,
                deadline=self.day(-50),
                quality_standard="辖区全覆盖，季度考核达标",
                indicator_name="完成整治社区(村)",
                indicator_unit="个",
                target=2,
            )
            comms = list(Region.objects.filter(parent=st).order_by("code")[:2])
            for j, comm in enumerate(comms):
                rc = (
                    Unit.objects.filter(region=comm, kind__in=("residents_committee", "villagers_committee"))
                    .order_by("code")
                    .first()
                )
                if rc is None:
                    continue
                late = (i + j) % 3 == 0
                deadline = self.day(self.rng.randint(5, 25)) if late else self.day(-self.rng.randint(10, 45))
                sub = PS.add_task(
                    SYSTEM,
                    g2,
                    parent=parent,
                    title=f"{comm.name}楼道堆物清理",
                    unit=rc,
                    deadline=deadline,
                    quality_standard="楼道无堆物，消防通道畅通",
                    indicator_name="已清理楼栋",
                    indicator_unit="栋",
                    target=self.rng.choice([24, 36, 48]),
                )
                self.history(sub, share=0.55 if late else self.rng.uniform(0.4, 0.9), reports=3)
                if rc == comm_user_unit:
                    # The demo community's inbox: one adjustment waiting for approval.
                    PS.request_adjustment(
                        SYSTEM,
                        sub,
                        kind="deadline",
                        deadline=min(self.day(-14), parent.deadline),
                        reason="部分楼栋业主外出，需延后两周入户",
                    )
            if i == 0:
                sub = PS.add_task(
                    SYSTEM,
                    g2,
                    parent=parent,
                    title=f"{st.name}垃圾分类桶站建设",
                    unit=gov,
                    deadline=self.day(30),
                    quality_standard="桶站设置规范、标识清楚",
                    indicator_name="已建桶站",
                    indicator_unit="个",
                    target=10,
                )
                PS.adjust_task(
                    SYSTEM,
                    sub,
                    kind="deadline",
                    deadline=self.day(-20),
                    reason="受雨季影响施工，经街道联席会议研究延期",
                )
                self.history(sub, share=0.7, reports=2)
        return 2

    # ------------------------------------------------------------ the loop
    def close_some(self) -> int:
        """Complete a few tasks with evidence (resolved requests, held meetings); one fails quality."""
        from gongzhi.cases.models import ServiceRequest

        n = 0
        for task in Task.objects.filter(state="open", indicator_source="", children__isnull=True).order_by("id"):
            if task.progress < 60 or self.rng.random() < 0.4:
                continue
            req = (
                ServiceRequest.objects.filter(
                    region__path__startswith=task.region.path, state__in=("resolved", "closed", "confirmed")
                )
                .order_by("id")
                .values_list("pk", flat=True)
                .first()
            )
            if req is None:
                continue
            on = min(self.today, task.deadline + dt.timedelta(days=self.rng.choice([-9, -3, 2])))
            self.finish(task, (Link.Kind.REQUEST, req), on)
            n += 1
            if n >= 5:
                break
        done = [t for t, _ in self.done]
        if done:
            PS.raise_flag(SYSTEM, done[-1], kind="quality", detail="抽查发现部分点位反弹，质量不达标，退回整改")
        return n

    def run(self) -> dict[str, int]:
        if not Region.objects.exists():
            return {}
        n_goals = self.alliance_goals()
        self.progress("目标任务", 1, 4)
        n_goals += self.consultation_goals()
        n_goals += self.directives()
        self.progress("目标任务", 2, 4)
        ProgressUpdate.objects.bulk_create(self.updates)
        Feedback.objects.bulk_create(self.feedback)
        self.close_some()
        # Backdate completion to the day it happened.
        for task, on in self.done:
            Task.objects.filter(pk=task.pk, state="done").update(done_on=on)
        for adj in Adjustment.objects.filter(status="approved"):
            Adjustment.objects.filter(pk=adj.pk).update(
                requested_at=_aware(self.day(25)), decided_at=_aware(self.day(24))
            )
        for goal in Goal.objects.all():
            goal.tasks.update(created_at=_aware(goal.starts_on + dt.timedelta(days=2), 15))
            Goal.objects.filter(pk=goal.pk).update(created_at=_aware(goal.starts_on, 9))
        self.progress("目标任务", 3, 4)
        out = PS.check(SYSTEM, on=self.today)
        n_reviews = self.reviews()
        self.progress("目标任务", 4, 4)
        return {
            "plan_goals": n_goals,
            "plan_tasks": Task.objects.count(),
            "plan_flags": out["overdue"] + out["off_track"],
            "plan_reviews": n_reviews,
        }

    # ------------------------------------------------------------ regular joint reviews (定期会商研判, seed 003)
    def reviews(self) -> int:
        """A monthly review for a few goals (those of a street first): meetings held in the past, reading the
        indicators, judging every open task by its progress against the time gone, one deciding a deadline
        extension; the next meeting of each goal is then waiting (one already due)."""
        from .models import ReviewMeeting

        goals = [g for g in Goal.objects.filter(state="active").order_by("id") if g.tasks.filter(state="open").exists()]
        local = [g for g in goals if g.region.level in ("street", "community")]
        chosen = local[:2] + [g for g in goals if g not in local][:1]
        held = 0
        for n, goal in enumerate(chosen):
            first = max(goal.starts_on, self.day(75 if n == 0 else 40))
            if first > goal.due_on:
                continue
            PS.set_review_schedule(SYSTEM, goal, cadence="monthly", first_on=first)
            for k in range(2 if n == 0 else 1):
                m = ReviewMeeting.objects.filter(goal=goal, state="scheduled").first()
                if m is None or m.scheduled_on > self.day(20):
                    break
                on = m.scheduled_on
                tasks = list(goal.tasks.filter(state="open").select_related("unit").order_by("id"))
                judged = []
                for t in tasks:
                    gap = S.expected_progress(goal.starts_on, t.deadline, on) - t.progress
                    if gap <= 10:
                        judged.append({"task": str(t.pk), "status": "on_track", "reason": "as_planned"})
                    elif gap <= S.OFF_TRACK_TOLERANCE:
                        judged.append({"task": str(t.pk), "status": "at_risk", "reason": "resources"})
                    else:
                        judged.append({"task": str(t.pk), "status": "off_track", "reason": "coordination"})
                adjust = []
                if k == 0 and n == 0:
                    late = [t for t in tasks if t.deadline < goal.due_on]
                    if late:
                        t = late[0]
                        adjust.append(
                            {
                                "task": str(t.pk),
                                "kind": "deadline",
                                "deadline": min(goal.due_on, t.deadline + dt.timedelta(days=21)),
                                "reason": "会商研判：责任单位人手不足，经协调延期三周并增派力量",
                            }
                        )
                units = [goal.lead_unit] + [t.unit for t in tasks if t.unit_id != goal.lead_unit_id][:3]
                m = PS.hold_review(
                    SYSTEM,
                    m,
                    participants=list({u.pk: u for u in units}.values()),
                    judgements=judged,
                    adjustments=adjust,
                    summary="逐项读取指标研判进度，偏离的任务已发起督办，下次会商跟进整改情况",
                    held_on=on,
                )
                ReviewMeeting.objects.filter(pk=m.pk).update(held_at=_aware(on, 15))
                Adjustment.objects.filter(review=m).update(requested_at=_aware(on, 16), decided_at=_aware(on, 16))
                held += 1
            # The goal's next meeting is waiting; the first goal's is due (its day has come).
            if n == 0:
                ReviewMeeting.objects.filter(goal=goal, state="scheduled").update(scheduled_on=self.day(2))
        return held
