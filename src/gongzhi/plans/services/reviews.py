"""Regular joint reviews of a goal (定期会商研判, seed 003: 建立健全定期会商研判、问题协调解决、方案优化调整等
工作制度): a review schedule per goal (cadence), meetings scheduled by the periodic job, a meeting held
that reads the computed indicators (stored as a snapshot), judges each task (on track / at risk / off
track with a reason code), decides adjustments through :mod:`.adjustments` and follows up with
supervision flags; the next meeting is scheduled by the cadence. Closes decision → execution → feedback
→ supervision → adjustment on the record.

Part of :mod:`gongzhi.plans.services`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.core.events import emit
from gongzhi.org.models import Unit

from .. import contracts as C
from .. import perms as P
from .. import status as S
from ..models import (
    CADENCE_MONTHS,
    Adjustment,
    Cadence,
    Goal,
    Judgement,
    JudgementReason,
    ReviewJudgement,
    ReviewMeeting,
    ReviewSchedule,
    SupervisionFlag,
    Task,
)
from .adjustments import adjust_task
from .common import _date, _now, _today, _user
from .supervision import _raise
from .tasks import _refresh_value


def add_months(day: dt.date, n: int) -> dt.date:
    m = day.year * 12 + day.month - 1 + n
    y, mo = divmod(m, 12)
    return dt.date(y, mo + 1, min(day.day, calendar.monthrange(y, mo + 1)[1]))


def _require_active(goal: Goal) -> None:
    if goal.state != Goal.State.ACTIVE:
        raise DomainError(f"目标已{goal.get_state_display()}，不再会商研判", field="state")


def _create_meeting(goal: Goal, on: dt.date, *, auto: bool) -> ReviewMeeting | None:
    """One scheduled meeting per goal (a partial unique constraint): None when one is already waiting."""
    if ReviewMeeting.objects.filter(goal=goal, state=ReviewMeeting.State.SCHEDULED).exists():
        return None
    try:
        with transaction.atomic():
            return ReviewMeeting.objects.create(goal=goal, region=goal.region, scheduled_on=on, auto=auto)
    except IntegrityError:
        return None


@transaction.atomic
def set_review_schedule(actor: Any, goal: Goal, *, cadence: str, first_on: Any = None) -> ReviewSchedule:
    """Review ``goal`` every month / two months / quarter from ``first_on`` (default today); the first
    meeting is scheduled at once when none is waiting."""
    P.require(actor, P.MANAGE, goal)
    _require_active(goal)
    if cadence not in Cadence.values:
        raise DomainError(f"会商周期应为：{'、'.join(str(c.label) for c in Cadence)}", field="cadence")
    first = _date(first_on, "first_on", "请填写首次会商日期") if first_on not in (None, "") else _today()
    if first > goal.due_on:
        raise DomainError(f"首次会商日期不能晚于目标完成时限{goal.due_on}", field="first_on")
    sched, _created = ReviewSchedule.objects.update_or_create(
        goal=goal,
        defaults={"cadence": cadence, "first_on": first, "active": True, "set_by": _user(actor), "set_at": _now()},
    )
    _create_meeting(goal, first, auto=True)
    emit(
        C.REVIEW_SCHEDULED,
        aggregate_type="plan_goal",
        aggregate_id=goal.pk,
        region=goal.region,
        actor=actor,
        payload={"goal": goal.pk, "cadence": cadence, "first_on": first.isoformat()},
    )
    return sched


@transaction.atomic
def schedule_review(actor: Any, goal: Goal, *, on: Any) -> ReviewMeeting:
    """An extra review meeting on a given day (when none is waiting)."""
    P.require(actor, P.MANAGE, goal)
    _require_active(goal)
    day = _date(on, "scheduled_on", "请填写会商日期")
    m = _create_meeting(goal, day, auto=False)
    if m is None:
        raise Conflict("该目标已有待召开的会商，请先召开", field="scheduled_on")
    return m


def next_review_day(goal: Goal, sched: ReviewSchedule) -> dt.date:
    """The day of the goal's next review: the first day, then a cadence after the last meeting."""
    last = goal.reviews.order_by("-scheduled_on").values_list("held_on", "scheduled_on").first()
    if last is None:
        return sched.first_on
    return add_months(last[0] or last[1], CADENCE_MONTHS[Cadence(sched.cadence)])


def generate_due_reviews(
    actor: Any, *, on: dt.date | None = None, region: Any = None, lead_days: int = 7
) -> dict[str, int]:
    """The periodic job (``gongzhi plans reviews generate``, daily): for every active goal with an active
    schedule and no meeting waiting, schedule the next one when it falls within ``lead_days``.
    Idempotent: a second run the same day schedules nothing (one waiting meeting per goal)."""
    if not P.perm.is_system(actor):
        region = region or P.perm.home_region(actor)
        if region is None:
            raise Forbidden("无权管理目标任务")
        P.require(actor, P.MANAGE, region)
    on = on or _today()
    out = {"goals": 0, "scheduled": 0}
    scheds = ReviewSchedule.objects.filter(active=True, goal__state=Goal.State.ACTIVE).select_related("goal__region")
    if region is not None:
        scheds = scheds.filter(goal__region__path__startswith=region.path)
    for sched in scheds:
        out["goals"] += 1
        goal = sched.goal
        day = next_review_day(goal, sched)
        if day > on + dt.timedelta(days=lead_days) or day > goal.due_on:
            continue
        with transaction.atomic():
            if _create_meeting(goal, day, auto=True) is not None:
                out["scheduled"] += 1
    return out


def due_reviews(user: Any, *, on: dt.date | None = None) -> QuerySet[ReviewMeeting]:
    """Meetings waiting to be held whose day has come, in the user's scope, oldest first."""
    on = on or _today()
    return P.scope(
        user,
        ReviewMeeting.objects.filter(state=ReviewMeeting.State.SCHEDULED, scheduled_on__lte=on).select_related(
            "goal", "region"
        ),
    ).order_by("scheduled_on", "id")


def indicator_snapshot(goal: Goal, on: dt.date, actor: Any) -> list[dict]:
    """Every open or done task's indicator as the meeting reads it: a computable one is read from the
    records now (``plans.indicators``), a manual one is its last report."""
    tasks = list(goal.tasks.exclude(state=Task.State.CANCELLED).select_related("unit", "goal").order_by("id"))
    for t in tasks:
        if t.state == Task.State.OPEN and t.indicator_source:
            _refresh_value(t, on, actor, note="会商研判读取指标")
    prog = S.tree_progress(tasks)
    return [
        {
            "task": t.pk,
            "unit": t.unit.code,
            "indicator": t.indicator_name,
            "source": t.indicator_source or "manual",
            "value": t.current_value,
            "baseline": t.baseline,
            "target": t.target,
            "progress": round(prog.get(t.pk, t.progress), 1),
            "expected": S.expected_progress(goal.starts_on, t.deadline, on),
            "state": t.state,
            "overdue": S.is_overdue(t, on),
        }
        for t in tasks
    ]


@transaction.atomic
def hold_review(
    actor: Any,
    meeting: ReviewMeeting,
    *,
    participants: list[Unit],
    judgements: list[dict],
    adjustments: Sequence[dict] = (),
    summary: str = "",
    held_on: Any = None,
) -> ReviewMeeting:
    """Hold a scheduled meeting: snapshot the indicators, record a judgement per task (``task``, ``status``,
    ``reason``, ``note``), decide adjustments (``task``, ``kind``, ``reason`` and the new values, passed to
    :func:`.adjustments.adjust_task`), raise a follow-up supervision flag for each task judged off track,
    and schedule the next meeting by the goal's cadence. A refused input writes nothing."""
    goal = meeting.goal
    P.require(actor, P.MANAGE, goal)
    _require_active(goal)
    if meeting.state != ReviewMeeting.State.SCHEDULED:
        raise Conflict("该会商已召开", field="state")
    day = _date(held_on, "held_on", "请填写召开日期") if held_on not in (None, "") else _today()
    if day > _today():
        raise DomainError(f"召开日期{day}晚于今天", field="held_on")
    if day < goal.starts_on:
        raise DomainError(f"召开日期不能早于目标开始日期{goal.starts_on}", field="held_on")
    if not participants:
        raise DomainError("请填写参会单位", field="participants")
    summary = (summary or "").strip()
    if len(summary) > 500:
        raise DomainError("会商结论过长：最多500字", field="summary")
    tasks = {t.pk: t for t in goal.tasks.select_related("unit", "goal", "region")}
    seen: set[int] = set()
    clean: list[tuple[Task, str, str, str]] = []
    for j in judgements:
        t = tasks.get(int(j.get("task") or 0)) if str(j.get("task") or "").isdigit() else None
        if t is None:
            raise DomainError(f"任务{j.get('task')}不属于该目标", field="judgements")
        if t.pk in seen:
            raise DomainError(f"任务“{t.title}”重复研判", field="judgements")
        seen.add(t.pk)
        status, reason = j.get("status"), j.get("reason")
        if status not in Judgement.values:
            raise DomainError(
                f"研判结论应为：{'、'.join(str(c.label) for c in Judgement)}（任务“{t.title}”）", field="judgements"
            )
        if reason not in JudgementReason.values:
            raise DomainError(f"请为任务“{t.title}”选择原因", field="judgements")
        if status != Judgement.ON_TRACK and reason == JudgementReason.AS_PLANNED:
            raise DomainError(f"任务“{t.title}”判为{Judgement(status).label}，请说明原因", field="judgements")
        note = (j.get("note") or "").strip()
        if len(note) > 300:
            raise DomainError("说明过长：最多300字", field="judgements")
        clean.append((t, status, reason, note))
    if not clean:
        raise DomainError("请至少研判一项任务", field="judgements")
    n = ReviewMeeting.objects.filter(pk=meeting.pk, state=ReviewMeeting.State.SCHEDULED).update(
        state=ReviewMeeting.State.HELD,
        held_on=day,
        held_by=_user(actor),
        held_at=_now(),
        summary=summary,
        indicators=indicator_snapshot(goal, day, actor),
    )
    if n == 0:
        raise Conflict("该会商已被他人召开", field="state")
    meeting.refresh_from_db()
    meeting.participants.set(participants)
    flags = 0
    for t, status, reason, note in clean:
        flag = None
        if status == Judgement.OFF_TRACK and t.state == Task.State.OPEN:
            detail = f"会商研判（{day}）：偏离目标，原因：{JudgementReason(reason).label}"
            if _raise(t, SupervisionFlag.Kind.OFF_TRACK, detail, actor):
                flags += 1
            flag = (
                SupervisionFlag.objects.filter(task=t, kind=SupervisionFlag.Kind.OFF_TRACK, resolved_at__isnull=True)
                .order_by("-raised_at")
                .first()
            )
        ReviewJudgement.objects.create(meeting=meeting, task=t, status=status, reason=reason, note=note, flag=flag)
    adjusted: list[Adjustment] = []
    for a in adjustments:
        t = tasks.get(int(a.get("task") or 0)) if str(a.get("task") or "").isdigit() else None
        if t is None:
            raise DomainError(f"调整的任务{a.get('task')}不属于该目标", field="adjustments")
        new = {k: v for k, v in a.items() if k not in ("task", "kind", "reason")}
        adj = adjust_task(actor, t, kind=a.get("kind") or "", reason=a.get("reason") or "", **new)
        Adjustment.objects.filter(pk=adj.pk).update(review=meeting)
        adjusted.append(adj)
    sched = ReviewSchedule.objects.filter(goal=goal, active=True).first()
    if sched is not None:
        nxt = add_months(day, CADENCE_MONTHS[Cadence(sched.cadence)])
        if nxt <= goal.due_on:
            _create_meeting(goal, nxt, auto=True)
    emit(
        C.REVIEW_HELD,
        aggregate_type="plan_goal",
        aggregate_id=goal.pk,
        region=goal.region,
        actor=actor,
        payload={
            "goal": goal.pk,
            "meeting": meeting.pk,
            "held_on": day.isoformat(),
            "participants": sorted(u.code for u in participants),
            "judgements": [{"task": t.pk, "status": s, "reason": r} for t, s, r, _n in clean],
            "adjustments": [a.pk for a in adjusted],
            "flags": flags,
            "indicators": [
                {"task": i["task"], "value": i["value"], "target": i["target"], "progress": i["progress"]}
                for i in meeting.indicators
            ],
            "summary": summary,
        },
    )
    return meeting
