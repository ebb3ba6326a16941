"""Incident endpoints of the JSON API (mounted at /api/v1/incidents/)."""

from ninja import Field, Router, Schema

from gongzhi.core.apischema import ERRORS
from gongzhi.core.errors import DomainError
from gongzhi.core.idempotency import idempotent
from gongzhi.core.validation import Limit
from gongzhi.org import permissions as perm
from gongzhi.org.models import Unit

from . import report
from . import services as S
from .models import Incident, IncidentNeed

PREFIX = "incidents"
router = Router(tags=["incidents"])


class DeclareIn(Schema):
    name: str
    kind: str = Field(..., description="flood / fire / snow / gas / earthquake / epidemic / outage / other")
    severity: int = Field(4, description="1 (I, most severe) … 4 (IV)")
    grids: list[str] = Field(default_factory=list, description="grid codes")
    polygon: dict | None = Field(None, description="GeoJSON Polygon/MultiPolygon; grids it overlaps are added")
    desk_unit: str | None = Field(None, description="unit code; default: the street's government unit")
    description: str = ""


class StandDownIn(Schema):
    note: str = ""
    version: int | None = None


class NeedIn(Schema):
    title: str
    kind: str
    quantity: int = 1
    skills: list[str] = Field(default_factory=list)
    lon: float | None = None
    lat: float | None = None


class AssignIn(Schema):
    task: str
    need: int | None = None
    version: int | None = None


class VersionIn(Schema):
    version: int | None = None


def incident_out(i: Incident, full: bool = False) -> dict:
    d = {
        "id": i.pk,
        "code": i.code,
        "name": i.name,
        "kind": i.kind,
        "severity": i.severity,
        "status": i.status,
        "region": i.region.code,
        "desk_unit": {"code": i.desk_unit.code, "name": i.desk_unit.name},
        "declared_at": i.declared_at,
        "stood_down_at": i.stood_down_at,
        "version": i.version,
        "url": i.get_absolute_url(),
    }
    if full:
        d["grids"] = list(i.area.order_by("grid__code").values_list("grid__code", flat=True))
        d["geometry"] = i.geometry
        d["requests"] = S.request_counts(i)
        d["log"] = [{"at": e.at, "kind": e.kind, "text": e.text} for e in i.log.all()]
    return d


def mobilisation_out(m, personal: bool) -> dict:
    return {
        "id": m.pk,
        "incident": m.incident.code,
        "kind": m.kind,
        "grid": m.grid.code if m.grid else None,
        "name": m.person.name,
        "phone": m.person.phone if personal else perm.mask_phone(m.person.phone or ""),
        "basis": m.basis,
        "status": m.status,
        "notified_at": m.notified_at,
        "checked_in_at": m.checked_in_at,
        "task": m.task,
        "need": m.need_id,
        "assigned_at": m.assigned_at,
        "version": m.version,
    }


@router.get("/", response={200: list[dict]})
def list_incidents(request, status: str | None = None, limit: Limit = 100):
    qs = S.visible_incidents(request.user)
    if status:
        qs = qs.filter(status=status)
    return [incident_out(i) for i in qs[: max(1, min(limit, 500))]]


@router.post("/", response={201: dict, **ERRORS})
@idempotent
def declare(request, data: DeclareIn):
    desk = None
    if data.desk_unit:
        desk = Unit.objects.filter(code=data.desk_unit).first()
        if desk is None:
            raise DomainError(f"没有编码为{data.desk_unit}的单位", field="desk_unit")
    inc = S.declare(
        request.user,
        name=data.name,
        kind=data.kind,
        severity=data.severity,
        grids=data.grids,
        polygon=data.polygon,
        desk_unit=desk,
        description=data.description,
    )
    return 201, incident_out(inc, full=True)


@router.get("/{iid}", response={200: dict, **ERRORS})
def get_incident(request, iid: int):
    return 200, incident_out(S.get_incident(request.user, iid), full=True)


@router.post("/{iid}/stand-down", response={200: dict, **ERRORS})
def stand_down(request, iid: int, data: StandDownIn):
    inc = S.stand_down(request.user, S.get_incident(request.user, iid), note=data.note, expected_version=data.version)
    return 200, incident_out(inc, full=True)


@router.get("/{iid}/mobilisations", response={200: list[dict], **ERRORS})
def mobilisations(request, iid: int):
    inc = S.get_incident(request.user, iid)
    personal = perm.allowed(request.user, perm.VIEW_PERSONAL, inc.region)
    return 200, [
        mobilisation_out(m, personal)
        for m in inc.mobilisations.select_related("incident", "person", "grid").order_by("id")
    ]


@router.post("/mobilisations/{mid}/check-in", response={200: dict, **ERRORS})
def check_in(request, mid: int, data: VersionIn):
    m = S.check_in(request.user, S.get_mobilisation(request.user, mid), expected_version=data.version)
    return 200, mobilisation_out(m, False)


@router.post("/mobilisations/{mid}/assign", response={200: dict, **ERRORS})
def assign(request, mid: int, data: AssignIn):
    m = S.get_mobilisation(request.user, mid)
    need = None
    if data.need is not None:
        link = IncidentNeed.objects.filter(incident=m.incident, need_id=data.need).select_related("need").first()
        if link is None:
            raise DomainError("所选需求不属于本事件", field="need")
        need = link.need
    m = S.assign(request.user, m, task=data.task, need=need, expected_version=data.version)
    return 200, mobilisation_out(m, False)


@router.post("/{iid}/needs", response={201: dict, **ERRORS})
@idempotent
def raise_need(request, iid: int, data: NeedIn):
    inc = S.get_incident(request.user, iid)
    n = S.raise_need(
        request.user,
        inc,
        title=data.title,
        kind=data.kind,
        quantity=data.quantity,
        skills=data.skills,
        lon=data.lon,
        lat=data.lat,
    )
    return 201, {
        "id": n.pk,
        "title": n.title,
        "kind": n.kind,
        "quantity": n.quantity,
        "priority": n.priority,
        "source_ref": n.source_ref,
        "grid": n.grid.code if n.grid else None,
    }


@router.get("/{iid}/report", response={200: dict, **ERRORS})
def after_action(request, iid: int):
    r = report.build(S.get_incident(request.user, iid))
    return 200, {
        "incident": incident_out(r["incident"]),
        "duration_h": r["duration_h"],
        "requests": {k: v for k, v in r["requests"].items() if k != "rows"}
        | {"numbers": [q["number"] for q in r["requests"]["rows"]]},
        "people": r["people"],
        "needs": r["needs"],
        "timeline": [{"at": e.at, "kind": e.kind, "text": e.text} for e in r["timeline"]],
    }
