"""Plan endpoints of the JSON API (mounted at /api/v1/plans/): goals, tasks, the loop
(progress, completion, feedback, supervision, adjustment) and the figures for other modules."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from gongzhi.core.apischema import ERRORS
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.idempotency import idempotent
from gongzhi.core.models import Region
from gongzhi.core.validation import Limit
from gongzhi.org.models import Unit

from . import figures
from . import perms as P
from . import services as PS
from . import status as S
from .models import Adjustment, SupervisionFlag

PREFIX = "plans"
router = Router(tags=["plans"])


class GoalIn(Schema):
    title: str
    source_kind: str = Field(..., description="alliance | consultation | directive")
    lead_unit: str = Field("", description="lead unit code")
    starts_on: dt.date | None = None
    due_on: dt.date | None = None
    region: str = Field("", description="region code; defaults to the source's region")
    description: str = ""
    alliance_goal: int | None = Field(None, description="alliances.Goal id (approved)")
    follow_up: int | None = Field(None, description="consult.FollowUp id (a passed vote's decision)")
    directive_ref: str = ""
    directive_issuer: str = Field("", description="issuing unit code")


class TaskIn(Schema):
    title: str
    unit: str = Field("", description="responsible unit code")
    deadline: dt.date | None = None
    quality_standard: str = ""
    indicator_name: str = ""
    indicator_unit: str = ""
    baseline: float = 0
    target: float | None = None
    indicator_source: str = Field("", description="a computable source key, blank = manual reports")
    indicator_params: dict = {}
    weight: int = 1
    parent: int | None = None


class ProgressIn(Schema):
    value: float | None = None
    progress: float | None = None
    note: str = ""
    version: int | None = None


class DoneIn(Schema):
    evidence_kind: str = Field(..., description="request | vote | meeting | alliance_task | follow_up | activity")
    evidence_id: str = Field(..., description="record id (or a request number)")
    note: str = ""
    version: int | None = None


class AdjustIn(Schema):
    kind: str = Field(..., description="deadline | scope | unit | cancel")
    reason: str = ""
    direct: bool = Field(False, description="a planner's adjustment in force at once (else a request)")
    deadline: dt.date | None = None
    title: str | None = None
    quality_standard: str | None = None
    target: float | None = None
    unit: str | None = Field(None, description="new responsible unit code")
    version: int | None = None


class DecideIn(Schema):
    approve: bool
    note: str = ""


class FeedbackIn(Schema):
    source: str = Field(..., description="resident | unit")
    text: str
    rating: str = ""
    task: int | None = None
    unit: str = ""


class FlagIn(Schema):
    kind: str = "quality"
    detail: str = ""


class ResolveIn(Schema):
    resolution: str


class LinkIn(Schema):
    kind: str
    object_id: str
    task: int | None = None


class CloseIn(Schema):
    cancel: bool = False
    reason: str = ""
    version: int | None = None


def _unit(code: str | None, field: str):
    if not code:
        return None
    u = Unit.objects.filter(code=code).select_related("region").first()
    if u is None:
        raise DomainError(f"没有编码为{code}的单位", field=field)
    return u


def task_out(t, progress: float | None = None) -> dict:
    return {
        "id": t.pk,
        "goal": t.goal_id,
        "parent": t.parent_id,
        "title": t.title,
        "unit": t.unit.code,
        "unit_name": t.unit.name,
        "region": t.region.code,
        "deadline": t.deadline,
        "quality_standard": t.quality_standard,
        "weight": t.weight,
        "indicator": {
            "name": t.indicator_name,
            "unit": t.indicator_unit,
            "baseline": t.baseline,
            "target": t.target,
            "source": t.indicator_source or None,
            "params": t.indicator_params,
            "current": t.current_value,
            "at": t.current_at,
        },
        "progress": t.progress if progress is None else progress,
        "state": t.state,
        "done_on": t.done_on,
        "overdue": S.is_overdue(t),
        "version": t.version,
    }


def goal_out(g, summary: dict | None = None, full: bool = False) -> dict:
    s = summary or S.goal_summary(g)
    d = {
        "id": g.pk,
        "title": g.title,
        "source_kind": g.source_kind,
        "alliance_goal": g.alliance_goal_id,
        "follow_up": g.follow_up_id,
        "directive_ref": g.directive_ref,
        "directive_issuer": g.directive_issuer.code if g.directive_issuer_id else None,
        "region": g.region.code,
        "lead_unit": g.lead_unit.code,
        "starts_on": g.starts_on,
        "due_on": g.due_on,
        "state": g.state,
        "status": s["status"],
        "progress": s["progress"],
        "tasks": s["tasks"],
        "done": s["done"],
        "overdue": s["overdue"],
        "open_flags": s["open_flags"],
        "version": g.version,
    }
    if full:
        tasks = g.tasks.select_related("unit", "region")
        d["task_list"] = [task_out(t, s["task_progress"].get(t.pk)) for t in tasks]
        d["links"] = [
            {"kind": ln.kind, "object_id": ln.object_id, "label": ln.label, "task": ln.task_id, "purpose": ln.purpose}
            for ln in g.links.all()
        ]
        d["timeline"] = [
            {
                "at": i["at"],
                "kind": i["kind"],
                "label": i["label"],
                "text": i["text"],
                "task": i["task"].pk if i["task"] else None,
            }
            for i in PS.timeline(g)
        ]
    return d


def adjustment_out(a: Adjustment) -> dict:
    return {
        "id": a.pk,
        "task": a.task_id,
        "kind": a.kind,
        "changes": a.changes,
        "reason": a.reason,
        "status": a.status,
        "requested_at": a.requested_at,
        "decided_at": a.decided_at,
        "decision_note": a.decision_note,
    }


def flag_out(f: SupervisionFlag) -> dict:
    return {
        "id": f.pk,
        "task": f.task_id,
        "kind": f.kind,
        "detail": f.detail,
        "raised_at": f.raised_at,
        "automatic": f.raised_by_id is None,
        "resolved_at": f.resolved_at,
        "resolution": f.resolution,
    }


@router.get("/goals", response={200: list[dict]})
def list_goals(request, source_kind: str = "", status: str = "", limit: Limit = 200):
    goals = PS.visible_goals(request.user).order_by("due_on", "id")
    if source_kind:
        goals = goals.filter(source_kind=source_kind)
    goals = list(goals[: max(1, min(limit, 1000))])
    sums = S.summaries(goals)
    out = [goal_out(g, sums[g.pk]) for g in goals]
    return [g for g in out if not status or g["status"] == status]


@router.post("/goals", response={201: dict, **ERRORS})
@idempotent
def create_goal(request, data: GoalIn):
    region = None
    if data.region:
        region = Region.objects.filter(code=data.region).first()
        if region is None:
            raise DomainError(f"没有编码为{data.region}的区域", field="region")
    ag = fu = None
    if data.alliance_goal:
        from gongzhi.alliances.models import Goal as AllianceGoal

        ag = AllianceGoal.objects.filter(pk=data.alliance_goal).select_related("alliance", "alliance__region").first()
        if ag is None:
            raise NotFound("没有这个联合体目标", field="alliance_goal")
    if data.follow_up:
        from gongzhi.consult.models import FollowUp

        fu = FollowUp.objects.filter(pk=data.follow_up).first()
        if fu is None:
            raise NotFound("没有这个协商落实事项", field="follow_up")
    g = PS.create_goal(
        request.user,
        title=data.title,
        source_kind=data.source_kind,
        lead_unit=_unit(data.lead_unit, "lead_unit"),
        starts_on=data.starts_on,
        due_on=data.due_on,
        region=region,
        description=data.description,
        alliance_goal=ag,
        follow_up=fu,
        directive_ref=data.directive_ref,
        directive_issuer=_unit(data.directive_issuer, "directive_issuer"),
    )
    return 201, goal_out(g)


@router.get("/goals/{gid}", response={200: dict, **ERRORS})
def get_goal(request, gid: int):
    return 200, goal_out(PS.get_goal(request.user, gid), full=True)


@router.post("/goals/{gid}/tasks", response={201: dict, **ERRORS})
@idempotent
def add_task(request, gid: int, data: TaskIn):
    g = PS.get_goal(request.user, gid)
    parent = None
    if data.parent:
        parent = g.tasks.filter(pk=data.parent).first()
        if parent is None:
            raise DomainError("上级任务不属于这个目标", field="parent")
    t = PS.add_task(
        request.user,
        g,
        title=data.title,
        unit=_unit(data.unit, "unit"),
        deadline=data.deadline,
        quality_standard=data.quality_standard,
        indicator_name=data.indicator_name,
        indicator_unit=data.indicator_unit,
        baseline=data.baseline,
        target=data.target,
        indicator_source=data.indicator_source,
        indicator_params=data.indicator_params,
        weight=data.weight,
        parent=parent,
    )
    return 201, task_out(t)


@router.post("/goals/{gid}/feedback", response={201: dict, **ERRORS})
@idempotent
def feedback(request, gid: int, data: FeedbackIn):
    g = PS.get_goal(request.user, gid)
    task = g.tasks.filter(pk=data.task).first() if data.task else None
    f = PS.add_feedback(
        request.user,
        g,
        source=data.source,
        text=data.text,
        rating=data.rating,
        task=task,
        unit=_unit(data.unit, "unit"),
    )
    return 201, {"id": f.pk, "goal": g.pk, "source": f.source, "rating": f.rating, "text": f.text, "at": f.at}


@router.post("/goals/{gid}/links", response={201: dict, **ERRORS})
@idempotent
def link(request, gid: int, data: LinkIn):
    g = PS.get_goal(request.user, gid)
    task = g.tasks.filter(pk=data.task).first() if data.task else None
    ln = PS.link_record(request.user, g, kind=data.kind, object_id=data.object_id, task=task)
    return 201, {"id": ln.pk, "kind": ln.kind, "object_id": ln.object_id, "label": ln.label, "task": ln.task_id}


@router.post("/goals/{gid}/close", response={200: dict, **ERRORS})
def close(request, gid: int, data: CloseIn):
    g = PS.close_goal(
        request.user, PS.get_goal(request.user, gid), version=data.version, cancel=data.cancel, reason=data.reason
    )
    return 200, goal_out(g)


@router.get("/inbox", response={200: list[dict]})
def inbox(request, limit: Limit = 200):
    return [task_out(t) for t in PS.inbox(request.user).select_related("region")[: max(1, min(limit, 1000))]]


@router.get("/tasks/{tid}", response={200: dict, **ERRORS})
def get_task(request, tid: int):
    t = PS.get_task(request.user, tid)
    d = task_out(t)
    d["updates"] = [
        {
            "at": u.at,
            "source": u.source,
            "value": u.value,
            "progress": u.progress,
            "note": u.note,
            "unit": u.reporter_unit.code if u.reporter_unit_id else None,
        }
        for u in t.updates.all()
    ]
    d["adjustments"] = [adjustment_out(a) for a in t.adjustments.all()]
    d["flags"] = [flag_out(f) for f in t.flags.all()]
    return 200, d


@router.post("/tasks/{tid}/progress", response={201: dict, **ERRORS})
@idempotent
def progress(request, tid: int, data: ProgressIn):
    t = PS.get_task(request.user, tid)
    u = PS.report_progress(
        request.user, t, value=data.value, progress=data.progress, note=data.note, version=data.version
    )
    return 201, {"id": u.pk, "task": task_out(t), "value": u.value, "progress": u.progress}


@router.post("/tasks/{tid}/done", response={200: dict, **ERRORS})
def done(request, tid: int, data: DoneIn):
    t = PS.complete_task(
        request.user,
        PS.get_task(request.user, tid),
        evidence_kind=data.evidence_kind,
        evidence_id=data.evidence_id,
        note=data.note,
        version=data.version,
    )
    return 200, task_out(t)


@router.post("/tasks/{tid}/adjustments", response={201: dict, **ERRORS})
@idempotent
def adjust(request, tid: int, data: AdjustIn):
    t = PS.get_task(request.user, tid)
    new = {
        "deadline": data.deadline,
        "title": data.title,
        "quality_standard": data.quality_standard,
        "target": data.target,
        "unit": _unit(data.unit, "unit"),
    }
    if data.direct:
        a = PS.adjust_task(request.user, t, kind=data.kind, reason=data.reason, version=data.version, **new)
    else:
        a = PS.request_adjustment(request.user, t, kind=data.kind, reason=data.reason, **new)
    return 201, adjustment_out(a)


@router.post("/adjustments/{aid}/decide", response={200: dict, **ERRORS})
def decide(request, aid: int, data: DecideIn):
    a = get_object_or_404(Adjustment, pk=aid)
    PS.get_task(request.user, a.task_id)
    return 200, adjustment_out(PS.decide_adjustment(request.user, a, approve=data.approve, note=data.note))


@router.post("/tasks/{tid}/flags", response={201: dict, **ERRORS})
@idempotent
def flag(request, tid: int, data: FlagIn):
    f = PS.raise_flag(request.user, PS.get_task(request.user, tid), kind=data.kind, detail=data.detail)
    return 201, flag_out(f)


@router.post("/flags/{fid}/resolve", response={200: dict, **ERRORS})
def resolve(request, fid: int, data: ResolveIn):
    f = get_object_or_404(SupervisionFlag, pk=fid)
    PS.get_task(request.user, f.task_id)
    return 200, flag_out(PS.resolve_flag(request.user, f, resolution=data.resolution))


@router.get("/figures", response={200: dict, **ERRORS})
def task_figures(request, region: str, start: dt.date, end: dt.date, unit: str = "", kind: str = ""):
    """``task_figures`` for a region in the caller's scope; with ``kind`` also the task/goal ids behind it."""
    r = Region.objects.filter(code=region).first()
    if r is None:
        raise NotFound(f"没有编码为{region}的区域", field="region")
    P.require(request.user, P.VIEW, r)
    u = _unit(unit, "unit")
    out = figures.task_figures(r, start, end, unit=u)
    if kind:
        if kind not in figures.KINDS:
            raise DomainError(f"未知的指标：{kind}，可选：{'、'.join(figures.KINDS)}", field="kind")
        out["records"] = list(figures.task_records(r, start, end, kind, unit=u).values_list("pk", flat=True)[:1000])
    return 200, out


# ----------------------------------------------------------------- regular joint reviews (定期会商研判, seed 003)


class ScheduleIn(Schema):
    cadence: str = Field(..., description="monthly | bimonthly | quarterly")
    first_on: dt.date | None = Field(None, description="the first review's day (default today)")


class JudgementIn(Schema):
    task: int
    status: str = Field(..., description="on_track | at_risk | off_track")
    reason: str = Field(
        ..., description="as_planned | resources | coordination | external | scope | data_lag | residents"
    )
    note: str = ""


class ReviewAdjustmentIn(Schema):
    task: int
    kind: str = Field(..., description="deadline | scope | unit | cancel (the adjustments service)")
    reason: str
    deadline: dt.date | None = None
    title: str | None = None
    quality_standard: str | None = None
    target: float | None = None
    unit: str | None = None


class HoldIn(Schema):
    participants: list[str] = Field(..., description="unit codes")
    judgements: list[JudgementIn]
    adjustments: list[ReviewAdjustmentIn] = Field(default_factory=list)
    summary: str = ""
    held_on: dt.date | None = None


def review_out(m: Any) -> dict:
    return {
        "id": m.pk,
        "goal": m.goal_id,
        "region": m.region.code,
        "scheduled_on": m.scheduled_on.isoformat(),
        "state": m.state,
        "held_on": m.held_on.isoformat() if m.held_on else None,
        "participants": sorted(u.code for u in m.participants.all()),
        "indicators": m.indicators,
        "judgements": [
            {"task": j.task_id, "status": j.status, "reason": j.reason, "note": j.note, "flag": j.flag_id}
            for j in m.judgements.all()
        ],
        "adjustments": [adjustment_out(a) for a in m.adjustments.select_related("task")],
        "summary": m.summary,
        "auto": m.auto,
    }


@router.get("/reviews", response={200: list[dict]})
def list_reviews(request: HttpRequest, due: bool = False, state: str = "", limit: Limit = 200) -> tuple[int, list]:
    from .models import ReviewMeeting

    if due:
        qs = PS.due_reviews(request.user)
    else:
        qs = P.scope(request.user, ReviewMeeting.objects.select_related("region")).order_by("-scheduled_on", "-id")
        if state:
            qs = qs.filter(state=state)
    return 200, [review_out(m) for m in qs.select_related("region")[:limit]]


def _review(user: Any, rid: int) -> Any:
    from .models import ReviewMeeting

    m = ReviewMeeting.objects.select_related("goal", "region").filter(pk=rid).first()
    if m is None:
        raise NotFound("会商不存在或不在您的管辖范围内", field="rid")
    PS.get_goal(user, m.goal_id)
    return m


@router.get("/reviews/{rid}", response={200: dict, **ERRORS})
def get_review(request: HttpRequest, rid: int) -> tuple[int, dict]:
    return 200, review_out(_review(request.user, rid))


@router.post("/goals/{gid}/review-schedule", response={200: dict, **ERRORS})
def review_schedule(request: HttpRequest, gid: int, data: ScheduleIn) -> tuple[int, dict]:
    s = PS.set_review_schedule(
        request.user, PS.get_goal(request.user, gid), cadence=data.cadence, first_on=data.first_on
    )
    return 200, {"goal": gid, "cadence": s.cadence, "first_on": s.first_on.isoformat(), "active": s.active}


@router.post("/reviews/{rid}/hold", response={200: dict, **ERRORS})
def hold(request: HttpRequest, rid: int, data: HoldIn) -> tuple[int, dict]:
    m = _review(request.user, rid)
    units = {u.code: u for u in Unit.objects.filter(code__in=data.participants)}
    missing = [c for c in data.participants if c not in units]
    if missing:
        raise DomainError(f"没有编码为{'、'.join(missing)}的单位", field="participants")
    adjustments = []
    for a in data.adjustments:
        d = a.dict()
        d["task"] = str(a.task)
        d["unit"] = _unit(a.unit, "adjustments") if a.unit else None
        adjustments.append({k: v for k, v in d.items() if v is not None})
    m = PS.hold_review(
        request.user,
        m,
        participants=[units[c] for c in data.participants],
        judgements=[{**j.dict(), "task": str(j.task)} for j in data.judgements],
        adjustments=adjustments,
        summary=data.summary,
        held_on=data.held_on,
    )
    return 200, review_out(m)
