"""Alert endpoints of the JSON API (mounted at /api/v1/alerts/)."""

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema

from gongzhi.core.apischema import ERRORS
from gongzhi.core.errors import NotFound
from gongzhi.core.idempotency import idempotent
from gongzhi.core.models import Region
from gongzhi.core.validation import Limit
from gongzhi.org import permissions as perm

from . import agenda_services as A
from . import services as S
from .models import AgendaProposal, Alert

PREFIX = "alerts"
router = Router(tags=["alerts"])


class StatusIn(Schema):
    version: int | None = None
    reason: str = ""


class ScanIn(Schema):
    region: str | None = None
    days: int = Field(1, description="how many complete days before `at` to evaluate")
    at: dt.date | None = Field(None, description="scan as of 06:00 on this day (default: now)")


def alert_out(a: Alert, *, full: bool = False) -> dict:
    d = {
        "id": a.pk,
        "kind": a.kind,
        "severity": a.severity,
        "title": a.title,
        "status": a.status,
        "region": a.region.code,
        "grid": a.grid.code if a.grid_id and a.grid is not None else None,
        "category": a.category.code if a.category_id and a.category is not None else None,
        "unit": a.unit.code if a.unit_id and a.unit is not None else None,
        "window": [a.window_start, a.window_end],
        "baseline": [a.baseline_start, a.baseline_end],
        "expected": a.expected,
        "observed": a.observed,
        "p_value": a.p_value,
        "score": a.score,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
        "version": a.version,
        "url": a.get_absolute_url(),
    }
    if full:
        d.update(
            explanation=a.explanation,
            series=a.series,
            status_reason=a.status_reason,
            requests=list(a.requests.order_by("created_at").values_list("number", flat=True)),
        )
    return d


@router.get("/", response={200: list[dict], **ERRORS})
def list_alerts(
    request: HttpRequest, kind: str = "", status: str = "active", region: str = "", limit: Limit = 100
) -> list[dict]:
    reg = None
    if region:
        reg = Region.objects.filter(code=region).first()
        if reg is None:
            raise NotFound(f"没有代码为{region}的区域")
    qs = S.filter_alerts(S.visible(request.user), kind=kind, status=status, region=reg)
    return [alert_out(a) for a in qs.order_by("-created_at", "-severity", "-id")[: max(1, min(limit, 1000))]]


@router.post("/scan", response={201: dict, **ERRORS})
@idempotent
def scan(request: HttpRequest, data: ScanIn) -> tuple[int, dict]:
    reg = None
    if data.region:
        reg = Region.objects.filter(code=data.region).first()
        if reg is None:
            raise NotFound(f"没有代码为{data.region}的区域")
    at = timezone.make_aware(dt.datetime.combine(data.at, dt.time(6, 0))) if data.at else None
    r = S.scan(request.user, reg, at, days=data.days)
    return 201, {
        "run": r.run.pk,
        "first_day": r.run.first_day,
        "last_day": r.run.last_day,
        "raised": [a.pk for a in r.raised],
        "updated": [a.pk for a in r.updated],
    }


@router.get("/{aid}", response={200: dict, **ERRORS})
def get_alert(request: HttpRequest, aid: int) -> dict:
    return alert_out(S.get_alert(request.user, aid), full=True)


@router.post("/{aid}/acknowledge", response={200: dict, **ERRORS})
def acknowledge(request: HttpRequest, aid: int, data: StatusIn) -> dict:
    a = S.acknowledge(request.user, S.get_alert(request.user, aid), version=data.version, note=data.reason)
    return alert_out(a)


@router.post("/{aid}/dismiss", response={200: dict, **ERRORS})
def dismiss(request: HttpRequest, aid: int, data: StatusIn) -> dict:
    a = S.dismiss(request.user, S.get_alert(request.user, aid), reason=data.reason, version=data.version)
    return alert_out(a)


@router.post("/{aid}/resolve", response={200: dict, **ERRORS})
def resolve(request: HttpRequest, aid: int, data: StatusIn) -> dict:
    a = S.resolve(request.user, S.get_alert(request.user, aid), version=data.version, note=data.reason)
    return alert_out(a)


# ----------------------------------------------------------------- agenda proposals (议题建议)


class AgendaScanIn(Schema):
    region: str | None = Field(None, description="region code (default: the caller's widest region)")
    period: str | None = Field(None, description="YYYY-MM (default: this month in the district's time)")


class AcceptIn(Schema):
    version: int | None = None
    title: str = Field("", description="the topic's or goal's title (default: one made from the matter)")
    note: str = ""


class DismissIn(Schema):
    version: int | None = None
    reason: str = ""


def proposal_out(p: AgendaProposal, *, full: bool = False) -> dict:
    d = {
        "id": p.pk,
        "kind": p.kind,
        "status": p.status,
        "region": p.region.code,
        "period": p.period,
        "label": p.label,
        "terms": p.terms,
        "places": p.places,
        "categories": p.categories,
        "requests_count": p.request_count,
        "closed_count": p.closed_count,
        "cohesion": p.cohesion,
        "reason_code": p.reason_code,
        "reason_params": p.reason_params,
        "reason": A.reason_text(p),
        "decided_at": p.decided_at,
        "decision_reason": p.decision_reason,
        "topic": p.topic_id,
        "goal_title": p.goal_title,
        "version": p.version,
        "url": p.get_absolute_url(),
    }
    if full:
        d.update(
            requests=list(p.requests.order_by("created_at").values_list("number", flat=True)),
            alerts=list(p.alerts.order_by("pk").values_list("pk", flat=True)),
        )
    return d


def _region(code: str | None) -> Region | None:
    if not code:
        return None
    reg = Region.objects.filter(code=code).first()
    if reg is None:
        raise NotFound(f"没有代码为{code}的区域")
    return reg


@router.get("/agenda/", response={200: list[dict], **ERRORS})
def list_proposals(
    request: HttpRequest, status: str = "", kind: str = "", period: str = "", region: str = "", limit: Limit = 100
) -> list[dict]:
    qs = A.filter_proposals(A.visible(request.user), status=status, kind=kind, period=period, region=_region(region))
    return [proposal_out(p) for p in qs.order_by("-period", "-request_count", "-id")[: max(1, min(limit, 1000))]]


@router.post("/agenda/scan", response={201: dict, **ERRORS})
@idempotent
def agenda_scan(request: HttpRequest, data: AgendaScanIn) -> tuple[int, dict]:
    r = A.scan(request.user, _region(data.region) or perm.home_region(request.user), data.period)
    return 201, {
        "region": r.region.code,
        "period": r.period,
        "matters": r.matters,
        "proposed": [p.pk for p in r.proposed],
        "refreshed": [p.pk for p in r.refreshed],
    }


@router.get("/agenda/{pid}", response={200: dict, **ERRORS})
def get_proposal(request: HttpRequest, pid: int) -> dict:
    return proposal_out(A.get_proposal(request.user, pid), full=True)


@router.post("/agenda/{pid}/accept", response={200: dict, **ERRORS})
def accept_proposal(request: HttpRequest, pid: int, data: AcceptIn) -> dict:
    p = A.accept(
        request.user, A.get_proposal(request.user, pid), title=data.title, note=data.note, version=data.version
    )
    return proposal_out(p, full=True)


@router.post("/agenda/{pid}/dismiss", response={200: dict, **ERRORS})
def dismiss_proposal(request: HttpRequest, pid: int, data: DismissIn) -> dict:
    p = A.dismiss(request.user, A.get_proposal(request.user, pid), reason=data.reason, version=data.version)
    return proposal_out(p, full=True)
