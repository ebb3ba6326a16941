"""Burden endpoints of the JSON API (mounted at /api/v1/burden/)."""

import datetime as dt

from django.db.models import Q
from django.http import HttpResponse
from ninja import Field, Router, Schema

from gongzhi.core.apischema import ERRORS
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.idempotency import idempotent
from gongzhi.core.models import Region
from gongzhi.core.validation import Limit
from gongzhi.org import permissions as perm
from gongzhi.org.models import Grid, Person, Unit

from . import audit, export, meter, perms, services
from .models import BurdenReductionOrder, DemandItem, ReportDefinition

PREFIX = "burden"
router = Router(tags=["burden"])


class DemandIn(Schema):
    issuer: str = Field(..., description="issuing unit code")
    title: str
    kind: str = Field(..., description="form, report, checkin, photo, meeting, pledge, research or other")
    minutes: int | None = Field(
        None,
        description="estimated minutes per occurrence (from the definition's manual fields when a definition is given)",
    )
    recurrence: str = "once"
    issued_on: dt.date | None = None
    due_on: dt.date | None = None
    until: dt.date | None = None
    units: list[str] = Field(default_factory=list, description="target unit codes")
    workers: list[int] = Field(default_factory=list, description="target person ids")
    definition: str | None = Field(None, description="report definition code (penetrating audit)")
    period: str = ""
    has_targets: bool = Field(False, description="a pledge (责任状/承诺书) carries targets or indicators")
    has_penalties: bool = Field(False, description="a pledge carries accountability or penalty clauses")
    asks_materials: bool = Field(False, description="a research visit (调研) asks for materials or figures")
    scores: bool = Field(False, description="a research visit scores or ranks")
    grid: str | None = Field(None, description="a research visit's grid code")


class OrderIn(Schema):
    issuer: str
    title: str
    region: str
    effective_on: dt.date
    target_cut_pct: int = 0
    text: str = ""


class FieldIn(Schema):
    code: str
    label: str
    source: str = "manual"
    minutes: int = 5


class DefinitionIn(Schema):
    code: str
    name: str
    kind: str = "report"
    list_source: str = ""
    description: str = ""
    fields: list[FieldIn] = Field(default_factory=list)


class GenerateIn(Schema):
    definition: str
    region: str
    period: str = Field(..., description="YYYY-MM")


def _series(rows):
    return [
        {
            "start": r["start"],
            "minutes": r["minutes"],
            "higher": r["higher"],
            "platform": r["platform"],
            "items": r["items"],
            "by_kind": r["by_kind"],
        }
        for r in rows
    ]


def _unit(code: str, field: str) -> Unit:
    u = Unit.objects.filter(code=code).select_related("region").first()
    if u is None:
        raise DomainError(f"没有编码为{code}的单位", field=field)
    return u


def _grid(code: str) -> Grid:
    g = Grid.objects.filter(code=code).first()
    if g is None:
        raise DomainError(f"没有编码为{code}的网格", field="grid")
    return g


def _region(code: str, field: str = "region") -> Region:
    r = Region.objects.filter(code=code).first()
    if r is None:
        raise DomainError(f"没有代码为{code}的区域", field=field)
    return r


def demand_out(d) -> dict:
    return {
        "id": d.pk,
        "title": d.title,
        "kind": d.kind,
        "origin": d.origin,
        "issuer": d.issuer.code if d.issuer_id else None,
        "region": d.region.code,
        "minutes": d.minutes,
        "full_minutes": d.full_minutes,
        "recurrence": d.recurrence,
        "issued_on": d.issued_on,
        "due_on": d.due_on,
        "until": d.until,
        "definition": d.definition.code if d.definition_id else None,
        "period": d.period,
        "prefilled": d.prefilled,
        "hidden_assessment": d.hidden_assessment,
        "has_targets": d.has_targets,
        "has_penalties": d.has_penalties,
        "asks_materials": d.asks_materials,
        "scores": d.scores,
        "grid": d.grid.code if d.grid_id else None,
        "items": d.items.count(),
        "flags": [
            {
                "kind": f.kind,
                "field": f.field_code,
                "reason": f.reason_text,
                "code": f.code,
                "params": f.params,
                "minutes_saved": f.minutes_saved,
                "order": f.order_id,
            }
            for f in d.flags.all()
        ],
    }


def report_out(r) -> dict:
    return {
        "id": r.pk,
        "definition": r.definition.code,
        "name": r.definition.name,
        "region": r.region.code,
        "period": r.period,
        "values": r.values,
        "columns": r.columns,
        "rows": r.rows,
        "generated_at": r.generated_at,
    }


@router.get("/me", response={200: dict, **ERRORS})
def my_burden(request, weeks: int = 12):
    me = services.person_of(request.user)
    if me is None:
        raise NotFound("您的账号没有关联人员档案")
    return 200, {
        "person": me.pk,
        "name": me.name,
        "weeks": _series(meter.worker_weeks(me, weeks=max(1, min(weeks, 104)))),
    }


@router.get("/workers/{pid}", response={200: dict, **ERRORS})
def worker_burden(request, pid: int, weeks: int = 12):
    p = Person.objects.filter(pk=pid).first()
    if p is None or not services.can_view_worker(request.user, p):
        raise NotFound("人员不存在或不在您的管辖范围内")
    return 200, {"person": p.pk, "name": p.name, "weeks": _series(meter.worker_weeks(p, weeks=max(1, min(weeks, 104))))}


@router.get("/units/{code}", response={200: dict, **ERRORS})
def unit_burden(request, code: str, months: int = 12):
    u = Unit.objects.filter(code=code).select_related("region").first()
    if u is None or not (
        any(r.unit_id == u.pk for r in perm._roles(request.user)) or perms.allowed(request.user, perms.VIEW, u)
    ):
        raise NotFound("单位不存在或不在您的管辖范围内")
    return 200, {
        "unit": u.code,
        "name": u.name,
        "months": _series(meter.unit_months(u, months=max(1, min(months, 60)))),
    }


@router.get("/regions/{code}", response={200: dict, **ERRORS})
def region_burden(request, code: str, month: str | None = None):
    r = _region(code)
    perms.require(request.user, perms.VIEW, r)
    try:
        start, end = meter.parse_period(month or f"{dt.date.today():%Y-%m}")
    except ValueError:
        raise DomainError("月份格式应为YYYY-MM", field="month") from None
    v = meter.street_view(r, start, end)
    return 200, {
        "region": r.code,
        "name": r.name,
        "month": f"{start:%Y-%m}",
        "total": v["total"],
        "units": v["units"],
        "workers": v["workers"],
        "pushdowns": v["pushdowns"],
        "months": _series(meter.region_months(r)),
    }


@router.get("/demands", response={200: list[dict]})
def list_demands(request, limit: Limit = 100):
    from .views import visible_demands

    qs = visible_demands(request.user).order_by("-issued_on", "-id").prefetch_related("flags")
    return [demand_out(d) for d in qs[: max(1, min(limit, 500))]]


@router.post("/demands", response={201: dict, **ERRORS})
@idempotent
def create_demand(request, data: DemandIn):
    units = [_unit(c, "units") for c in data.units]
    workers = []
    for pid in data.workers:
        p = Person.objects.filter(pk=pid).first()
        if p is None:
            raise DomainError(f"没有编号为{pid}的人员", field="workers")
        workers.append(p)
    definition = None
    if data.definition:
        definition = ReportDefinition.objects.filter(code=data.definition).first()
        if definition is None:
            raise DomainError(f"没有编码为{data.definition}的报表定义", field="definition")
    d = services.issue_demand(
        request.user,
        issuer=_unit(data.issuer, "issuer"),
        title=data.title,
        kind=data.kind,
        minutes=data.minutes,
        recurrence=data.recurrence,
        issued_on=data.issued_on,
        due_on=data.due_on,
        until=data.until,
        units=units,
        workers=workers,
        definition=definition,
        period=data.period,
        has_targets=data.has_targets,
        has_penalties=data.has_penalties,
        asks_materials=data.asks_materials,
        scores=data.scores,
        grid=_grid(data.grid) if data.grid else None,
    )
    return 201, demand_out(d)


@router.post("/items/{iid}/complete", response={200: dict, **ERRORS})
def complete_item(request, iid: int):
    item = DemandItem.objects.filter(pk=iid).first()
    if item is None:
        raise NotFound("工作要求明细不存在")
    item = services.complete_item(request.user, item)
    return 200, {"id": item.pk, "completed_at": item.completed_at}


@router.post("/orders", response={201: dict, **ERRORS})
@idempotent
def create_order(request, data: OrderIn):
    o = services.issue_order(
        request.user,
        issuer=_unit(data.issuer, "issuer"),
        title=data.title,
        region=_region(data.region),
        effective_on=data.effective_on,
        target_cut_pct=data.target_cut_pct,
        text=data.text,
    )
    return 201, {"id": o.pk, "title": o.title, "region": o.region.code, "effective_on": o.effective_on}


@router.get("/audit", response={200: dict, **ERRORS})
def audit_view(request, region: str, order: int | None = None):
    r = _region(region)
    perms.require(request.user, perms.AUDIT, r)
    o = None
    if order is not None:
        o = BurdenReductionOrder.objects.filter(pk=order).first()
        if o is None:
            raise NotFound(f"减负令{order}不存在")
    v = audit.yearly_view(r, o)
    from .views import visible_flags

    flags = visible_flags(request.user).filter(
        Q(region__path__startswith=r.path) | Q(demand__items__region__path__startswith=r.path)
    )
    return 200, {
        "region": r.code,
        "order": o.pk if o else None,
        "months": v["months"],
        "summary": v["summary"],
        "verdict": v["verdict"],
        "fell": v["fell"],
        "years": v["years"],
        "hidden_by_kind": v["hidden_by_kind"],
        "flags": [
            {
                "kind": f.kind,
                "demand": f.demand_id,
                "field": f.field_code,
                "reason": f.reason_text,
                "code": f.code,
                "params": f.params,
                "order": f.order_id,
            }
            for f in flags.distinct()[:500]
        ],
    }


@router.get("/definitions", response={200: list[dict]})
def list_definitions(request):
    return [
        {
            "code": d.code,
            "name": d.name,
            "kind": d.kind,
            "seeded": d.seeded,
            "list_source": d.list_source,
            "fields": [
                {"code": f.code, "label": f.label, "source": f.source, "minutes": f.minutes} for f in d.fields.all()
            ],
        }
        for d in ReportDefinition.objects.prefetch_related("fields")
    ]


@router.post("/definitions", response={201: dict, **ERRORS})
@idempotent
def create_definition(request, data: DefinitionIn):
    d = services.define_report(
        request.user,
        code=data.code,
        name=data.name,
        kind=data.kind,
        list_source=data.list_source,
        description=data.description,
        fields=[f.dict() for f in data.fields],
    )
    return 201, {
        "code": d.code,
        "name": d.name,
        "kind": d.kind,
        "fields": [{"code": f.code, "source": f.source} for f in d.fields.all()],
    }


@router.post("/reports", response={201: dict, **ERRORS})
@idempotent
def generate(request, data: GenerateIn):
    d = ReportDefinition.objects.filter(code=data.definition).first()
    if d is None:
        raise DomainError(f"没有编码为{data.definition}的报表定义", field="definition")
    rep = services.generate_report(request.user, d, _region(data.region), data.period)
    return 201, report_out(rep)


@router.get("/reports/{rid}", response={200: dict, **ERRORS})
def get_report(request, rid: int):
    return 200, report_out(services.get_report(request.user, rid))


@router.get("/reports/{rid}/export", response={200: None, **ERRORS})
def export_report(request, rid: int, format: str = "xlsx"):
    rep = services.get_report(request.user, rid)
    if format == "xlsx":
        body, ctype = export.to_xlsx([rep]), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif format == "pdf":
        body, ctype = export.to_pdf([rep]), "application/pdf"
    else:
        raise DomainError("格式须为xlsx或pdf", field="format")
    resp = HttpResponse(body, content_type=ctype)
    resp["Content-Disposition"] = f'attachment; filename="report-{rep.pk}.{format}"'
    return resp
