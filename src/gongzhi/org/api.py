"""Org endpoints of the JSON API (mounted at /api/v1/ by gongzhi.api.api)."""

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from gongzhi.core.apischema import ERRORS
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.idempotency import idempotent
from gongzhi.core.models import Region
from gongzhi.core.services import region_by_code
from gongzhi.core.validation import Limit, Offset

from . import geo, responsibility, services
from . import permissions as perm
from .kinds import MemberRole
from .models import Grid, MatterCategory, Membership, Person, Unit

router = Router(tags=["org"])


class RegionOut(Schema):
    code: str
    name: str
    level: str
    kind: str
    parent: str | None = None
    population: int

    @staticmethod
    def resolve_parent(obj):
        return obj.parent.code if obj.parent_id else None


class UnitOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    parent: str | None
    region: str
    status: str
    needs_rectification: bool
    rectification_reason: str
    full_members: int
    lon: float | None
    lat: float | None


class UnitIn(Schema):
    code: str
    name: str
    kind: str
    region: str = Field(..., description="region code")
    parent: str | None = Field(None, description="parent unit code")
    founding_members: list[int] = Field(
        default_factory=list,
        description="person ids: for a primary party organisation at least three, all already full party "
        "members; for a party group, members of its parent branch",
    )
    host: str | None = Field(None, description="code of the unit a party organisation is set up in")
    address: str = ""
    lon: float | None = None
    lat: float | None = None


class PersonOut(Schema):
    id: int
    name: str
    gender: str
    region: str
    phone: str
    id_number: str
    is_mobile: bool
    roles: list[str]
    masked: bool
    id_number_masked: bool = True


class CategoryOut(Schema):
    code: str
    name: str
    parent: str | None
    default_sla: str
    local_extension: bool


class FeatureCollectionIn(Schema):
    type: str
    features: list[dict]


class GridIn(Schema):
    community: str = Field(..., description="12-digit community/village region code")
    name: str
    code: str | None = None
    geometry: dict


def unit_out(u: Unit, full_counts: dict | None = None) -> dict:
    n = full_counts.get(u.pk, 0) if full_counts is not None else services.full_member_count(u)
    return {
        "code": u.code,
        "name": u.name,
        "kind": u.kind,
        "kind_label": u.get_kind_display(),
        "parent": u.parent.code if u.parent_id else None,
        "region": u.region.code,
        "status": u.status,
        "needs_rectification": u.needs_rectification,
        "rectification_reason": u.rectification_reason,
        "full_members": n,
        "lon": u.lon,
        "lat": u.lat,
    }


def person_out(user, p: Person) -> dict:
    """A person as every page and the API show it: phone in clear with ``view_personal`` for the
    person's region, the ID number in clear only with ``view_id_number`` too; masked otherwise.
    ``unmasked`` names the fields shown in clear (the caller logs them, :func:`log_unmasked`)."""
    see = perm.allowed(user, perm.VIEW_PERSONAL, p)
    see_id = see and perm.allowed(user, perm.VIEW_ID_NUMBER, p)
    roles = sorted({m.get_role_display() for m in p.memberships.all() if m.end_date is None})
    return {
        "id": p.pk,
        "name": p.name,
        "gender": p.gender,
        "region": p.region.code,
        "phone": p.phone if see else perm.mask_phone(p.phone) if p.phone else "",
        "id_number": p.id_number if see_id else perm.mask_id_number(p.id_number) if p.id_number else "",
        "is_mobile": p.is_mobile,
        "roles": [str(r) for r in roles],
        "masked": not see,
        "id_number_masked": not see_id,
        "unmasked": [f for f, shown in (("phone", see and p.phone), ("id_number", see_id and p.id_number)) if shown],
    }


def log_unmasked(request, people: list[Person], outs: list[dict], *, via: str) -> None:
    """One security-log row per person shown with personal fields in clear (issue 17)."""
    from gongzhi.core import audit

    audit.personal_views([(p, out["unmasked"]) for p, out in zip(people, outs, strict=True)], request=request, via=via)


def _visible_region(user, code: str) -> Region:
    region = region_by_code(code)
    perm.require(user, perm.VIEW, region)
    return region


@router.get("/regions", response=list[RegionOut])
def list_regions(request, parent: str | None = None, level: str | None = None):
    qs = perm.scope(request.user, Region.objects.select_related("parent"), region_field="")
    if parent:
        qs = qs.filter(parent__code=parent)
    if level:
        qs = qs.filter(level=level)
    return qs[:2000]


@router.get("/regions/{code}", response={200: RegionOut, **ERRORS})
def get_region(request, code: str):
    return _visible_region(request.user, code)


@router.get("/units", response=list[UnitOut])
def list_units(
    request,
    region: str | None = None,
    kind: str | None = None,
    parent: str | None = None,
    q: str | None = None,
    rectification: bool | None = None,
    limit: Limit = 200,
    offset: Offset = 0,
):
    qs = perm.scope(request.user, Unit.objects.select_related("parent", "region"))
    if region:
        qs = qs.filter(region__path__startswith=region_by_code(region).path)
    if kind:
        qs = qs.filter(kind=kind)
    if parent:
        qs = qs.filter(parent__code=parent)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__iexact=q))
    if rectification is not None:
        qs = qs.filter(needs_rectification=rectification)
    units = list(qs.order_by("path")[offset : offset + min(limit, 1000)])
    counts = _full_counts([u.pk for u in units])
    return [unit_out(u, counts) for u in units]


def _full_counts(ids):
    from django.db.models import Count

    rows = (
        Membership.objects.filter(unit_id__in=ids, role=MemberRole.FULL_MEMBER, end_date__isnull=True)
        .values("unit_id")
        .annotate(n=Count("id"))
    )
    return {r["unit_id"]: r["n"] for r in rows}


@router.get("/units/{code}", response={200: UnitOut, **ERRORS})
def get_unit(request, code: str):
    u = services.get_unit(code)
    perm.require(request.user, perm.VIEW, u)
    return 200, unit_out(u)


@router.post("/units", response={201: UnitOut, **ERRORS})
@idempotent
def create_unit(request, data: UnitIn):
    region = region_by_code(data.region)
    parent = services.get_unit(data.parent) if data.parent else None
    host = services.get_unit(data.host) if data.host else None
    people = list(Person.objects.filter(pk__in=data.founding_members))
    missing = set(data.founding_members) - {p.pk for p in people}
    if missing:
        raise DomainError(f"人员不存在：{sorted(missing)}", field="founding_members")
    u = services.create_unit(
        request.user,
        code=data.code,
        name=data.name,
        kind=data.kind,
        region=region,
        parent=parent,
        founding_members=people,
        host=host,
        address=data.address,
        lon=data.lon,
        lat=data.lat,
    )
    return 201, unit_out(u)


@router.get("/people", response=list[PersonOut])
def list_people(request, region: str | None = None, q: str | None = None, limit: Limit = 100, offset: Offset = 0):
    qs = perm.scope(request.user, Person.objects.select_related("region").prefetch_related("memberships"))
    if region:
        qs = qs.filter(region__path__startswith=region_by_code(region).path)
    if q:
        qs = qs.filter(name__startswith=q)
    people = list(qs.order_by("id")[offset : offset + min(limit, 500)])
    outs = [person_out(request.user, p) for p in people]
    log_unmasked(request, people, outs, via="api")
    return outs


@router.get("/people/{pid}", response={200: PersonOut, **ERRORS})
def get_person(request, pid: int):
    p = Person.objects.select_related("region").filter(pk=pid).first()
    if p is None:
        raise NotFound(f"人员{pid}不存在")
    perm.require(request.user, perm.VIEW, p)
    out = person_out(request.user, p)
    log_unmasked(request, [p], [out], via="api")
    return 200, out


class PartyStandingIn(Schema):
    status: str = Field(..., description='"" (群众), "probationary" (预备党员) or "full" (正式党员)')
    relation: str | None = Field(None, description="code of the primary organisation holding the relation")
    expected_version: int | None = None


class PartyStandingOut(Schema):
    id: int
    party_status: str
    relation: str | None
    version: int


@router.post("/people/{pid}/party-standing", response={200: PartyStandingOut, **ERRORS})
def record_party_standing(request: HttpRequest, pid: int, data: PartyStandingIn) -> tuple[int, dict]:
    """Record a person's party standing and relation: the only way they change (founding or joining an
    organisation never does)."""
    p = Person.objects.select_related("region").filter(pk=pid).first()
    if p is None or not perm.allowed(request.user, perm.VIEW, p):
        raise NotFound(f"人员{pid}不存在")
    relation = services.get_unit(data.relation) if data.relation else None
    p = services.record_party_standing(
        request.user, p, status=data.status, relation=relation, expected_version=data.expected_version
    )
    return 200, {"id": p.pk, "party_status": p.party_status, "relation": data.relation, "version": p.version}


@router.get("/grids", summary="Grids as a GeoJSON FeatureCollection")
def list_grids(request, region: str | None = None, bbox: str | None = None):
    qs = perm.scope(request.user, Grid.objects.all())
    if region:
        qs = qs.filter(region__path__startswith=region_by_code(region).path)
    if bbox:
        try:
            w, s, e, n = (float(x) for x in bbox.split(","))
        except ValueError:
            raise DomainError("bbox格式应为 西,南,东,北（经纬度）", field="bbox") from None
        qs = qs.filter(max_lon__gte=w, min_lon__lte=e, max_lat__gte=s, min_lat__lte=n)
    return services.export_grids(qs)


@router.get("/grids/locate", summary="Which grid contains a point")
def locate_grid(request, lon: float, lat: float):
    grid = geo.locate(lon, lat)
    perm.require(request.user, perm.VIEW, grid)
    return _grid_out(grid)


def _grid_out(grid: Grid) -> dict:
    workers = [
        a.person.name
        for a in grid.assignments.filter(kind="grid_worker", end_date__isnull=True).select_related("person")
    ]
    return {
        "code": grid.code,
        "name": grid.name,
        "community": grid.region.code,
        "community_name": grid.region.name,
        "street": grid.region.parent.name if grid.region.parent_id else None,
        "area_m2": round(grid.area_m2),
        "workers": workers,
        "party_org": grid.party_org.name if grid.party_org_id else None,
        "co_builders": [u.name for u in grid.co_builders.all()],
        "households": grid.households.count(),
        "geometry": grid.geometry,
    }


@router.post("/grids", response={201: dict, **ERRORS})
@idempotent
def create_grid(request, data: GridIn):
    region = region_by_code(data.community)
    g = services.create_grid(request.user, region=region, geometry=data.geometry, name=data.name, code=data.code)
    return 201, {"code": g.code, "name": g.name, "area_m2": round(g.area_m2)}


@router.post("/grids/import", response={201: dict, **ERRORS}, summary="Import a GeoJSON FeatureCollection")
@idempotent
def import_grids(request, data: FeatureCollectionIn):
    created = services.import_grids(request.user, data.dict())
    return 201, {"created": [g.code for g in created]}


@router.get("/grids/{code}")
def get_grid(request, code: str):
    grid = get_object_or_404(Grid.objects.select_related("region__parent"), code=code)
    perm.require(request.user, perm.VIEW, grid)
    return _grid_out(grid)


@router.get("/categories", response=list[CategoryOut])
def list_categories(request):
    return [
        {
            "code": c.code,
            "name": c.name,
            "parent": c.code[:2] if len(c.code) == 5 else None,
            "default_sla": c.default_sla,
            "local_extension": c.is_local_extension,
        }
        for c in MatterCategory.objects.all()
    ]


@router.get("/responsibility", summary="Who handles a matter here and now, and why")
def responsibility_lookup(
    request,
    category: str,
    lon: float | None = None,
    lat: float | None = None,
    grid: str | None = None,
    at: dt.datetime | None = None,
    first_receiver: str | None = None,
):
    g = None
    if grid:
        g = Grid.objects.select_related("region").filter(code=grid).first()
        if g is None:
            raise NotFound(f"网格{grid}不存在", field="grid")
    fr = services.get_unit(first_receiver) if first_receiver else None
    return responsibility.resolve(category, lon=lon, lat=lat, grid=g, at=at, first_receiver=fr).as_dict()


# ----------------------------------------------------------------- 应建未建 (issue 20, item 3)


class GapMemberOut(Schema):
    id: int
    name: str
    region: str
    phone: str
    masked: bool
    relation: str | None = Field(None, description="code of the organisation holding the member's relation")
    relation_name: str


class GapOut(Schema):
    kind: str = Field(
        ...,
        description='"unit": a unit with ≥3 full members working there and no party '
        'organisation in it; "area": a community with ≥3 full members living there and no '
        "primary organisation",
    )
    unit: str | None = Field(None, description="the unit's code (kind unit)")
    name: str
    region: str
    full_members: int
    members: list[GapMemberOut]


@router.get(
    "/party/gaps",
    response={200: list[GapOut], **ERRORS},
    summary="Where a party organisation should exist but does not (应建未建)",
)
def party_gaps(request: HttpRequest, region: str | None = None) -> tuple[int, list[dict]]:
    from . import party

    within = _visible_region(request.user, region) if region else None
    found = party.gaps(request.user, within)
    people = [p for g in found for p in g.members]
    outs = {p.pk: person_out(request.user, p) for p in people}
    log_unmasked(request, people, [outs[p.pk] for p in people], via="api")
    return 200, [
        {
            "kind": g.kind,
            "unit": g.unit.code if g.unit else None,
            "name": g.name,
            "region": g.region.code,
            "full_members": len(g.members),
            "members": [
                {
                    "id": p.pk,
                    "name": p.name,
                    "region": p.region.code,
                    "phone": outs[p.pk]["phone"],
                    "masked": outs[p.pk]["masked"],
                    "relation": p.party_relation.code if p.party_relation is not None else None,
                    "relation_name": party.relation_label(p),
                }
                for p in g.members
            ],
        }
        for g in found
    ]


# ----------------------------------------------------------------- household coverage (包片联户, seed 002)


class CoverageGridOut(Schema):
    code: str
    name: str
    households: int
    linked: int
    rate: float | None = Field(None, description="linked / households (a fraction); null with no households")
    members: int = Field(..., description="party members linking at least one household of the grid")


class CoverageCommunityOut(Schema):
    code: str
    name: str
    households: int
    linked: int
    rate: float | None
    members: int = Field(..., description="party members living in the community")
    members_linking: int
    no_grid: int
    grids: list[CoverageGridOut]


class CoverageOut(Schema):
    households: int
    linked: int
    rate: float | None
    members: int
    members_linking: int
    communities: list[CoverageCommunityOut]


class GapHouseholdOut(Schema):
    code: str
    region: str
    grid: str | None
    building: str


class GapMemberOutC(Schema):
    id: int
    name: str
    region: str
    phone: str
    masked: bool


class CoverageGapsOut(Schema):
    households: list[GapHouseholdOut]
    members: list[GapMemberOutC]


class VisitIn(Schema):
    member: int = Field(..., description="the party member's person id")
    household: str = Field(..., description="the household's code")
    purpose: str = Field(..., description="routine | policy | care | matter | dispute | safety")
    visited_on: dt.date | None = Field(None, description="default: today (the district's day)")
    note: str = ""
    matter: str = Field("", description="a matter the household raised: filed as a request (channel grid)")
    category: str | None = Field(None, description="the matter's category code (optional)")


class VisitOut(Schema):
    id: int
    member: int
    household: str
    grid: str | None
    visited_on: dt.date
    purpose: str
    matter_raised: bool
    request: str | None
    note: str


class MemberHouseholdOut(Schema):
    household: str
    grid: str | None
    building: str
    since: dt.date
    visits: int
    last_visit: dt.date | None


class MemberCoverageOut(Schema):
    member: GapMemberOutC
    households: list[MemberHouseholdOut]
    visits: list[VisitOut]


def visit_out(v: Any, note_visible: bool = True) -> dict:
    return {
        "id": v.pk,
        "member": v.member_id,
        "household": v.household.code,
        "grid": v.grid.code if v.grid_id else None,
        "visited_on": v.visited_on,
        "purpose": v.purpose,
        "matter_raised": v.matter_raised,
        "request": v.request_number or None,
        "note": v.note if note_visible else perm.mask_text(v.note),
    }


@router.get("/coverage", response={200: CoverageOut, **ERRORS}, summary="Party members' household coverage (包片联户)")
def household_coverage(request: HttpRequest, region: str | None = None) -> tuple[int, dict]:
    from . import coverage

    within = _visible_region(request.user, region) if region else None
    rows = coverage.coverage(request.user, within)
    t = coverage.totals(rows)
    return 200, {
        "households": t["households"],
        "linked": t["linked"],
        "rate": t["rate"],
        "members": t["members"],
        "members_linking": t["members_linking"],
        "communities": [
            {
                "code": r.region.code,
                "name": r.region.name,
                "households": r.households,
                "linked": r.linked,
                "rate": r.rate,
                "members": r.members,
                "members_linking": r.members_linking,
                "no_grid": r.no_grid,
                "grids": [
                    {
                        "code": g.grid.code,
                        "name": g.grid.name,
                        "households": g.households,
                        "linked": g.linked,
                        "rate": g.rate,
                        "members": g.members,
                    }
                    for g in r.grids
                ],
            }
            for r in rows
        ],
    }


def _member_row(user: Any, p: Person, out: dict) -> dict:
    return {"id": p.pk, "name": p.name, "region": p.region.code, "phone": out["phone"], "masked": out["masked"]}


@router.get("/coverage/gaps", response={200: CoverageGapsOut, **ERRORS}, summary="Households and members unlinked")
def coverage_gaps(request: HttpRequest, region: str | None = None, limit: Limit = 500) -> tuple[int, dict]:
    from . import coverage

    within = _visible_region(request.user, region) if region else None
    found = coverage.gaps(request.user, within, limit=limit)
    outs = [person_out(request.user, p) for p in found.members]
    log_unmasked(request, found.members, outs, via="api")
    return 200, {
        "households": [
            {
                "code": h.code,
                "region": h.region.code,
                "grid": h.grid.code if h.grid is not None else None,
                "building": h.building,
            }
            for h in found.households
        ],
        "members": [_member_row(request.user, p, o) for p, o in zip(found.members, outs, strict=True)],
    }


@router.get("/coverage/members/{pid}", response={200: MemberCoverageOut, **ERRORS})
def coverage_member(request: HttpRequest, pid: int) -> tuple[int, dict]:
    from . import coverage

    p = Person.objects.select_related("region").filter(pk=pid).first()
    if p is None or not perm.allowed(request.user, perm.VIEW, p):
        raise NotFound("人员不存在或不在您的管辖范围内", field="pid")
    out = person_out(request.user, p)
    log_unmasked(request, [p], [out], via="api")
    see = perm.allowed(request.user, perm.VIEW_PERSONAL, p)
    return 200, {
        "member": _member_row(request.user, p, out),
        "households": [
            {
                "household": r["household"].code,
                "grid": r["household"].grid.code if r["household"].grid_id else None,
                "building": r["household"].building,
                "since": r["link"].start_date,
                "visits": r["visits"],
                "last_visit": r["last_visit"],
            }
            for r in coverage.member_links(p)
        ],
        "visits": [
            visit_out(v, see)
            for v in p.household_visits.select_related("household", "grid").order_by("-visited_on")[:200]
        ],
    }


@router.post("/coverage/visits", response={201: VisitOut, **ERRORS}, summary="Record a household visit")
@idempotent
def record_visit(request: HttpRequest, data: VisitIn) -> tuple[int, dict]:
    from .models import Household

    member = Person.objects.filter(pk=data.member).first()
    if member is None:
        raise NotFound(f"没有编号为{data.member}的人员", field="member")
    household = Household.objects.select_related("region", "grid").filter(code=data.household).first()
    if household is None or not perm.allowed(request.user, perm.VIEW, household):
        raise NotFound(f"没有编码为{data.household}的户", field="household")
    v = services.record_visit(
        request.user,
        member,
        household,
        purpose=data.purpose,
        visited_on=data.visited_on,
        note=data.note,
        matter=data.matter,
        category=data.category,
    )
    return 201, visit_out(v)
