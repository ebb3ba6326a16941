"""Assessment use cases: define indicators (formulas over measures), create schemes with weights per
area kind, change weights, run a scheme over a period.  Each is one transaction that checks
permissions, validates, writes and emits an event; a refused request writes nothing."""

from __future__ import annotations

import math
import time

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from gongzhi.core.errors import Conflict, DomainError, NotFound
from gongzhi.core.events import emit
from gongzhi.core.models import Region
from gongzhi.org import permissions as perm

from . import contracts, scoring
from . import formula as F_
from .catalogue import DEFAULT_INDICATORS, DEFAULT_WEIGHTS
from .contracts import AssessmentError
from .measures import MEASURES, Period, measure
from .models import AreaKind, Element, Indicator, Result, Run, Scheme, SchemeWeight
from .perms import MANAGE, RUN, VIEW

WEIGHT_TOLERANCE = 1e-6
KIND_LABELS = {"urban": "城市类", "rural": "农村类"}


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# ----------------------------------------------------------------- indicators
def check_formula(text: str, *, field: str = "formula") -> list[str]:
    """The measure names a formula uses; DomainError naming the unknown or forbidden one otherwise."""
    return F_.parse(text, MEASURES, field=field)[1]


def define_indicator(
    actor, *, code: str, name: str, formula: str, element: str = "", description: str = ""
) -> Indicator:
    perm.require(actor, MANAGE)
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not code.replace("_", "").replace("-", "").isalnum() or not code.isascii():
        raise DomainError("指标代码只能由英文字母、数字、下划线组成", field="code")
    if not name:
        raise DomainError("请填写指标名称", field="name")
    if element not in Element.values:
        raise DomainError(
            f"融合要素“{element}”无效：应为 concept、structure、platform、mechanism 或留空", field="element"
        )
    names = check_formula(formula)
    with transaction.atomic():
        if Indicator.objects.filter(code=code).exists():
            raise Conflict(f"指标代码{code}已存在，请换一个代码", field="code")
        ind = Indicator.objects.create(
            code=code,
            name=name,
            formula=formula.strip(),
            measures=names,
            element=element,
            description=(description or "").strip()[:300],
        )
        emit(
            contracts.INDICATOR_DEFINED,
            aggregate_type="indicator",
            aggregate_id=ind.code,
            actor=_user(actor),
            payload={"code": ind.code, "formula": ind.formula, "element": ind.element},
        )
    return ind


def update_indicator(
    actor,
    indicator: Indicator,
    *,
    expected_version: int,
    name: str | None = None,
    formula: str | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> Indicator:
    perm.require(actor, MANAGE)
    changes: dict = {}
    if formula is not None:
        changes["measures"] = check_formula(formula)
        changes["formula"] = formula.strip()
    if name is not None:
        if not name.strip():
            raise DomainError("请填写指标名称", field="name")
        changes["name"] = name.strip()
    if description is not None:
        changes["description"] = description.strip()[:300]
    if active is not None:
        changes["active"] = bool(active)
    with transaction.atomic():
        n = Indicator.objects.filter(pk=indicator.pk, version=expected_version).update(
            version=F("version") + 1, **changes
        )
        if not n:
            raise Conflict(f"指标{indicator.code}已被他人修改，请刷新后重试", field="version")
        indicator.refresh_from_db()
        emit(
            contracts.INDICATOR_CHANGED,
            aggregate_type="indicator",
            aggregate_id=indicator.code,
            actor=_user(actor),
            payload={
                "code": indicator.code,
                "formula": indicator.formula,
                "version": indicator.version,
                "active": indicator.active,
            },
        )
    return indicator


# ----------------------------------------------------------------- schemes
def _clean_weights(weights) -> list[tuple[str, Indicator, float, float]]:
    """{"urban": {code: w | [w, shift] | {"weight", "shift"}}, "rural": {...}} → rows; refuses with the reason."""
    if not isinstance(weights, dict):
        raise DomainError('权重应按区域类型给出：{"urban": {指标代码: 权重}, "rural": {…}}', field="weights")
    unknown_kinds = set(weights) - set(AreaKind.values)
    if unknown_kinds:
        raise DomainError(
            f"未知的区域类型：{', '.join(sorted(unknown_kinds))}；应为 urban（城市）或 rural（农村）", field="weights"
        )
    inds = {i.code: i for i in Indicator.objects.all()}
    rows = []
    for kind in AreaKind.values:
        entries = weights.get(kind) or {}
        if not entries:
            raise DomainError(f"缺少{KIND_LABELS[kind]}（{kind}）指标权重：城乡必须分别设定", field="weights")
        total = 0.0
        for code, spec in entries.items():
            ind = inds.get(code)
            if ind is None:
                raise DomainError(
                    f"{KIND_LABELS[kind]}权重引用了未知指标“{code}”；已有指标：{', '.join(sorted(inds))}",
                    field="weights",
                )
            if not ind.active:
                raise DomainError(f"指标{code}已停用，不能用于考核方案", field="weights")
            try:
                F_.parse(ind.formula, MEASURES, field="weights")
            except DomainError as e:
                raise DomainError(f"指标{code}不能用于考核：{e.message}", field="weights", code=e.code) from None
            if isinstance(spec, dict):
                w, s = spec.get("weight"), spec.get("shift", 0)
            elif isinstance(spec, (list, tuple)):
                w, s = (list(spec) + [0])[:2]
            else:
                w, s = spec, 0
            try:
                w, s = float(w), float(s)
            except (TypeError, ValueError):
                raise DomainError(f"{KIND_LABELS[kind]}指标{code}的权重“{w}”不是数字", field="weights") from None
            if not (math.isfinite(w) and 0 < w <= 1):
                raise DomainError(f"{KIND_LABELS[kind]}指标{code}的权重{w:g}无效：应大于0且不超过1", field="weights")
            if not (math.isfinite(s) and -1 <= s <= 1):
                raise DomainError(f"{KIND_LABELS[kind]}指标{code}的调整系数{s:g}无效：应在-1到1之间", field="weights")
            total += w
            rows.append((kind, ind, w, s))
        if abs(total - 1) > WEIGHT_TOLERANCE:
            raise DomainError(
                f"{KIND_LABELS[kind]}指标权重合计为{total:.4g}，应等于1",
                field="weights",
                code=AssessmentError.WEIGHTS_SUM,
            )
    return rows


def _clean_params(params) -> dict:
    params = dict(params or {})
    unknown = set(params) - set(scoring.DEFAULT_PARAMS)
    if unknown:
        raise DomainError(
            f"未知参数：{', '.join(sorted(unknown))}；可用参数：{', '.join(scoring.DEFAULT_PARAMS)}", field="params"
        )
    for k, v in params.items():
        try:
            v = float(v)
        except (TypeError, ValueError):
            raise DomainError(f"参数{k}应为数字", field="params") from None
        if not math.isfinite(v) or v < 0 or (v == 0 and k not in ("penalty_per_bypass", "penalty_cap")):
            raise DomainError(f"参数{k}={v:g}无效：应为正数", field="params")
        params[k] = v
    return params


def create_scheme(actor, *, code: str, name: str, region: Region, weights: dict, params: dict | None = None) -> Scheme:
    perm.require(actor, MANAGE, region)
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not code.isascii():
        raise DomainError("方案代码只能由英文字母、数字、下划线、连字符组成", field="code")
    if not name:
        raise DomainError("请填写方案名称", field="name")
    rows = _clean_weights(weights)
    params = _clean_params(params)
    with transaction.atomic():
        if Scheme.objects.filter(code=code).exists():
            raise Conflict(f"方案代码{code}已存在，请换一个代码", field="code")
        scheme = Scheme.objects.create(code=code, name=name, region=region, params=params, created_by=_user(actor))
        SchemeWeight.objects.bulk_create(
            [SchemeWeight(scheme=scheme, area_kind=k, indicator=i, weight=w, shift=s) for k, i, w, s in rows]
        )
        emit(
            contracts.SCHEME_CREATED,
            aggregate_type="scheme",
            aggregate_id=scheme.code,
            region=region,
            actor=_user(actor),
            payload={"code": code, "weights": _weights_payload(rows), "params": params},
        )
    return scheme


def set_weights(actor, scheme: Scheme, *, expected_version: int, weights: dict, params: dict | None = None) -> Scheme:
    perm.require(actor, MANAGE, scheme.region)
    rows = _clean_weights(weights)
    changes = {} if params is None else {"params": _clean_params(params)}
    with transaction.atomic():
        if not Scheme.objects.filter(pk=scheme.pk, version=expected_version).update(
            version=F("version") + 1, **changes
        ):
            raise Conflict(f"方案{scheme.code}已被他人修改，请刷新后重试", field="version")
        SchemeWeight.objects.filter(scheme=scheme).delete()
        SchemeWeight.objects.bulk_create(
            [SchemeWeight(scheme=scheme, area_kind=k, indicator=i, weight=w, shift=s) for k, i, w, s in rows]
        )
        scheme.refresh_from_db()
        emit(
            contracts.WEIGHTS_CHANGED,
            aggregate_type="scheme",
            aggregate_id=scheme.code,
            region=scheme.region,
            actor=_user(actor),
            payload={"code": scheme.code, "version": scheme.version, "weights": _weights_payload(rows)},
        )
    return scheme


def _weights_payload(rows) -> dict:
    out: dict = {}
    for k, i, w, s in rows:
        out.setdefault(k, {})[i.code] = [w, s]
    return out


def install_catalogue(actor, *, region: Region | None = None, scheme_code: str = "default") -> Scheme | None:
    """Define the default indicators that are missing and, with ``region``, the default scheme (idempotent)."""
    have = set(Indicator.objects.values_list("code", flat=True))
    for code, (name, formula, element, desc) in DEFAULT_INDICATORS.items():
        if code not in have:
            define_indicator(actor, code=code, name=name, formula=formula, element=element, description=desc)
    if region is None:
        return None
    existing = Scheme.objects.filter(code=scheme_code).first()
    if existing is not None:
        return existing
    return create_scheme(
        actor,
        code=scheme_code,
        name=f"{region.name}差异化考核方案",
        region=region,
        weights={k: {c: list(v) for c, v in d.items()} for k, d in DEFAULT_WEIGHTS.items()},
    )


# ----------------------------------------------------------------- runs
def targets_of(root: Region) -> list[Region]:
    """The streets and communities assessed under ``root`` (root itself if it is one)."""
    return list(Region.objects.filter(path__startswith=root.path, level__in=("street", "community")).order_by("path"))


def _area_kind(region: Region, by_path: dict) -> str:
    if region.kind in AreaKind.values:
        return region.kind
    parent = by_path.get(region.path.rsplit("/", 2)[0] + "/")
    return parent.kind if parent is not None else AreaKind.URBAN


def run_assessment(actor, scheme: Scheme, period: str | Period, region: Region | None = None) -> Run:
    """Measure, index, weigh and score every street and community below ``region`` (default: the scheme's)."""
    started = time.perf_counter()
    root = region or scheme.region
    perm.require(actor, RUN, root)
    if not root.path.startswith(scheme.region.path):
        raise DomainError(f"方案“{scheme.name}”适用于{scheme.region.name}，{root.name}不在其范围内", field="region")
    if not scheme.active:
        raise DomainError(f"方案{scheme.code}已停用", field="scheme")
    p = scoring.parse_period(period) if isinstance(period, str) else period
    today = timezone.localdate()
    if p.start > today:
        raise DomainError(f"考核期{p.label}尚未开始（{p.start}起），不能考核", field="period")
    p = Period(label=p.label, start=p.start, end=min(p.end, today))
    weights = list(scheme.weights.select_related("indicator"))
    rows = _clean_weights(
        {k: {w.indicator.code: [w.weight, w.shift] for w in weights if w.area_kind == k} for k in AreaKind.values}
    )  # re-checked: catalogue may have changed since
    fusion_inds = list(Indicator.objects.filter(active=True).exclude(element=""))
    trees = {i.code: F_.parse(i.formula, MEASURES)[0] for _k, i, _w, _s in rows}
    for i in fusion_inds:
        trees[i.code] = F_.parse(i.formula, MEASURES)[0]
    targets = targets_of(root)
    if not targets:
        raise DomainError(f"{root.name}下没有街道（乡镇）或社区（村），无可考核对象", field="region")
    by_path = {r.path: r for r in targets}
    params = {**scoring.DEFAULT_PARAMS, **(scheme.params or {})}
    measured = measure(root, targets, p, params)
    results = []
    for r in targets:
        m = measured[r.code]
        values = {k: v["value"] for k, v in m.items()}
        kind = _area_kind(r, by_path)
        index_name, index_value, parts = scoring.index_for(kind, m, params)
        my_rows = [(i.code, w, s) for k, i, w, s in rows if k == kind]
        ind_values = {c: F_.evaluate(trees[c], values) for c, _w, _s in my_rows}
        used = scoring.adjusted_weights(kind, index_value, my_rows, {c for c, v in ind_values.items() if v is not None})
        raw = scoring.score(ind_values, used)
        pen_n = int(m["bypass_penalised"]["value"] or 0)
        pen = scoring.penalty(pen_n, params)
        by_code = {i.code: i for _k, i, _w, _s in rows}
        indicators = [
            {
                "code": c,
                "name": by_code[c].name,
                "formula": by_code[c].formula,
                "measures": by_code[c].measures,
                "value": ind_values[c],
                "base_weight": w,
                "shift": s,
                "weight": used.get(c),
                "contribution": None if c not in used else 100 * used[c] * max(0.0, min(1.0, ind_values[c])),
            }
            for c, w, s in my_rows
        ]
        elements = {}
        for el in (Element.CONCEPT, Element.STRUCTURE, Element.PLATFORM, Element.MECHANISM):
            items = [
                {
                    "code": i.code,
                    "name": i.name,
                    "formula": i.formula,
                    "measures": i.measures,
                    "value": _clamp(F_.evaluate(trees[i.code], values)),
                }
                for i in fusion_inds
                if i.element == el
            ]
            vals = [x["value"] for x in items if x["value"] is not None]
            elements[el.value] = {"value": sum(vals) / len(vals) if vals else None, "indicators": items}
        evals = [e["value"] for e in elements.values() if e["value"] is not None]
        fusion = {"value": sum(evals) / len(evals) if evals else None, "elements": elements}
        results.append(
            Result(
                region=r,
                level=r.level,
                area_kind=kind,
                index_name=index_name,
                index_value=index_value,
                index_parts=parts,
                measures=m,
                indicators=indicators,
                weights=used,
                fusion=fusion,
                raw_score=raw,
                penalty=pen if raw is not None else 0,
                exemptions=int(m["bypass_exempt"]["value"] or 0),
                penalised=pen_n,
                score=None if raw is None else max(0.0, raw - pen),
            )
        )
    # Ranked among peers only: the same level and the same area kind (no one standard for all).
    for level in ("street", "community"):
        for kind in AreaKind.values:
            group = sorted(
                [x for x in results if x.level == level and x.area_kind == kind and x.score is not None],
                key=lambda x: (-x.score, x.region.code),
            )
            for n, x in enumerate(group, 1):
                x.rank, x.rank_of = n, len(group)
    with transaction.atomic():
        run = Run.objects.create(
            scheme=scheme,
            region=root,
            period=p.label,
            start=p.start,
            end=p.end,
            params=params,
            weights={"version": scheme.version, "rows": [[k, i.code, i.formula, w, s] for k, i, w, s in rows]},
            created_by=_user(actor),
            created_at=timezone.now(),
        )
        for x in results:
            x.run = run
        Result.objects.bulk_create(results)
        run.seconds = round(time.perf_counter() - started, 3)
        Run.objects.filter(pk=run.pk).update(seconds=run.seconds)
        emit(
            contracts.RUN_COMPLETED,
            aggregate_type="assessment_run",
            aggregate_id=run.pk,
            region=root,
            actor=_user(actor),
            payload={
                "scheme": scheme.code,
                "period": p.label,
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "results": {x.region.code: None if x.score is None else round(x.score, 2) for x in results},
            },
        )
    return run


def _clamp(x):
    return None if x is None else max(0.0, min(1.0, x))


# ----------------------------------------------------------------- reading
def visible_results(user, run: Run | None = None):
    qs = Result.objects.select_related("region", "run", "run__scheme")
    if run is not None:
        qs = qs.filter(run=run)
    return perm.scope(user, qs, VIEW)


def visible_runs(user):
    """Runs with at least one result the user may see."""
    paths = perm.scope_paths(user, VIEW)
    qs = Run.objects.select_related("scheme", "region")
    if paths is None:
        return qs
    ids = perm.scope(user, Result.objects.all(), VIEW).values("run_id")
    return qs.filter(pk__in=ids)


def get_result(user, pk: int) -> Result:
    r = Result.objects.select_related("region", "run", "run__scheme", "run__region").filter(pk=pk).first()
    if r is None or not perm.allowed(user, VIEW, r.region):
        raise NotFound(f"考核结果{pk}不存在或不在您的管辖范围内")
    return r


def can(user, action: str, target=None) -> bool:
    return perm.allowed(user, action, target)
