"""Request-loop endpoints of the JSON API, mounted at /api/v1/cases/."""

import math
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import Field, File, Form, Router, Schema, UploadedFile

from gongzhi.core.apischema import ErrorOut
from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import DomainError, Forbidden, NotFound
from gongzhi.core.idempotency import idempotent
from gongzhi.core.validation import Limit, Offset
from gongzhi.org import geo

from . import attachments as attachments_mod
from . import classify, figures, perms, services
from .models import Channel, PushDown, Summons
from .views_common import (
    duplicates_for,
    log_contact_view,
    pushdown_dict,
    request_dict,
    visible_request,
    visible_requests,
)

router = Router(tags=["cases"])
PREFIX = "cases"
MAX_KEY = 100  # the stored key is "api:<user id>:<key>" in 120 characters


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}


class RequestIn(Schema):
    description: str
    category: str | None = Field(None, description="matter category code; omitted: suggested from the text")
    lon: float | None = None
    lat: float | None = None
    grid: str | None = Field(None, description="grid code, instead of lon/lat")
    address: str = ""
    channel: str = Channel.API
    anonymous: bool = False
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_id_number: str = ""


class ActionIn(Schema):
    action: str = Field(
        ...,
        description="accept, dispatch, start, return, resolve, confirm, close, reopen, "
        "escalate, merge, not_ours, cancel, followup",
    )
    reason: str = ""
    category: str | None = None
    unit: str | None = None
    resolution: str = ""
    rating: str = ""
    fixed: bool = True
    into: str | None = Field(None, description="for merge: the request to merge into")
    expected_version: int | None = None


class PushDownDecisionIn(Schema):
    agree: bool = Field(..., description="consent / approve: true to let the matter go down, false to keep it up")
    note: str = Field("", description="required when refusing")
    expected_version: int | None = None


class WithdrawIn(Schema):
    note: str = ""
    expected_version: int | None = None


class WhistleIn(Schema):
    departments: list[str]
    reason: str


class ReportIn(Schema):
    step: str = Field(..., description="acknowledge or act")
    note: str = ""


def file_request(user, data: RequestIn, key: str, attachments=None):
    """File a request through the API: ``(request, created)``. Idempotency is the request's own
    unique key (no separate key row): a retry with the same Idempotency-Key gets the request the
    first call created. Shared by the JSON and multipart views and the lean WSGI route
    (``gongzhi.api.fastpath``)."""
    if data.channel not in (Channel.API, Channel.HOTLINE, Channel.GRID, Channel.WEB):
        raise DomainError("channel 须为 api、hotline、grid 或 web", field="channel")
    if len(key) > MAX_KEY:
        raise DomainError(f"Idempotency-Key 过长（最多{MAX_KEY}个字符）", field="Idempotency-Key")
    return services.submit(
        user,
        description=data.description,
        channel=data.channel,
        category=data.category,
        lon=data.lon,
        lat=data.lat,
        grid=data.grid,
        address=data.address,
        anonymous=data.anonymous,
        reporter_name=data.reporter_name,
        reporter_phone=data.reporter_phone,
        reporter_id_number=data.reporter_id_number,
        attachments=attachments,
        idempotency_key=f"api:{user.pk}:{key}" if key else None,
    )


@router.post("/requests", response={201: dict, **ERRORS})
def create_request(request, data: RequestIn, response: HttpResponse):
    # A retry answers 201 as the first call did, marked replayed.
    req, created = file_request(request.user, data, request.META.get("HTTP_IDEMPOTENCY_KEY", "").strip())
    if not created:
        response["Idempotent-Replayed"] = "true"
    return 201, request_dict(request.user, req)


@router.post("/requests/upload", response={201: dict, 200: dict, **ERRORS})
@idempotent
def create_request_with_attachments(request, data: Form[RequestIn], attachments: File[list[UploadedFile]] = None):
    """The same as ``POST requests`` as ``multipart/form-data``, with up to 3 files in ``attachments``
    (JPEG, PNG or PDF by content, at most 5 MB each; 413 and nothing saved when one is larger)."""
    req, created = file_request(
        request.user, data, request.META.get("HTTP_IDEMPOTENCY_KEY", "").strip(), attachments=attachments or []
    )
    out = request_dict(request.user, req)
    out["attachments"] = [attachment_dict(a) for a in req.attachments.all()]
    return (201 if created else 200), out


def attachment_dict(a) -> dict:
    return {
        "id": a.pk,
        "name": a.original_name,
        "content_type": a.content_type,
        "size": a.size,
        "sha256": a.sha256,
        "url": a.url or None,
    }


@router.get("/requests/{number}/attachments/{attachment_id}", response={200: None, **ERRORS})
def get_attachment(request, number: str, attachment_id: int):
    """An attachment's bytes: to the reporter's account and staff who may handle or dispatch the request."""
    req = visible_request(request.user, number)
    if not perms.sees_personal(request.user, req):
        raise Forbidden("无权查看附件：仅反映人和承办、派单人员可见")
    att = req.attachments.filter(pk=attachment_id).exclude(stored_name="").first()
    if att is None:
        raise NotFound(f"附件{attachment_id}不存在", field="attachment_id")
    try:
        fh = attachments_mod.open_file(att)
    except FileNotFoundError:
        raise NotFound("附件文件已丢失", field="attachment_id") from None
    resp = FileResponse(
        fh, content_type=att.content_type, as_attachment=True, filename=att.original_name or att.stored_name
    )
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


@router.get("/requests", response=list[dict])
def list_requests(
    request,
    state: str | None = None,
    category: str | None = None,
    unit: str | None = None,
    region: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    qs = visible_requests(request.user)
    if state:
        qs = qs.filter(state__in=state.split(","))
    if category:
        qs = qs.filter(category__code=category)
    if unit:
        qs = qs.filter(handling_unit__code=unit)
    if region:
        qs = qs.filter(region__path__contains=f"/{region}/")
    limit = max(1, min(limit, 500))
    return [request_dict(request.user, r) for r in qs.order_by("-created_at")[offset : offset + limit]]


@router.get("/requests/{number}", response={200: dict, **ERRORS})
def get_request(request, number: str):
    req = visible_request(request.user, number)
    out = request_dict(request.user, req, timeline=True)
    log_contact_view(request, req, out, via="api")
    return out


def apply_action(user, req, data: ActionIn, token: str | None = None):
    a = data.action
    v = data.expected_version
    if a == "accept":
        services.accept(user, req, expected_version=v, reason=data.reason)
    elif a == "dispatch":
        services.dispatch(user, req, category=data.category, unit=data.unit, reason=data.reason, expected_version=v)
    elif a == "start":
        services.start(user, req, expected_version=v, note=data.reason)
    elif a == "return":
        services.return_to_dispatcher(user, req, reason=data.reason, expected_version=v)
    elif a == "resolve":
        services.resolve(user, req, resolution=data.resolution or data.reason, expected_version=v)
    elif a == "confirm":
        services.confirm(
            user, req, rating=data.rating, fixed=data.fixed, comment=data.reason, token=token, expected_version=v
        )
    elif a == "close":
        services.close(user, req, reason=data.reason, expected_version=v)
    elif a == "reopen":
        services.reopen(user, req, reason=data.reason, token=token, expected_version=v)
    elif a == "escalate":
        services.escalate(user, req, reason=data.reason, expected_version=v)
    elif a == "merge":
        if not data.into:
            raise DomainError("请指定合并到的诉求编号", field="into")
        services.merge(user, req, services.get_request(data.into), reason=data.reason, expected_version=v)
    elif a == "not_ours":
        services.not_ours(user, req, reason=data.reason, expected_version=v)
    elif a == "cancel":
        services.cancel(user, req, reason=data.reason, token=token, expected_version=v)
    elif a == "followup":
        services.record_followup(user, req, fixed=data.fixed, rating=data.rating, note=data.reason)
    else:
        raise DomainError(f"未知的操作：{a}", field="action")
    req.refresh_from_db()
    return req


@router.post("/requests/{number}/actions", response={200: dict, **ERRORS})
def act(request, number: str, data: ActionIn):
    req = visible_request(request.user, number)
    return 200, request_dict(request.user, apply_action(request.user, req, data), timeline=True)


@router.post("/requests/{number}/whistle", response={201: dict, **ERRORS})
def whistle(request, number: str, data: WhistleIn):
    req = visible_request(request.user, number)
    w = services.blow_whistle(request.user, req, departments=data.departments, reason=data.reason)
    return 201, {
        "whistle": w.pk,
        "summonses": [
            {
                "id": s.pk,
                "department": s.department.code,
                "ack_due": s.ack_due.isoformat(),
                "act_due": s.act_due.isoformat(),
            }
            for s in w.summonses.select_related("department")
        ],
    }


@router.post("/summons/{summons_id}/report", response={200: dict, **ERRORS})
def report(request, summons_id: int, data: ReportIn):
    s: Summons = services.report(request.user, summons_id, step=data.step, note=data.note)
    return 200, {
        "id": s.pk,
        "department": s.department.code,
        "acknowledged_at": s.acknowledged_at,
        "acted_at": s.acted_at,
    }


# ----------------------------------------------------------------- push-downs (向基层下派) and the power list


@router.get("/pushdowns", response={200: dict, **ERRORS})
def pushdown_inbox(request: HttpRequest) -> tuple[int, dict]:
    """Pending push-downs the caller may consent to (the receiving unit's staff) or approve (above the street)."""
    box = services.pushdown.inbox(request.user)
    return 200, {k: [pushdown_dict(p) for p in rows] for k, rows in box.items()}


def _pushdown_for(user: Any, pushdown_id: int) -> PushDown:
    p = PushDown.objects.select_related("request", "listed_unit", "to_unit").filter(pk=pushdown_id).first()
    if p is None or not (perms.may_consent(user, p) or perms.may_approve(user, p) or perms.may_withdraw(user, p)):
        raise NotFound(f"下派记录{pushdown_id}不存在", field="pushdown")
    return p


@router.post("/pushdowns/{pushdown_id}/consent", response={200: dict, **ERRORS})
def pushdown_consent(request: HttpRequest, pushdown_id: int, data: PushDownDecisionIn) -> tuple[int, dict]:
    """The receiving unit agrees to take the matter (it is dispatched to it) or declines (note required)."""
    p = _pushdown_for(request.user, pushdown_id)
    p = services.consent_pushdown(
        request.user, p, agree=data.agree, note=data.note, expected_version=data.expected_version
    )
    return 200, pushdown_dict(p)


@router.post("/pushdowns/{pushdown_id}/approve", response={200: dict, **ERRORS})
def pushdown_approve(request: HttpRequest, pushdown_id: int, data: PushDownDecisionIn) -> tuple[int, dict]:
    """A dispatcher above the street approves the push-down or refuses it (note required)."""
    p = _pushdown_for(request.user, pushdown_id)
    p = services.approve_pushdown(
        request.user, p, approve=data.agree, note=data.note, expected_version=data.expected_version
    )
    return 200, pushdown_dict(p)


@router.post("/pushdowns/{pushdown_id}/withdraw", response={200: dict, **ERRORS})
def pushdown_withdraw(request: HttpRequest, pushdown_id: int, data: WithdrawIn) -> tuple[int, dict]:
    p = _pushdown_for(request.user, pushdown_id)
    p = services.withdraw_pushdown(request.user, p, note=data.note, expected_version=data.expected_version)
    return 200, pushdown_dict(p)


@router.get("/suggest", response=dict)
def suggest(request, text: str):
    top = classify.suggest(text, k=3, timeout=5.0) or []
    from .services.intake import SUGGESTION_THRESHOLD

    return {
        "suggestions": [{"category": c.code, "name": c.name, "confidence": round(p, 3)} for c, p in top],
        "threshold": SUGGESTION_THRESHOLD,
    }


@router.get("/duplicates", response={200: list[dict], **ERRORS})
def duplicates(request, category: str, lon: float, lat: float, text: str = ""):
    """Open requests of the category near the point that the caller may see (their region scope, or
    their own), descriptions masked as in the request's detail."""
    cat = services._category(category.strip())
    if cat is None:
        raise DomainError("请指定事项类别", field="category")
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise DomainError("经纬度须为有限的数", field="lon" if not math.isfinite(lon) else "lat")
    return 200, duplicates_for(request.user, category=cat, lon=lon, lat=lat, text=text)


@router.get("/route", response={200: dict, **ERRORS})
def route(request, category: str, lon: float | None = None, lat: float | None = None, grid: str | None = None):
    from gongzhi.org import responsibility
    from gongzhi.org.models import Grid

    g = Grid.objects.filter(code=grid).first() if grid else None
    if grid and g is None:
        raise DomainError(f"网格{grid}不存在", field="grid")
    d = responsibility.resolve(category, lon=lon, lat=lat, grid=g)
    out = d.as_dict()
    # the power list: what the matter needs, and whether the listed unit holds it there
    out["powers_needed"] = [p.code for p in responsibility.powers_needed(d.category)]
    out["powers_missing"] = [p.code for p in responsibility.missing_powers(d.unit, d.category, d.region)]
    return 200, out


@router.get("/locate", response={200: dict, **ERRORS})
def locate(request, lon: float, lat: float):
    g = geo.locate(lon, lat)
    return 200, {"grid": g.code, "grid_name": g.name, "region": g.region.code, "region_name": g.region.name}


@router.get("/figures", response={200: dict, **ERRORS})
def get_figures(request, level: str = "street"):
    from gongzhi.org import permissions as perm

    if level not in figures.LEVELS:
        raise DomainError(f"level 须为 {', '.join(figures.LEVELS)} 之一", field="level")
    within = perm.home_region(request.user)
    if within is None:
        raise DomainError("您没有可查看的区域", code=CoreError.FORBIDDEN)
    return 200, {"level": level, "total": figures.total(within=within), "rows": figures.compute(level, within=within)}
