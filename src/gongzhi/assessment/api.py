"""Assessment endpoints of the JSON API (mounted at /api/v1/assessment/)."""

from ninja import Field, Router, Schema

from gongzhi.core.apischema import ERRORS
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.idempotency import idempotent
from gongzhi.core.models import Region
from gongzhi.core.validation import Limit

from . import services as A
from .formula import NEVER_ASSESS
from .measures import MEASURES
from .models import Indicator, Run, Scheme

PREFIX = "assessment"
router = Router(tags=["assessment"])


class IndicatorIn(Schema):
    code: str
    name: str
    formula: str = Field(..., description="arithmetic over measure names, + - * /, min/max/abs")
    element: str = Field("", description="concept | structure | platform | mechanism | empty")
    description: str = ""


class IndicatorPatch(Schema):
    version: int
    name: str | None = None
    formula: str | None = None
    description: str | None = None
    active: bool | None = None


class SchemeIn(Schema):
    code: str
    name: str
    region: str = Field(..., description="region code the scheme applies to")
    weights: dict = Field(..., description='{"urban": {indicator: weight | [weight, shift]}, "rural": {...}}')
    params: dict = {}


class WeightsIn(Schema):
    version: int
    weights: dict
    params: dict | None = None


class RunIn(Schema):
    scheme: str
    period: str = Field(..., description="2026, 2026-H1, 2026-Q3 or 2026-07")
    region: str | None = None


def indicator_out(i: Indicator) -> dict:
    return {
        "code": i.code,
        "name": i.name,
        "formula": i.formula,
        "measures": i.measures,
        "element": i.element,
        "description": i.description,
        "active": i.active,
        "version": i.version,
    }


def scheme_out(s: Scheme) -> dict:
    weights: dict = {"urban": {}, "rural": {}}
    for w in s.weights.select_related("indicator"):
        weights[w.area_kind][w.indicator.code] = {"weight": w.weight, "shift": w.shift}
    return {
        "code": s.code,
        "name": s.name,
        "region": s.region.code,
        "params": s.params,
        "active": s.active,
        "version": s.version,
        "weights": weights,
    }


def run_out(r: Run) -> dict:
    return {
        "id": r.pk,
        "scheme": r.scheme.code,
        "region": r.region.code,
        "period": r.period,
        "start": r.start.isoformat(),
        "end": r.end.isoformat(),
        "created_at": r.created_at.isoformat(),
        "seconds": r.seconds,
    }


def result_out(x, full: bool = False) -> dict:
    d = {
        "id": x.pk,
        "run": x.run_id,
        "region": x.region.code,
        "name": x.region.name,
        "level": x.level,
        "area_kind": x.area_kind,
        "index": {"name": x.index_name, "value": x.index_value},
        "weights": x.weights,
        "raw_score": x.raw_score,
        "penalty": x.penalty,
        "exemptions": x.exemptions,
        "penalised": x.penalised,
        "score": x.score,
        "rank": x.rank,
        "rank_of": x.rank_of,
        "fusion": x.fusion.get("value"),
    }
    if full:
        d.update(
            {
                "index_parts": x.index_parts,
                "indicators": x.indicators,
                "measures": x.measures,
                "fusion_elements": x.fusion.get("elements"),
            }
        )
    return d


def _region(code: str, field: str = "region") -> Region:
    r = Region.objects.filter(code=code).first()
    if r is None:
        raise DomainError(f"没有代码为{code}的区域", field=field)
    return r


@router.get("/measures", response={200: dict})
def measures(request):
    return {
        "measures": {k: {"label": m.label, "source": m.source, "unit": m.unit} for k, m in MEASURES.items()},
        "never_assess": NEVER_ASSESS,
    }


@router.get("/indicators", response={200: list[dict]})
def list_indicators(request):
    return [indicator_out(i) for i in Indicator.objects.all()]


@router.post("/indicators", response={201: dict, **ERRORS})
@idempotent
def define_indicator(request, data: IndicatorIn):
    i = A.define_indicator(
        request.user,
        code=data.code,
        name=data.name,
        formula=data.formula,
        element=data.element,
        description=data.description,
    )
    return 201, indicator_out(i)


@router.patch("/indicators/{code}", response={200: dict, **ERRORS})
def update_indicator(request, code: str, data: IndicatorPatch):
    i = Indicator.objects.filter(code=code).first()
    if i is None:
        raise NotFound(f"没有代码为{code}的指标")
    i = A.update_indicator(
        request.user,
        i,
        expected_version=data.version,
        name=data.name,
        formula=data.formula,
        description=data.description,
        active=data.active,
    )
    return 200, indicator_out(i)


@router.get("/schemes", response={200: list[dict]})
def list_schemes(request):
    return [scheme_out(s) for s in Scheme.objects.select_related("region")]


@router.post("/schemes", response={201: dict, **ERRORS})
@idempotent
def create_scheme(request, data: SchemeIn):
    s = A.create_scheme(
        request.user,
        code=data.code,
        name=data.name,
        region=_region(data.region),
        weights=data.weights,
        params=data.params,
    )
    return 201, scheme_out(s)


@router.put("/schemes/{code}/weights", response={200: dict, **ERRORS})
def set_weights(request, code: str, data: WeightsIn):
    s = Scheme.objects.filter(code=code).select_related("region").first()
    if s is None:
        raise NotFound(f"没有代码为{code}的考核方案")
    s = A.set_weights(request.user, s, expected_version=data.version, weights=data.weights, params=data.params)
    return 200, scheme_out(s)


@router.get("/runs", response={200: list[dict]})
def list_runs(request, limit: Limit = 50):
    return [run_out(r) for r in A.visible_runs(request.user)[: max(1, min(limit, 500))]]


@router.post("/runs", response={201: dict, **ERRORS})
@idempotent
def run(request, data: RunIn):
    s = Scheme.objects.filter(code=data.scheme).select_related("region").first()
    if s is None:
        raise DomainError(f"没有代码为{data.scheme}的考核方案", field="scheme")
    r = A.run_assessment(request.user, s, data.period, _region(data.region) if data.region else None)
    out = run_out(r)
    out["results"] = [result_out(x) for x in A.visible_results(request.user, r)]
    return 201, out


@router.get("/runs/{rid}/results", response={200: list[dict], **ERRORS})
def run_results(request, rid: int):
    r = A.visible_runs(request.user).filter(pk=rid).first()
    if r is None:
        raise NotFound(f"考核批次{rid}不存在或不在您的管辖范围内")
    return 200, [result_out(x) for x in A.visible_results(request.user, r).order_by("level", "rank")]


@router.get("/results/{pk}", response={200: dict, **ERRORS})
def result(request, pk: int):
    return 200, result_out(A.get_result(request.user, pk), full=True)
