"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2/): services
(our matter categories), requests (ours), tokens, in JSON and XML, errors in
the specification's format, API keys for client systems."""

from __future__ import annotations

import datetime as dt
import secrets
import xml.etree.ElementTree as ET

from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from gongzhi.core.errors import DomainError, NotFound
from gongzhi.org.models import MatterCategory

from . import services
from .models import Channel, Open311Client, ServiceRequest, State

CLOSED_STATES = frozenset({State.RESOLVED, State.CONFIRMED, State.CLOSED, State.MERGED, State.NOT_OURS,
                           State.CANCELLED})
MAX_RESULTS = 1000
DEFAULT_DAYS = 90  # the spec's default window for GET requests


@transaction.atomic
def issue_key(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写客户端名称", field="name")
    if Open311Client.objects.filter(name=name, revoked=False).exists():
        raise DomainError(f"客户端{name}已有API密钥", field="name")
    key = "o311_" + secrets.token_urlsafe(24)
    Open311Client.objects.update_or_create(name=name, defaults={"key_hash": Open311Client.hash(key),
                                                                "revoked": False})
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
    else:
        el.text = str(value)


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
    return {"service_code": c.code, "service_name": c.name, "description": f"{c.parent.name if c.parent_id else ''}"
            f"·{c.name}（{c.get_default_sla_display()}）", "metadata": False, "type": "realtime",
            "keywords": ",".join(c.keywords.split()), "group": c.parent.name if c.parent_id else ""}


def request_row(r: ServiceRequest) -> dict:
    return {
        "service_request_id": r.number, "status": status_of(r),
        "status_notes": State(r.state).label + (f"：{r.resolution}" if r.resolution else ""),
        "service_name": r.category.name if r.category_id else "", "service_code": r.category.code if r.category_id
        else "", "description": r.description, "agency_responsible": r.handling_unit.name if r.handling_unit_id
        else "", "service_notice": r.get_sla_display(), "requested_datetime": _ts(r.created_at),
        "updated_datetime": _ts(r.updated_at), "expected_datetime": _ts(r.due_at), "address": r.address,
        "address_id": r.grid.code, "zipcode": "", "lat": r.lat, "long": r.lon, "media_url": "",
    }


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
        return HttpResponse(b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8"),
                            content_type="text/xml; charset=utf-8")
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def _float(v, name):
    if v in (None, ""):
        return None
    try:
        return float(v)
    except ValueError:
        raise DomainError(f"{name} must be a number") from None


@csrf_exempt
def requests_endpoint(request, fmt="json"):
    fmt = _fmt(fmt)
    if request.method == "POST":
        return _post_request(request, fmt)
    if request.method != "GET":
        return error(request, fmt, 405, "method not allowed")
    q = request.GET
    qs = ServiceRequest.objects.select_related("category", "handling_unit", "grid")
    try:
        if q.get("service_request_id"):
            ids = [x.strip() for x in q["service_request_id"].split(",") if x.strip()]
            qs = qs.filter(number__in=ids)
        else:
            if q.get("service_code"):
                qs = qs.filter(category__code__in=[x.strip() for x in q["service_code"].split(",")])
            start, end = q.get("start_date"), q.get("end_date")
            s = parse_datetime(start) if start else None
            e = parse_datetime(end) if end else None
            if (start and s is None) or (end and e is None):
                raise DomainError("start_date/end_date must be W3C datetimes, e.g. 2026-01-01T00:00:00+08:00")
            if s and timezone.is_naive(s):
                s = timezone.make_aware(s)
            if e and timezone.is_naive(e):
                e = timezone.make_aware(e)
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
    r = ServiceRequest.objects.select_related("category", "handling_unit", "grid").filter(number=number).first()
    if r is None:
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
        key = data.get("idempotency_key") or request.META.get("HTTP_IDEMPOTENCY_KEY")
        req, _ = services.submit(
            None, description=data.get("description", ""), channel=Channel.OPEN311, category=code, lon=lon, lat=lat,
            grid=grid, address=data.get("address_string", ""), reporter_name=name,
            reporter_phone=data.get("phone", ""), anonymous=not (name or data.get("phone")),
            media_url=data.get("media_url", ""),  # stays a URL: the platform never fetches it
            idempotency_key=f"o311:{client.pk}:{key}" if key else None)
    except NotFound as exc:
        return error(request, fmt, 404, exc.message)
    except DomainError as exc:
        return error(request, fmt, 400, f"{exc.field + ': ' if exc.field else ''}{exc.message}")
    row = {"service_request_id": req.number, "token": req.token,
           "service_notice": req.get_sla_display(), "account_id": None}
    return render(request, fmt, [row], "service_requests", "request", status=201)
