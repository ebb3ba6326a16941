"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2/): services
(our matter categories), requests (ours), tokens, in JSON and XML, errors in
the specification's format, API keys for client systems.

GET is public (no key), so it serves only the public view of a request (docs/cases.md,
"Open311: what is public"): requests of categories whose major class is on :data:`PUBLIC_CLASSES`
only (welfare, neighbour disputes, illegal building, rural matters and any class not listed never);
the point snapped to its grid's centroid and the free-text address replaced by the grid's name;
phone-, ID- or account-like numbers in the description and the handling notes masked by
``permissions.mask_text``; descriptions of property-management matters withheld."""

from __future__ import annotations

import datetime as dt
import math
import re
import secrets
import xml.etree.ElementTree as ET

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import DomainError, Forbidden, NotFound
from gongzhi.org import permissions as perm
from gongzhi.org.models import MatterCategory

from . import services
from .models import Channel, Open311Client, ServiceRequest, State

CLOSED_STATES = frozenset(
    {State.RESOLVED, State.CONFIRMED, State.CLOSED, State.MERGED, State.NOT_OURS, State.CANCELLED}
)
MAX_RESULTS = 1000
DEFAULT_DAYS = 90  # the spec's default window for GET requests
MAX_IDS = 100  # service_request_id values in one GET
MAX_KEY = 100  # the stored key is "o311:<client id>:<key>" in the request's 120 characters

# What GET publishes, by major class (a minor class and a local extension follow their major class).
# FULL: the request with its (masked) description; SUMMARY: without the description (matters inside
# residential compounds). A major class not listed here is never published: 05 neighbour disputes,
# 06 welfare and social assistance (救助), 08 illegal building (names a household), 10 rural matters
# (land contracts, homesteads: one family's affairs), and any class added later until it is listed.
FULL, SUMMARY = "full", "summary"
PUBLIC_CLASSES: dict[str, str] = {
    "01": FULL,  # 市容环境: public space
    "02": FULL,  # 公共设施: public facilities
    "03": FULL,  # 水电气热: outages
    "04": SUMMARY,  # 物业管理: inside compounds
    "07": FULL,  # 安全隐患: hazards
    "09": FULL,  # 生态环境: pollution
}

# Characters XML 1.0 cannot carry (C0 controls but tab/newline/return, lone surrogates, U+FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Characters refused in any Open311 input field (NUL and other C0 controls but tab/newline/return).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def publicity(code: str | None) -> str | None:
    """FULL, SUMMARY or None (never public) for a category code."""
    return PUBLIC_CLASSES.get(code[:2]) if code else None


def public_codes() -> list[str]:
    return [c for c in MatterCategory.objects.values_list("code", flat=True) if publicity(c)]


@transaction.atomic
def issue_key(actor, name: str) -> str:
    """A new API key for the client system ``name`` (shown once). Only the operator issues keys
    (``gongzhi open311_key``, as ``SYSTEM``)."""
    if not perm.is_system(actor):
        raise Forbidden("只有平台运维人员可以签发Open311密钥")
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写客户端名称", field="name")
    if Open311Client.objects.filter(name=name, revoked=False).exists():
        raise DomainError(f"客户端{name}已有API密钥", field="name", code=CoreError.DUPLICATE)
    key = "o311_" + secrets.token_urlsafe(24)
    Open311Client.objects.update_or_create(name=name, defaults={"key_hash": Open311Client.hash(key), "revoked": False})
    return key


def client_for(key: str | None) -> Open311Client | None:
    if not key:
        return None
    return Open311Client.objects.filter(key_hash=Open311Client.hash(key), revoked=False).first()


def status_of(req: ServiceRequest) -> str:
    return "closed" if req.state in CLOSED_STATES else "open"


# ----------------------------------------------------------------- rendering


def _xml_value(parent, key, value):
    el = ET.SubElement(parent, key)
    if value is None:
        return
    if isinstance(value, bool):
        el.text = "true" if value else "false"
    else:  # text another channel let in with a control character must not break the document
        el.text = _NOT_XML.sub("\ufffd", str(value))


def render(request, fmt: str, data: list[dict], root: str, item: str, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        top = ET.Element(root)
        for row in data:
            el = ET.SubElement(top, item)
            for k, v in row.items():
                if isinstance(v, list):
                    sub = ET.SubElement(el, k)
                    for x in v:
                        vel = ET.SubElement(sub, "value")
                        for kk, vv in x.items():
                            _xml_value(vel, kk, vv)
                else:
                    _xml_value(el, k, v)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def error(request, fmt: str, status: int, description: str) -> HttpResponse:
    return render(request, fmt, [{"code": status, "description": description}], "errors", "error", status=status)


def _ts(t: dt.datetime | None) -> str | None:
    return timezone.localtime(t).isoformat(timespec="seconds") if t else None


def service_row(c: MatterCategory) -> dict:
    private = "" if publicity(c.code) else "；办理情况不公开"
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": f"{c.parent.name if c.parent_id else ''}·{c.name}（{c.get_default_sla_display()}{private}）",
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(c.keywords.split()),
        "group": c.parent.name if c.parent_id else "",
    }


def request_row(r: ServiceRequest) -> dict:
    """The public view of a request (its category must be public: see :func:`public_requests`)."""
    full = publicity(r.category.code if r.category_id else None) == FULL
    return {
        "service_request_id": r.number,
        "status": status_of(r),
        "status_notes": State(r.state).label + (f"：{perm.mask_text(r.resolution)}" if r.resolution and full else ""),
        "service_name": r.category.name if r.category_id else "",
        "service_code": r.category.code if r.category_id else "",
        "description": perm.mask_text(r.description) if full else "",
        "agency_responsible": r.handling_unit.name if r.handling_unit_id else "",
        "service_notice": r.get_sla_display(),
        "requested_datetime": _ts(r.created_at),
        "updated_datetime": _ts(r.updated_at),
        "expected_datetime": _ts(r.due_at),
        "address": r.grid.name,
        "address_id": r.grid.code,
        "zipcode": "",
        "lat": round(r.grid.centroid_lat, 6),
        "long": round(r.grid.centroid_lon, 6),
        "media_url": "",
    }


def public_requests():
    """The requests GET may show: categorised, in a public category."""
    return ServiceRequest.objects.select_related("category", "handling_unit", "grid").filter(
        category__code__in=public_codes()
    )


# ----------------------------------------------------------------- views


def _fmt(fmt: str | None) -> str:
    return "xml" if fmt == "xml" else "json"


def services_list(request, fmt="json"):
    fmt = _fmt(fmt)
    cats = MatterCategory.objects.filter(code__regex=r"^\d{5}$").select_related("parent")
    return render(request, fmt, [service_row(c) for c in cats], "services", "service")


def service_definition(request, code, fmt="json"):
    fmt = _fmt(fmt)
    c = MatterCategory.objects.filter(code=code).first()
    if c is None:
        return error(request, fmt, 404, f"service_code {code} not found")
    # No extra attributes: the definition is the minimal one the spec allows.
    body = {"service_code": c.code, "attributes": []}
    if fmt == "xml":
        top = ET.Element("service_definition")
        _xml_value(top, "service_code", c.code)
        ET.SubElement(top, "attributes")
        return HttpResponse(
            b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8"),
            content_type="text/xml; charset=utf-8",
        )
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def _float(v, name):
    if v in (None, ""):
        return None
    try:
        x = float(v)
    except ValueError:
        raise DomainError(f"{name} must be a number") from None
    if not math.isfinite(x):
        raise DomainError(f"{name} must be a finite number")
    return x


def _check_text(params) -> None:
    """Refuse NUL and other control characters in any field (they are never part of a request)."""
    for name, values in params.lists():
        for v in [name, *values]:
            if _CONTROL.search(v):
                raise DomainError(f"{name[:40]!r} contains a control character")


def _datetime(value: str | None, name: str) -> dt.datetime | None:
    """A W3C datetime parameter (a naive one is local time), or DomainError."""
    if not value:
        return None
    try:
        t = parse_datetime(value)
        if t is None:
            raise ValueError
        if timezone.is_naive(t):
            t = timezone.make_aware(t)
        t.astimezone(dt.UTC)  # out of range once in UTC (year 1 or 9999 at the edge)
    except (ValueError, OverflowError):
        raise DomainError(f"{name} must be a W3C datetime, e.g. 2026-01-01T00:00:00+08:00") from None
    return t


@csrf_exempt
def requests_endpoint(request, fmt="json"):
    fmt = _fmt(fmt)
    if request.method == "POST":
        return _post_request(request, fmt)
    if request.method != "GET":
        return error(request, fmt, 405, "method not allowed")
    q = request.GET
    qs = public_requests()
    try:
        _check_text(q)
        if q.get("service_request_id"):
            ids = [x.strip() for x in q["service_request_id"].split(",") if x.strip()]
            if len(ids) > MAX_IDS:
                raise DomainError(f"at most {MAX_IDS} service_request_id values")
            qs = qs.filter(number__in=ids)
        else:
            if q.get("service_code"):
                qs = qs.filter(category__code__in=[x.strip() for x in q["service_code"].split(",")])
            s = _datetime(q.get("start_date"), "start_date")
            e = _datetime(q.get("end_date"), "end_date")
            if s is None and e is None:
                e = timezone.now()
                s = e - dt.timedelta(days=DEFAULT_DAYS)
            if s:
                qs = qs.filter(created_at__gte=s)
            if e:
                qs = qs.filter(created_at__lte=e)
            status = q.get("status")
            if status:
                wanted = {x.strip() for x in status.split(",")}
                if not wanted <= {"open", "closed"}:
                    raise DomainError("status must be open or closed")
                if wanted == {"open"}:
                    qs = qs.exclude(state__in=CLOSED_STATES)
                elif wanted == {"closed"}:
                    qs = qs.filter(state__in=CLOSED_STATES)
    except DomainError as exc:
        return error(request, fmt, 400, exc.message)
    rows = [request_row(r) for r in qs.order_by("-created_at")[:MAX_RESULTS]]
    return render(request, fmt, rows, "service_requests", "request")


def request_detail(request, number, fmt="json"):
    fmt = _fmt(fmt)
    r = public_requests().filter(number=number).first()
    if r is None:  # not there, or not public: the same answer
        return error(request, fmt, 404, f"service_request_id {number} not found")
    return render(request, fmt, [request_row(r)], "service_requests", "request")


def token_detail(request, token, fmt="json"):
    fmt = _fmt(fmt)
    r = ServiceRequest.objects.filter(token=token).only("number", "token").first()
    if r is None:
        return error(request, fmt, 404, f"token {token} not found")
    return render(request, fmt, [{"service_request_id": r.number, "token": r.token}], "service_requests", "request")


def _post_request(request, fmt):
    data = request.POST
    try:
        _check_text(data)
        _check_text(request.GET)
    except DomainError as exc:
        return error(request, fmt, 400, exc.message)
    client = client_for(data.get("api_key"))
    if client is None:
        return error(request, fmt, 403, "api_key missing or invalid")
    code = data.get("service_code")
    if not code:
        return error(request, fmt, 400, "service_code is required")
    try:
        lat, lon = _float(data.get("lat"), "lat"), _float(data.get("long"), "long")
        grid = data.get("address_id") or None
        if (lat is None or lon is None) and not grid:
            raise DomainError("a location is required: lat and long, or address_id (a grid code)")
        if not (data.get("description") or "").strip():
            raise DomainError("description is required")
        name = " ".join(x for x in (data.get("last_name", ""), data.get("first_name", "")) if x).strip()
        key = (data.get("idempotency_key") or request.META.get("HTTP_IDEMPOTENCY_KEY") or "").strip()
        if len(key) > MAX_KEY or _CONTROL.search(key):
            raise DomainError(f"at most {MAX_KEY} characters, no control characters", field="idempotency_key")
        req, _ = services.submit(
            AnonymousUser(),  # the client system, authenticated by its key, is no platform user
            description=data.get("description", ""),
            channel=Channel.OPEN311,
            category=code,
            lon=lon,
            lat=lat,
            grid=grid,
            address=data.get("address_string", ""),
            reporter_name=name,
            reporter_phone=data.get("phone", ""),
            anonymous=not (name or data.get("phone")),
            media_url=data.get("media_url", ""),  # stays a URL: the platform never fetches it
            idempotency_key=f"o311:{client.pk}:{key}" if key else None,
        )
    except NotFound as exc:
        return error(request, fmt, 404, exc.message)
    except DomainError as exc:  # 400; 422 for a key reused with another request; 413 for a large file
        return error(
            request,
            fmt,
            exc.status if exc.status in (400, 413, 422) else 400,
            f"{exc.field + ': ' if exc.field else ''}{exc.message}",
        )
    row = {
        "service_request_id": req.number,
        "token": req.token,
        "service_notice": req.get_sla_display(),
        "account_id": None,
    }
    return render(request, fmt, [row], "service_requests", "request", status=201)
