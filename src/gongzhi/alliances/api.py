"""Alliance endpoints of the JSON API (mounted at /api/v1/alliances by gongzhi.api.api)."""

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from gongzhi.core.apischema import ERRORS
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.idempotency import idempotent
from gongzhi.core.validation import Limit, Offset
from gongzhi.org.models import Unit

from . import rating as RT
from . import rules as R
from . import services as S
from .models import Alliance, AllianceMember, Meeting, Quarter, Rectification, Support, UnitReview, YearReview

router = Router(tags=["alliances"])
PREFIX = "alliances"


class ApplyIn(Schema):
    lead_unit: str = Field(..., description="lead unit code")
    kind: str = Field(..., description="cross_domain | cross_industry | cross_level | cross_region")
    name: str
    purpose: str
    members: list[str] = Field(..., description="proposed member unit codes")
    initial_needs: str = ""
    partner_province: str = ""
    partner_unit_name: str = ""


class DecisionIn(Schema):
    approve: bool
    reason: str = ""
    approver_unit: str | None = Field(None, description="approving party committee code (default: the street's)")


class JoinIn(Schema):
    unit: str
    via: str = Field("invitation", description="invitation | application")


class MembershipDecisionIn(Schema):
    accept: bool = True
    special_justification: str = ""


class MeetingIn(Schema):
    held_on: dt.date
    minutes: str
    topic: str = ""
    decisions: str = ""
    attendees: list[str] = Field(default_factory=list, description="member unit codes (sign-in list)")
    late_reason: str = ""


def _unit(code: str) -> Unit:
    u = Unit.objects.filter(code=code).first()
    if u is None:
        raise NotFound(f"单位不存在：{code}", field="unit")
    return u


def _alliance(request, code: str) -> Alliance:
    a = S.visible_alliances(request.user).filter(code=code).first()
    if a is None:
        raise NotFound(f"联合体不存在或不在您的管辖范围内：{code}")
    return a


def alliance_out(a: Alliance, full: bool = False) -> dict:
    out = {
        "code": a.code,
        "name": a.name,
        "kind": a.kind,
        "kind_label": a.get_kind_display(),
        "status": a.status,
        "purpose": a.purpose,
        "lead_unit": a.lead_unit.code,
        "region": a.region.code,
        "applied_on": a.applied_on,
        "established_on": a.established_on,
        "approver_unit": a.approver_unit.code if a.approver_unit_id else None,
        "decision_reason": a.decision_reason,
        "partner_province": a.partner_province,
        "partner_unit_name": a.partner_unit_name,
    }
    if full:
        out["members"] = [
            {
                "id": m.pk,
                "unit": m.unit.code,
                "unit_name": m.unit.name,
                "role": m.role,
                "via": m.via,
                "status": m.status,
                "joined_on": m.joined_on,
                "ended_on": m.ended_on,
                "beyond_cap": m.beyond_cap,
                "special_justification": m.special_justification,
                "exit_summary": m.exit_summary,
                "removal_review": m.removal_review,
            }
            for m in a.members.select_related("unit")
        ]
        out["goals"] = [{"title": g.title, "status": g.status} for g in a.goals.all()]
    return out


@router.get("", summary="Alliances visible to the caller")
def list_alliances(request, status: str | None = None, kind: str | None = None, limit: Limit = 100, offset: Offset = 0):
    qs = S.visible_alliances(request.user).select_related("lead_unit", "region", "approver_unit")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return [alliance_out(a) for a in qs.order_by("code")[offset : offset + min(limit, 500)]]


@router.post("", response={201: dict, **ERRORS}, summary="Apply to found an alliance (lead unit)")
@idempotent
def apply_alliance(request, data: ApplyIn):
    a = S.apply_alliance(
        lead_unit=_unit(data.lead_unit),
        kind=data.kind,
        name=data.name,
        purpose=data.purpose,
        members=[_unit(c) for c in data.members],
        initial_needs=data.initial_needs,
        partner_province=data.partner_province,
        partner_unit_name=data.partner_unit_name,
        actor=request.user,
    )
    return 201, alliance_out(a)


@router.get("/{code}", response={200: dict, **ERRORS})
def get_alliance(request, code: str):
    return 200, alliance_out(_alliance(request, code), full=True)


@router.post("/{code}/decision", response={200: dict, **ERRORS}, summary="Approve or reject an application")
@idempotent
def decide(request, code: str, data: DecisionIn):
    a = S.decide_application(
        _alliance(request, code),
        approve=data.approve,
        reason=data.reason,
        approver_unit=_unit(data.approver_unit) if data.approver_unit else None,
        actor=request.user,
    )
    return 200, alliance_out(a, full=True)


@router.post("/{code}/members", response={201: dict, **ERRORS}, summary="Invite a unit, or apply to join")
@idempotent
def join(request, code: str, data: JoinIn):
    a, u = _alliance(request, code), _unit(data.unit)
    if data.via == "invitation":
        m = S.invite(a, u, actor=request.user)
    elif data.via == "application":
        m = S.apply_to_join(a, u, actor=request.user)
    else:
        raise DomainError("via 必须是 invitation 或 application", field="via")
    return 201, {"id": m.pk, "status": m.status, "via": m.via}


@router.post(
    "/memberships/{pk}/decision",
    response={200: dict, **ERRORS},
    summary="Answer an invitation / decide an application (special approval beyond 3)",
)
@idempotent
def decide_membership(request, pk: int, data: MembershipDecisionIn):
    m = get_object_or_404(AllianceMember, pk=pk)
    _alliance(request, m.alliance.code)
    m = S.accept_membership(m, accept=data.accept, special_justification=data.special_justification, actor=request.user)
    return 200, {
        "id": m.pk,
        "status": m.status,
        "beyond_cap": m.beyond_cap,
        "special_justification": m.special_justification,
    }


@router.get("/{code}/compliance", summary="The 1142 meetings of a year: done, late, missing, upcoming")
def compliance(request, code: str, year: int):
    c = S.compliance(_alliance(request, code), year)
    return {
        "year": year,
        "counts": c["counts"],
        "meetings": [
            {
                "id": r["meeting"].pk,
                "kind": r["meeting"].kind,
                "period": r["meeting"].period,
                "due_on": r["meeting"].due_on,
                "held_on": r["meeting"].held_on,
                "status": r["status"],
                "late": r["meeting"].late,
            }
            for r in c["rows"]
        ],
    }


@router.post("/{code}/meetings/{pk}", response={200: dict, **ERRORS}, summary="Record a meeting (once)")
@idempotent
def record_meeting(request, code: str, pk: int, data: MeetingIn):
    a = _alliance(request, code)
    m = get_object_or_404(Meeting, pk=pk, alliance=a)
    m = S.record_meeting(
        m,
        held_on=data.held_on,
        minutes=data.minutes,
        topic=data.topic,
        decisions=data.decisions,
        attendees=[_unit(c) for c in data.attendees],
        late_reason=data.late_reason,
        actor=request.user,
    )
    return 200, {"id": m.pk, "held_on": m.held_on, "late": m.late, "attendance": m.attendance.count()}


@router.get("/{code}/funds", summary="Public funding summary: income by source, spending by project, balance")
def funds(request, code: str):
    s = S.fund_summary(_alliance(request, code))
    return {
        "income": [{**r, "total": str(r["total"])} for r in s["income"]],
        "spending": [{**r, "total": str(r["total"])} for r in s["spending"]],
        "total_income": str(s["total_income"]),
        "total_spending": str(s["total_spending"]),
        "balance": str(s["balance"]),
    }


@router.get(
    "/{code}/points/{year}/{quarter}",
    response={200: dict, **ERRORS},
    summary="Quarterly points per unit and dimension; with ?unit= the records behind each point",
)
def points(request, code: str, year: int, quarter: int, unit: str | None = None):
    a = _alliance(request, code)
    q = Quarter.objects.filter(alliance=a, year=year, quarter=quarter).select_related("ruleset").first()
    if q is None:
        raise NotFound("该季度尚未计分")
    out = {
        "year": year,
        "quarter": quarter,
        "status": q.status,
        "ruleset": q.ruleset.version,
        "scores": [
            {"unit": r["unit"].code, "unit_name": r["unit"].name, "total": r["total"], "dims": r["dims"]}
            for r in RT.quarter_scores(q)
        ],
    }
    if unit:
        lines = RT.drill_down(q, _unit(unit))
        out["drill_down"] = {
            d: [
                {
                    "description": ln.description,
                    "points": ln.points,
                    "kind": ln.kind,
                    "record_type": ln.record_type,
                    "record_id": ln.record_id,
                    "reason": ln.reason,
                }
                for ln in lines[d]
            ]
            for d in R.DIMENSIONS
        }
    return 200, out


def _rect_out(r: Rectification) -> dict:
    return {
        "id": r.pk,
        "unit": r.unit.code,
        "unit_name": r.unit.name,
        "year": r.unit_review.review.year,
        "round": r.round,
        "status": r.status,
        "opened_on": r.opened_on.isoformat(),
        "deadline": r.deadline.isoformat(),
        "reviewed_on": r.reviewed_on.isoformat() if r.reviewed_on else None,
        "review_note": r.review_note,
        "evidence": r.evidence,
        "tasks": [
            {
                "id": t.pk,
                "title": t.title,
                "dimension": t.dimension,
                "due_on": t.due_on.isoformat(),
                "done_on": t.done_on.isoformat() if t.done_on else None,
                "note": t.note,
            }
            for t in r.tasks.all()
        ],
    }


def _support_out(s: Support) -> dict:
    return {
        "kind": s.kind,
        "amount": f"{s.amount:.2f}" if s.amount is not None else None,
        "fund_entry": s.fund_entry_id,
        "priority": s.priority,
        "valid_until": s.valid_until.isoformat() if s.valid_until else None,
        "recorded_on": s.recorded_on.isoformat(),
        "note": s.note,
    }


@router.get(
    "/{code}/ratings",
    summary="Year-end reviews: points (per dimension got / max), appraisal, stars, and what followed "
    "(rectification plans, support)",
)
def ratings(request: HttpRequest, code: str) -> list[dict]:
    a = _alliance(request, code)
    out = []
    for rv in YearReview.objects.filter(alliance=a).select_related("ruleset").order_by("year"):
        follow = S.follow_up(rv)
        out.append(
            {
                "year": rv.year,
                "stage": rv.stage,
                "stars": rv.alliance_stars,
                "score": rv.alliance_score,
                "ruleset": rv.ruleset.version,
                "max_final": R.max_final(rv.ruleset.rules),
                "thresholds": [
                    {"stars": st, "score": t, "share": share} for st, t, share in R.thresholds(rv.ruleset.rules)
                ],
                "units": [
                    {
                        "unit": u.unit.code,
                        "unit_name": u.unit.name,
                        "points": u.points,
                        "breakdown": u.breakdown,
                        "appraisal": u.appraisal,
                        "final": u.final_score,
                        "stars": u.stars,
                        "outcome": u.outcome,
                        "rectifications": [
                            {
                                "id": f["obj"].pk,
                                "round": f["obj"].round,
                                "status": f["obj"].status,
                                "deadline": f["obj"].deadline.isoformat(),
                                "tasks_done": f["done"],
                                "tasks": f["total"],
                            }
                            for f in follow.get(u.unit_id, {}).get("rectifications", [])
                        ],
                        "supports": [_support_out(s) for s in follow.get(u.unit_id, {}).get("supports", [])],
                    }
                    for u in rv.units.select_related("unit")
                ],
            }
        )
    return out


class FundingIn(Schema):
    unit: str = Field(..., description="member unit code (graded for support)")
    amount: str = Field(..., description="yuan, up to two decimals")
    note: str = ""


@router.post(
    "/{code}/ratings/{year}/support",
    response={201: dict, **ERRORS},
    summary="Record the funding tilt for a top-graded member unit (an income entry in the alliance's funds)",
)
@idempotent
def support_funding(request: HttpRequest, code: str, year: int, data: FundingIn) -> tuple[int, dict]:
    a = _alliance(request, code)
    rv = YearReview.objects.filter(alliance=a, year=year).first()
    if rv is None:
        raise NotFound(f"{year}年度考评不存在")
    ur = UnitReview.objects.filter(review=rv, unit__code=data.unit).select_related("unit", "review").first()
    if ur is None:
        raise NotFound(f"{data.unit}不在{year}年度考评名单中")
    return 201, _support_out(S.record_support_funding(ur, amount=data.amount, note=data.note, actor=request.user))


@router.get("/{code}/rectifications", summary="Rectification (整顿) plans: tasks, deadline, re-review")
def rectifications(request: HttpRequest, code: str) -> list[dict]:
    a = _alliance(request, code)
    qs = (
        Rectification.objects.filter(alliance=a)
        .select_related("unit", "unit_review__review")
        .prefetch_related("tasks")
        .order_by("-opened_on", "round")
    )
    return [_rect_out(r) for r in qs]


def _rect(request: HttpRequest, pk: int) -> Rectification:
    r = Rectification.objects.filter(pk=pk).select_related("alliance", "unit", "unit_review__review").first()
    if r is None:
        raise NotFound("没有这项整顿")
    _alliance(request, r.alliance.code)
    return r


class TaskDoneIn(Schema):
    note: str


class RereviewIn(Schema):
    passed: bool
    note: str


@router.post(
    "/rectifications/{pk}/tasks/{task}/done",
    response={200: dict, **ERRORS},
    summary="Record a rectification task as done",
)
@idempotent
def rectification_task_done(request: HttpRequest, pk: int, task: int, data: TaskDoneIn) -> tuple[int, dict]:
    r = _rect(request, pk)
    t = r.tasks.filter(pk=task).first()
    if t is None:
        raise NotFound("没有这项整改任务")
    S.complete_rectification_task(t, note=data.note, actor=request.user)
    return 200, _rect_out(r)


@router.post(
    "/rectifications/{pk}/rereview",
    response={200: dict, **ERRORS},
    summary="Re-review a rectification: passed, or failed (opens the next round)",
)
@idempotent
def rectification_rereview(request: HttpRequest, pk: int, data: RereviewIn) -> tuple[int, dict]:
    r = S.rereview(_rect(request, pk), passed=data.passed, note=data.note, actor=request.user)
    out = _rect_out(r)
    out["next_round"] = _rect_out(r.next_round) if r.next_round is not None else None
    return 200, out
