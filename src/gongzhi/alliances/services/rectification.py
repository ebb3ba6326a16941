"""What follows from a grade (seed 000: "评定等次，奖优罚劣，对工作不力的基层党组织及时进行整顿，对成效良好的
适当给予政策资金倾斜").

* **Rectification (整顿)**: a unit graded at or below ``rectify_max_stars`` gets a plan when the review
  is graded (:func:`open_rectification`): one task per weak dimension (under :data:`WEAK_SHARE` of its
  maximum) plus a report, a deadline ``rectify_months`` after the grade, and a re-review
  (:func:`rereview`) that closes it passed or failed, with the unit's quarterly totals since the plan
  opened as its evidence.
* **Support**: a unit graded at or above ``support_min_stars`` gets priority in the common pool when the
  review is graded (:func:`record_pool_priority`, a rank by final score, for the next year), and the
  funding tilt is recorded when the money is granted (:func:`record_support_funding`): an income entry
  in the alliance's funds (部门扶) marked for the unit.

Every step is an event on the public record.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.db import transaction

from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.events import emit

from .. import contracts
from .. import permissions as ap
from .. import rules as R
from ..contracts import AllianceError
from ..models import (
    Dimension,
    FundEntry,
    Quarter,
    Rectification,
    RectificationTask,
    Support,
    UnitReview,
    YearReview,
)
from .common import _text, _today
from .funds import record_income

# A dimension under this share of its maximum is weak: the plan gets a task for it.
WEAK_SHARE = 0.6
TASK_FOR = {
    "attendance": "按时出席联合体必开会议（启动会、推进会、调度会、总结会），缺席须书面说明",
    "suggestions": "每季度至少提出一条建言献策，围绕联合体项目清单",
    "resources": "对照资源清单，每季度至少供给一次资源（场地、物资、志愿者或技术）",
    "activities": "参加联合体“五个一”活动，每次派员参加",
    "tasks": "按时限完成认领的项目任务，逾期的任务制定补救措施",
}
REPORT_TASK = "向联合体提交整顿情况报告，说明问题、原因和整改成效"


def _add_months(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    y, m = day.year + m // 12, m % 12 + 1
    return dt.date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def weak_dimensions(ur: UnitReview) -> list[str]:
    """The dimensions in which the unit got under :data:`WEAK_SHARE` of the maximum over its year."""
    dims = (ur.breakdown or {}).get("dims") or {}
    weak = []
    for d in R.DIMENSIONS:
        v = dims.get(d) or {}
        if v.get("got") is not None and v.get("max") and v["got"] < WEAK_SHARE * v["max"]:
            weak.append(d)
    return weak


def _plan(ur: UnitReview, *, round_: int, on: dt.date, titles: list[tuple[str, str]], actor: Any) -> Rectification:
    review = ur.review
    deadline = _add_months(on, R.rectify_months(review.ruleset.rules))
    rect = Rectification.objects.create(
        unit_review=ur, round=round_, alliance=review.alliance, unit=ur.unit, opened_on=on, deadline=deadline
    )
    span = (deadline - on).days
    tasks = [
        RectificationTask(
            rectification=rect,
            title=title,
            dimension=d,
            due_on=on + dt.timedelta(days=span * (i + 1) // (len(titles) + 1)),
        )
        for i, (title, d) in enumerate(titles)
    ]
    tasks.append(RectificationTask(rectification=rect, title=REPORT_TASK, due_on=deadline))
    RectificationTask.objects.bulk_create(tasks)
    a = review.alliance
    emit(
        contracts.RECTIFICATION_OPENED,
        aggregate_type="alliance",
        aggregate_id=a.code,
        region=a.region,
        actor=actor,
        payload={
            "alliance": a.code,
            "year": review.year,
            "unit": ur.unit.code,
            "unit_name": ur.unit.name,
            "round": round_,
            "stars": ur.stars or 1,
            "final": float(ur.final_score or 0.0),
            "opened_on": on.isoformat(),
            "deadline": deadline.isoformat(),
            "tasks": [{"title": t.title, "dimension": t.dimension, "due_on": t.due_on.isoformat()} for t in tasks],
        },
    )
    return rect


def open_rectification(ur: UnitReview, *, on: dt.date | None = None, actor: Any) -> Rectification:
    """Open the rectification of a unit the grade listed for it: a task for each weak dimension and a
    report, due by the deadline. Called by ``rating.grade`` in its transaction; runs in the caller's
    transaction. Idempotent: the first round is returned when it exists."""
    ap.require(actor, ap.RATE, ur.review.alliance)
    if ur.outcome != UnitReview.Outcome.RECTIFY:
        raise DomainError(f"{ur.unit.name}不在整顿名单中", code=AllianceError.NOT_ON_LIST)
    existing = Rectification.objects.filter(unit_review=ur).order_by("round").first()
    if existing is not None:
        return existing
    return _plan(ur, round_=1, on=_today(on), titles=[(TASK_FOR[d], d) for d in weak_dimensions(ur)], actor=actor)


def _open(rect: Rectification) -> Rectification:
    rect = (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("alliance", "unit", "unit_review__review")
        .get(pk=rect.pk)
    )
    if rect.status != Rectification.Status.OPEN:
        raise DomainError("该整顿已复核结束", code=CoreError.INVALID_STATE)
    return rect


@transaction.atomic
def add_task(rect: Rectification, *, title: str, due_on: dt.date, dimension: str = "", actor: Any) -> RectificationTask:
    """The rating body adds a task to an open plan (due by the deadline)."""
    ap.require(actor, ap.RATE, rect.alliance)
    rect = _open(rect)
    title = _text(title, "title", "整改任务", 200)
    if dimension and dimension not in R.DIMENSIONS:
        raise DomainError(f"维度必须是：{'、'.join(str(x) for x in Dimension.labels)}", field="dimension")
    if not isinstance(due_on, dt.date) or not rect.opened_on <= due_on <= rect.deadline:
        raise DomainError(f"完成时限须在{rect.opened_on}至整顿期限{rect.deadline}之间", field="due_on")
    return RectificationTask.objects.create(rectification=rect, title=title, dimension=dimension, due_on=due_on)


@transaction.atomic
def complete_task(task: RectificationTask, *, note: str, on: dt.date | None = None, actor: Any) -> RectificationTask:
    """The unit (or the rating body) records a plan task as done, with what was done."""
    ap.require(actor, ap.APPLY, task.rectification.unit, task.rectification.alliance)
    rect = _open(task.rectification)
    task = RectificationTask.objects.select_for_update().get(pk=task.pk)
    if task.done_on is not None:
        raise DomainError("该整改任务已完成", code=CoreError.INVALID_STATE)
    on = _today(on)
    if on < rect.opened_on:
        raise DomainError(f"完成日期不能早于整顿开始日期{rect.opened_on}", field="on")
    task.note = _text(note, "note", "完成情况", 300)
    task.done_on = on
    task.save(update_fields=["note", "done_on"])
    a = rect.alliance
    emit(
        contracts.RECTIFICATION_TASK_DONE,
        aggregate_type="alliance",
        aggregate_id=a.code,
        region=a.region,
        actor=actor,
        payload={
            "alliance": a.code,
            "year": rect.unit_review.review.year,
            "unit": rect.unit.code,
            "task": task.pk,
            "title": task.title,
            "done_on": on.isoformat(),
        },
    )
    return task


def evidence(rect: Rectification) -> list[dict]:
    """The unit's totals in the closed quarters that began on or after the quarter the plan opened in."""
    from .. import rating  # rating imports this module

    start = R.quarter_bounds(rect.opened_on.year, R.quarter_of(rect.opened_on))[0]
    out = []
    for q in (
        Quarter.objects.filter(alliance=rect.alliance, status=Quarter.Status.CLOSED, year__gte=start.year)
        .select_related("ruleset", "alliance")
        .order_by("year", "quarter")
    ):
        if R.quarter_bounds(q.year, q.quarter)[0] < start:
            continue
        rows = rating.quarter_scores(q, rect.unit)
        if rows:
            out.append({"year": q.year, "quarter": q.quarter, "total": rows[0]["total"], "max": rows[0]["max"]})
    return out


@transaction.atomic
def rereview(rect: Rectification, *, passed: bool, note: str, on: dt.date | None = None, actor: Any) -> Rectification:
    """The re-review closes the rectification, passed or failed. Passing needs every task done; before
    the deadline the re-review needs every task done, after it a failed one may be recorded anyway.
    A failed re-review opens the next round at once, with the tasks not done (returned as ``next_round``)."""
    ap.require(actor, ap.RATE, rect.alliance)
    rect = _open(rect)
    on = _today(on)
    tasks = list(rect.tasks.all())
    open_tasks = [t.title for t in tasks if t.done_on is None]
    if open_tasks and (passed or on <= rect.deadline):
        raise DomainError(
            f"还有{len(open_tasks)}项整改任务未完成（{'；'.join(t[:20] for t in open_tasks[:3])}），"
            + ("不能复核通过" if passed else f"整顿期限{rect.deadline}前不能复核"),
            code=AllianceError.RECTIFICATION_OPEN,
        )
    note = _text(note, "note", "复核意见", 2000)
    rect.evidence = evidence(rect)
    rect.status = Rectification.Status.PASSED if passed else Rectification.Status.FAILED
    rect.reviewed_on = on
    rect.review_note = note
    rect.reviewed_by = actor if getattr(actor, "is_authenticated", False) else None
    rect.save()
    a = rect.alliance
    emit(
        contracts.RECTIFICATION_REVIEWED,
        aggregate_type="alliance",
        aggregate_id=a.code,
        region=a.region,
        actor=actor,
        payload={
            "alliance": a.code,
            "year": rect.unit_review.review.year,
            "unit": rect.unit.code,
            "unit_name": rect.unit.name,
            "round": rect.round,
            "result": rect.status,
            "reviewed_on": on.isoformat(),
            "tasks_done": len(tasks) - len(open_tasks),
            "tasks": len(tasks),
            "evidence": rect.evidence,
            "note": note,
        },
    )
    rect.next_round = None
    if not passed:
        rect.next_round = _plan(
            rect.unit_review,
            round_=rect.round + 1,
            on=on,
            titles=[(t.title, t.dimension) for t in tasks if t.done_on is None and t.title != REPORT_TASK],
            actor=actor,
        )
    return rect


def _support_list(ur: UnitReview) -> UnitReview:
    if ur.outcome != UnitReview.Outcome.SUPPORT:
        raise DomainError(
            f"{ur.unit.name}评为{ur.stars or '—'}星，不在支持名单中（支持名单为{ur.review.ruleset.rules['year_end']['support_min_stars']}星及以上）",
            code=AllianceError.NOT_ON_LIST,
        )
    return ur


def _emit_support(s: Support, actor: Any) -> None:
    a, ur = s.alliance, s.unit_review
    emit(
        contracts.SUPPORT_RECORDED,
        aggregate_type="alliance",
        aggregate_id=a.code,
        region=a.region,
        actor=actor,
        payload={
            "alliance": a.code,
            "year": ur.review.year,
            "unit": s.unit.code,
            "unit_name": s.unit.name,
            "stars": ur.stars or 0,
            "kind": s.kind,
            "amount": f"{s.amount:.2f}" if s.amount is not None else "",
            "fund_entry": s.fund_entry_id,
            "priority": s.priority,
            "recorded_on": s.recorded_on.isoformat(),
            "note": s.note,
        },
    )


def record_pool_priority(ur: UnitReview, *, on: dt.date | None = None, actor: Any) -> Support:
    """Priority in the common pool for a top-graded unit until the end of the next year: its rank among
    the review's supported units by final score (1 first). Called by ``rating.grade``; runs in the
    caller's transaction."""
    review = ur.review
    ap.require(actor, ap.RATE, review.alliance)
    _support_list(ur)
    existing = Support.objects.filter(unit_review=ur, kind=Support.Kind.POOL_PRIORITY).first()
    if existing is not None:
        return existing
    ranked = list(review.units.filter(outcome=UnitReview.Outcome.SUPPORT).order_by("-final_score", "unit__name"))
    rank = next(i for i, u in enumerate(ranked, 1) if u.pk == ur.pk)
    on = _today(on)
    s = Support.objects.create(
        unit_review=ur,
        alliance=review.alliance,
        unit=ur.unit,
        kind=Support.Kind.POOL_PRIORITY,
        priority=rank,
        valid_until=dt.date(review.year + 1, 12, 31),
        recorded_on=on,
        note=f"{review.year}年度{ur.stars}星，资源池需求优先第{rank}位",
    )
    _emit_support(s, actor)
    return s


@transaction.atomic
def record_support_funding(
    ur: UnitReview, *, amount: Any, on: dt.date | None = None, note: str = "", actor: Any
) -> Support:
    """The funding tilt for a top-graded unit, when granted: an income entry (部门扶) in the alliance's
    funds marked for the unit, and the support on the record."""
    review = ur.review
    ap.require(actor, ap.RATE, review.alliance)
    _support_list(ur)
    on = _today(on)
    note = _text(note, "note", "说明", 150, False) or f"{review.year}年度{ur.stars}星党建联合体成员单位经费倾斜"
    entry = record_income(
        review.alliance, source=FundEntry.Source.DEPARTMENT, amount=amount, on=on, unit=ur.unit, note=note, actor=actor
    )
    s = Support.objects.create(
        unit_review=ur,
        alliance=review.alliance,
        unit=ur.unit,
        kind=Support.Kind.FUNDING,
        amount=entry.amount,
        fund_entry=entry,
        recorded_on=on,
        note=note,
    )
    _emit_support(s, actor)
    return s


def get_rectification(pk: int) -> Rectification:
    rect = (
        Rectification.objects.filter(pk=pk).select_related("alliance", "unit", "unit_review__review__ruleset").first()
    )
    if rect is None:
        raise NotFound("没有这项整顿")
    return rect


def follow_up(review: YearReview) -> dict[int, dict]:
    """Per unit id of a review: its rectification rounds (each with tasks done / total) and its supports."""
    out: dict[int, dict] = {}
    for r in Rectification.objects.filter(unit_review__review=review).order_by("round").prefetch_related("tasks"):
        ts = list(r.tasks.all())
        out.setdefault(r.unit_id, {}).setdefault("rectifications", []).append(
            {"obj": r, "done": sum(t.done_on is not None for t in ts), "total": len(ts)}
        )
    for s in Support.objects.filter(unit_review__review=review).order_by("kind", "id"):
        out.setdefault(s.unit_id, {}).setdefault("supports", []).append(s)
    return out
