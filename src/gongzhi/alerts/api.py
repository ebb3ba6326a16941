"""Alert endpoints of the JSON API (mounted at /api/v1/alerts/)."""

import datetime as dt

from django.utils import timezone
from ninja import Field, Router, Schema

from gongzhi.core.apischema import ERRORS
from gongzhi.core.errors import NotFound
from gongzhi.core.idempotency import idempotent
from gongzhi.core.models import Region
from gongzhi.core.validation import Limit

from . import services as S
from .models import Alert

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
        "grid": a.grid.code if a.grid_id else None,
        "category": a.category.code if a.category_id else None,
        "unit": a.unit.code if a.unit_id else None,
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
def list_alerts(request, kind: str = "", status: str = "active", region: str = "", limit: Limit = 100):
    reg = None
    if region:
        reg = Region.objects.filter(code=region).first()
        if reg is None:
            raise NotFound(f"没有代码为{region}的区域")
    qs = S.filter_alerts(S.visible(request.user), kind=kind, status=status, region=reg)
    return [alert_out(a) for a in qs.order_by("-created_at", "-severity", "-id")[: max(1, min(limit, 1000))]]


@router.post("/scan", response={201: dict, **ERRORS})
@idempotent
def scan(request, data: ScanIn):
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
def get_alert(request, aid: int):
    return alert_out(S.get_alert(request.user, aid), full=True)


@router.post("/{aid}/acknowledge", response={200: dict, **ERRORS})
def acknowledge(request, aid: int, data: StatusIn):
    a = S.acknowledge(request.user, S.get_alert(request.user, aid), version=data.version, note=data.reason)
    return alert_out(a)


@router.post("/{aid}/dismiss", response={200: dict, **ERRORS})
def dismiss(request, aid: int, data: StatusIn):
    a = S.dismiss(request.user, S.get_alert(request.user, aid), reason=data.reason, version=data.version)
    return alert_out(a)


@router.post("/{aid}/resolve", response={200: dict, **ERRORS})
def resolve(request, aid: int, data: StatusIn):
    a = S.resolve(request.user, S.get_alert(request.user, aid), version=data.version, note=data.reason)
    return alert_out(a)
