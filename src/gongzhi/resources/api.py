"""Pool endpoints of the JSON API (mounted at /api/v1/resources/)."""

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from gongzhi.core.apischema import ERRORS
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.idempotency import idempotent
from gongzhi.core.models import Region
from gongzhi.core.validation import Limit
from gongzhi.org.models import Unit

from . import services as S
from .models import Assignment, Kind, PoolNeed, PoolResource, Priority

PREFIX = "resources"
router = Router(tags=["resources"])


class ResourceIn(Schema):
    owner: str = Field(..., description="owning unit code")
    name: str
    kind: str = Field(..., description="person / funds / material / venue / vehicle / information")
    quantity: int
    unit_label: str = ""
    lon: float | None = None
    lat: float | None = None
    skills: list[str] = Field(default_factory=list)
    certificates: dict[str, int] = Field(default_factory=dict, description="field -> level")
    available_from: dt.datetime | None = None
    available_until: dt.datetime | None = None
    share_with_paired: bool = False
    use_cost: int = 0
    conditions: str = ""


class NeedIn(Schema):
    title: str
    kind: str
    quantity: int
    priority: str = Field("basic", description="emergency / basic / development")
    source: str = "direct"
    source_ref: str = ""
    lon: float
    lat: float
    skills: list[str] = Field(default_factory=list)
    certificates: dict[str, int] = Field(default_factory=dict, description="field -> minimum level")
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None
    deadline: dt.datetime | None = None
    max_distance_m: int | None = None


class RunIn(Schema):
    region: str | None = Field(None, description="region code (default: your home region)")
    method: str = Field("flow", description="flow (min-cost flow) or greedy")


class RespondIn(Schema):
    accept: bool
    reason: str = ""


class DeliverIn(Schema):
    received: int


class WithdrawIn(Schema):
    reason: str = ""


def resource_out(r: PoolResource) -> dict:
    return {
        "id": r.pk,
        "name": r.name,
        "owner": r.owner.code,
        "owner_name": r.owner.name,
        "kind": r.kind,
        "quantity": r.quantity,
        "unit_label": r.unit_label,
        "skills": r.skills,
        "certificates": r.certificates,
        "lon": r.lon,
        "lat": r.lat,
        "grid": r.grid.code if r.grid_id else None,
        "region": r.region.code,
        "share_with_paired": r.share_with_paired,
        "use_cost": r.use_cost,
        "conditions": r.conditions,
        "status": r.status,
    }


def assignment_out(a: Assignment) -> dict:
    return {
        "id": a.pk,
        "need": a.need_id,
        "resource": a.resource_id,
        "resource_name": a.resource.name,
        "quantity": a.quantity,
        "delivered_quantity": a.delivered_quantity,
        "status": a.status,
        "distance_m": a.distance_m,
        "unit_cost": a.unit_cost,
        "cost": a.cost,
        "rank": a.rank,
        "candidates": a.candidates,
        "explanation": a.explanation,
        "checks": a.checks,
        "note": a.note,
        "reason": a.reason,
    }


def need_out(n: PoolNeed, *, detail: bool = False) -> dict:
    d = {
        "id": n.pk,
        "title": n.title,
        "kind": n.kind,
        "quantity": n.quantity,
        "priority": Priority(n.priority).name.lower(),
        "source": n.source,
        "source_ref": n.source_ref,
        "skills": n.skills,
        "certificates": n.certificates,
        "deadline": n.deadline,
        "lon": n.lon,
        "lat": n.lat,
        "grid": n.grid.code if n.grid_id else None,
        "region": n.region.code,
        "status": n.status,
        "progress": S.need_progress(n),
    }
    if detail:
        d["assignments"] = [assignment_out(a) for a in n.assignments.select_related("resource").order_by("id")]
    return d


@router.get("/resources", response={200: list[dict]})
def list_resources(request, kind: str | None = None, status: str = "active", limit: Limit = 200):
    qs = S.visible_resources(request.user).select_related("grid")
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return [resource_out(r) for r in qs[: max(1, min(limit, 1000))]]


@router.post("/resources", response={201: dict, **ERRORS})
@idempotent
def offer(request, data: ResourceIn):
    owner = Unit.objects.filter(code=data.owner).first()
    if owner is None:
        raise DomainError(f"没有编码为{data.owner}的单位", field="owner")
    fields = data.dict()
    fields.pop("owner")
    r = S.offer_resource(request.user, owner=owner, **fields)
    return 201, resource_out(r)


@router.post("/resources/{rid}/withdraw", response={200: dict, **ERRORS})
def withdraw(request, rid: int, data: WithdrawIn):
    r = get_object_or_404(PoolResource, pk=rid)
    run = S.withdraw_resource(request.user, r, reason=data.reason)
    r.refresh_from_db()
    return 200, {"resource": resource_out(r), "repair_run": run.pk if run else None}


@router.get("/needs", response={200: list[dict]})
def list_needs(request, status: str = "open", priority: str | None = None, kind: str | None = None, limit: Limit = 200):
    qs = S.visible_needs(request.user).select_related("grid")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if priority:
        try:
            from .matching import Priority as P

            qs = qs.filter(priority=int(P.parse(priority)))
        except ValueError as e:
            raise DomainError(str(e), field="priority") from None
    return [need_out(n) for n in qs[: max(1, min(limit, 1000))]]


@router.post("/needs", response={201: dict, **ERRORS})
@idempotent
def raise_need(request, data: NeedIn):
    n = S.raise_need(request.user, **data.dict())
    return 201, need_out(n, detail=True)


@router.get("/needs/{nid}", response={200: dict, **ERRORS})
def get_need(request, nid: int):
    n = S.get_need(request.user, nid)
    d = need_out(n, detail=True)
    d["suggestions"] = (
        [
            {
                "resource": s["resource"].pk,
                "name": s["resource"].name,
                "owner": s["resource"].owner.code,
                "available": s["available"],
                "distance_m": s["distance_m"],
                "unit_cost": s["unit_cost"],
                "checks": s["checks"],
            }
            for s in S.suggestions(n)
        ]
        if n.status == "open"
        else []
    )
    return 200, d


@router.post("/match", response={201: dict, **ERRORS})
@idempotent
def run(request, data: RunIn):
    region = None
    if data.region:
        region = Region.objects.filter(code=data.region).first()
        if region is None:
            raise NotFound(f"没有代码为{data.region}的区域")
    r = S.run_matching(request.user, region=region, method=data.method)
    return 201, {
        "run": r.pk,
        "method": r.method,
        "needs": r.needs,
        "resources": r.resources,
        "assignments": r.assignments,
        "served": r.served,
        "demand": r.demand,
        "total_cost": r.total_cost,
        "seconds": r.seconds,
    }


@router.get("/inbox", response={200: list[dict]})
def inbox(request):
    return [
        assignment_out(a) | {"need_title": a.need.title, "priority": Priority(a.need.priority).name.lower()}
        for a in S.inbox(request.user).select_related("resource")[:500]
    ]


@router.post("/assignments/{aid}/respond", response={200: dict, **ERRORS})
def respond(request, aid: int, data: RespondIn):
    a = get_object_or_404(Assignment, pk=aid)
    a = S.respond(request.user, a, accept=data.accept, reason=data.reason)
    return 200, assignment_out(a)


@router.post("/assignments/{aid}/dispatch", response={200: dict, **ERRORS})
def dispatch(request, aid: int):
    a = S.dispatch(request.user, get_object_or_404(Assignment, pk=aid))
    return 200, assignment_out(a)


@router.post("/assignments/{aid}/deliver", response={200: dict, **ERRORS})
def deliver(request, aid: int, data: DeliverIn):
    a = S.confirm_delivery(request.user, get_object_or_404(Assignment, pk=aid), received=data.received)
    return 200, assignment_out(a) | {"need": need_out(PoolNeed.objects.get(pk=a.need_id))}


@router.get("/map", response={200: dict})
def pool_map(request, kind: str | None = None, priority: str | None = None, state: str | None = None):
    """GeoJSON of resources and needs for the one map, filtered by kind, priority (0/1/2) and state."""
    needs = S.visible_needs(request.user)
    resources = S.visible_resources(request.user).filter(status="active").select_related("owner")
    if kind in Kind.values:
        needs, resources = needs.filter(kind=kind), resources.filter(kind=kind)
    if priority and priority.isdigit():
        needs = needs.filter(priority=int(priority))
        resources = resources.none()
    if state == "open":
        needs = needs.filter(status="open")
    elif state == "closed":
        needs = needs.filter(status="closed")
        resources = resources.none()
    elif state == "matched":
        needs = needs.filter(status="open", assignments__status__in=Assignment.ACTIVE).distinct()
        resources = resources.none()
    elif state == "active":
        needs = needs.none()
    feats = []
    for n in needs[:2000]:
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [n.lon, n.lat]},
                "properties": {
                    "type": "need",
                    "id": n.pk,
                    "title": n.title,
                    "kind": n.kind,
                    "quantity": n.quantity,
                    "priority": n.priority,
                    "priority_label": str(n.get_priority_display()),
                    "status": n.status,
                    "status_label": str(n.get_status_display()),
                },
            }
        )
    for r in resources[:2000]:
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
                "properties": {
                    "type": "resource",
                    "id": r.pk,
                    "title": r.name,
                    "kind": r.kind,
                    "quantity": r.quantity,
                    "owner": r.owner.name,
                },
            }
        )
    return {"type": "FeatureCollection", "features": feats}
