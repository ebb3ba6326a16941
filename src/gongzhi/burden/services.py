"""Burden use cases: demands from above (with the penetrating audit), completion, burden-reduction
orders, report definitions as data and report generation; the platform's own demands are recorded
by :mod:`gongzhi.burden.platform` through the domain-event outbox.

Penetrating audit (穿透式审计, seed 001, domain.md system 2):

* a report request whose definition has fields the platform can derive (a registered source in
  :mod:`gongzhi.burden.sources`) gets one *duplicate burden* flag per such field; those fields are
  filled by the platform for each target, and the minutes asked of the worker are the manual
  fields' minutes only;
* a new recurring report, form, check-in or photo demand issued on or after a burden-reduction
  order's date, for a target inside the order's region, is flagged as a *possible hidden
  assessment*, with the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.events import emit
from gongzhi.core.models import Region
from gongzhi.org import permissions as perm
from gongzhi.org import responsibility
from gongzhi.org.models import GridAssignment, Membership, Person, StaffRole, Unit

from . import contracts, disguise, perms, sources
from .contracts import BurdenError
from .meter import add_months, parse_period
from .models import (
    AuditFlag,
    BurdenReductionOrder,
    Demand,
    DemandItem,
    DemandKind,
    GeneratedReport,
    Origin,
    Recurrence,
    ReportDefinition,
    ReportField,
)

MAX_OCCURRENCES = 400
MAX_MINUTES = 24 * 60
# Kinds that, issued as a new recurring demand after a burden-reduction order, are a possible hidden
# assessment: new recurring reports and forms (报表), and new trace requirements (留痕: photos, check-ins).
REPORT_KINDS = frozenset({DemandKind.REPORT, DemandKind.FORM})
TRACE_KINDS = frozenset({DemandKind.PHOTO, DemandKind.CHECKIN})


def _today() -> dt.date:
    return timezone.localdate()


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _text(value: Any, field: str, label: str, max_len: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"请填写{label}", field=field)
    if len(value) > max_len:
        raise DomainError(f"{label}不能超过{max_len}个字", field=field)
    return value


def _int(value: Any, field: str, label: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, bool):
        raise DomainError(f"{label}须为整数", field=field)
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise DomainError(f"{label}须为整数", field=field) from None
    if n != value and not isinstance(value, str):
        raise DomainError(f"{label}须为整数", field=field)
    if n < minimum or (maximum is not None and n > maximum):
        bound = f"{minimum}–{maximum}" if maximum is not None else f"≥{minimum}"
        raise DomainError(f"{label}须在{bound}之间", field=field)
    return n


# ------------------------------------------------------------------ who is who


def person_of(user: Any) -> Person | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(user=user).select_related("region").first()


def handling_units(regions: Any) -> dict[int, Unit]:
    """The handling unit of each region (as :func:`gongzhi.org.responsibility.handling_unit`), in one query."""
    regions = {r.pk: r for r in regions}
    kinds = {k for r in regions.values() for k in responsibility.HANDLER_KINDS.get(r.level, [])}
    found: dict[int, dict[str, Unit]] = {}
    for u in (
        Unit.objects.filter(region_id__in=list(regions), kind__in=kinds, status=Unit.Status.ESTABLISHED)
        .select_related("region")
        .order_by("id")
    ):
        found.setdefault(u.region_id, {}).setdefault(u.kind, u)
    out = {}
    for pk, r in regions.items():
        for k in responsibility.HANDLER_KINDS.get(r.level, []):
            if k in found.get(pk, {}):
                out[pk] = found[pk][k]
                break
    return out


def worker_units(persons: Any) -> dict[int, Unit]:
    """The unit each worker works for: where their platform role is held, else the committee of the
    community of their grid, else a unit they are a member of. A few queries for any number."""
    persons = list(persons)
    out: dict[int, Unit] = {}
    by_user = {p.user_id: p.pk for p in persons if p.user_id}
    if by_user:
        for r in (
            StaffRole.objects.filter(user_id__in=list(by_user), active=True)
            .select_related("unit__region")
            .order_by("id")
        ):
            out.setdefault(by_user[r.user_id], r.unit)
    rest = [p.pk for p in persons if p.pk not in out]
    if rest:
        gas = list(
            GridAssignment.objects.filter(
                person_id__in=rest, kind=GridAssignment.Kind.GRID_WORKER, end_date__isnull=True
            )
            .select_related("grid__region")
            .order_by("id")
        )
        units = handling_units({ga.grid.region for ga in gas})
        for ga in gas:
            if ga.grid.region_id in units:
                out.setdefault(ga.person_id, units[ga.grid.region_id])
    rest = [pk for pk in rest if pk not in out]
    if rest:
        for m in (
            Membership.objects.filter(person_id__in=rest, end_date__isnull=True)
            .select_related("unit__region")
            .order_by("id")
        ):
            out.setdefault(m.person_id, m.unit)
    return out


def worker_unit(person: Person) -> Unit | None:
    return worker_units([person]).get(person.pk)


def is_self(user: Any, item: DemandItem) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and item.worker_id
        and Person.objects.filter(pk=item.worker_id, user_id=user.pk).exists()
    )


def can_view_worker(user: Any, person: Person) -> bool:
    if getattr(user, "is_authenticated", False) and person.user_id == user.pk:
        return True
    unit = worker_unit(person)
    return perms.allowed(user, perms.VIEW, unit.region if unit else person.region)


def visible_items(user: Any) -> QuerySet[DemandItem]:
    """The demand items ``user`` may see: their own, and every item in their burden_view scope."""
    from django.db.models import Q

    qs = DemandItem.objects.select_related("demand", "unit", "worker", "region")
    paths = perm.scope_paths(user, perms.VIEW)
    if paths is None:
        return qs
    cond = Q(worker__user_id=user.pk) if getattr(user, "is_authenticated", False) else Q(pk__in=[])
    for p in paths:
        cond |= Q(region__path__startswith=p)
    return qs.filter(cond)


def _acts_for(actor: Any, unit: Unit) -> bool:
    return any(r.unit_id == unit.pk for r in perm._roles(actor))


# ------------------------------------------------------------------ demands from above


def occurrences(first: dt.date, recurrence: str, until: dt.date | None) -> list[dt.date]:
    """The dates on which a demand falls due: ``first`` and every period after it up to ``until``."""
    if recurrence == Recurrence.ONCE or until is None:
        return [first]
    out: list[dt.date] = []
    k = 0
    while len(out) < MAX_OCCURRENCES:
        if recurrence == Recurrence.DAILY:
            d = first + dt.timedelta(days=k)
        elif recurrence == Recurrence.WEEKLY:
            d = first + dt.timedelta(weeks=k)
        else:
            steps: dict[str, int] = {Recurrence.MONTHLY: 1, Recurrence.QUARTERLY: 3, Recurrence.YEARLY: 12}
            step = steps[recurrence]
            base = add_months(first.replace(day=1), step * k)
            last_day = (add_months(base, 1) - dt.timedelta(days=1)).day
            d = base.replace(day=min(first.day, last_day))
        if d > until:
            break
        out.append(d)
        k += 1
    return out


def _common_region(regions: list[Region]) -> Region:
    paths = [r.path for r in regions]
    common = paths[0]
    for p in paths[1:]:
        while not p.startswith(common):
            common = common[: common.rstrip("/").rfind("/") + 1]
    best = [r for r in regions if r.path == common]
    if best:
        return best[0]
    code = common.strip("/").split("/")[-1]
    return Region.objects.get(code=code)


def _prefill(definition: ReportDefinition, regions: list[Region], period: str) -> dict:
    start, end = parse_period(period)
    sources.clear_cache()
    fields = [f for f in definition.fields.all() if not f.is_manual]
    out = {}
    for region in regions:
        out[region.code] = {f.code: sources.compute_field(f.source, region, start, end) for f in fields}
    return out


def _orders_over(regions: list[Region], day: dt.date) -> list[BurdenReductionOrder]:
    found = []
    for o in (
        BurdenReductionOrder.objects.filter(effective_on__lte=day)
        .select_related("region", "issuer")
        .order_by("-effective_on", "-id")
    ):
        if any(r.path.startswith(o.region.path) for r in regions):
            found.append(o)
    return found


def _insert_items(demand_id: int, minutes: int, auto_filled: bool, completed_at: Any, rows: Any) -> None:
    """Insert a demand's items (one per target and occurrence) with one executemany: a year of weekly
    check-ins for every grid worker of a district is tens of thousands of rows."""
    ops = connection.ops
    done = ops.adapt_datetimefield_value(completed_at) if completed_at else None
    qn = ops.quote_name
    cols = ["demand_id", "worker_id", "unit_id", "region_id", "on", "minutes", "completed_at", "auto_filled"]
    sql = (
        f"INSERT INTO {qn(DemandItem._meta.db_table)} ({', '.join(qn(c) for c in cols)}) "
        f"VALUES ({', '.join(['%s'] * len(cols))})"
    )
    params = [(demand_id, w, u, r, ops.adapt_datefield_value(d), minutes, done, auto_filled) for w, u, r, d in rows]
    with connection.cursor() as cur:
        for k in range(0, len(params), 5000):
            cur.executemany(sql, params[k : k + 5000])


def _check_disguise_fields(
    actor: Any, kind: Any, has_targets: Any, has_penalties: Any, asks_materials: Any, scores: Any, grid: Any
) -> None:
    if (has_targets or has_penalties) and kind != DemandKind.PLEDGE:
        raise DomainError("只有责任状/承诺书类要求可以注明目标/指标或问责条款", field="kind")
    if (asks_materials or scores or grid is not None) and kind != DemandKind.RESEARCH:
        raise DomainError("只有调研类要求可以注明索要材料、打分或调研网格", field="kind")
    if grid is not None:
        perms.require(actor, perms.ISSUE, grid)


@transaction.atomic
def issue_demand(
    actor: Any,
    *,
    issuer: Unit,
    title: str,
    kind: str,
    minutes: Any = None,
    recurrence: str = Recurrence.ONCE,
    issued_on: dt.date | None = None,
    due_on: dt.date | None = None,
    until: dt.date | None = None,
    units: Any = (),
    workers: Any = (),
    definition: ReportDefinition | None = None,
    period: str = "",
    has_targets: bool = False,
    has_penalties: bool = False,
    asks_materials: bool = False,
    scores: bool = False,
    grid: Any = None,
) -> Demand:
    """Record a demand made by a higher level of units and/or workers below it.

    Refused, with the reason: no target, no minutes (unless every minute comes from a report
    definition's manual fields), a target outside the actor's area, an unknown kind or recurrence.
    """
    title = _text(title, "title", "事项名称", 160)
    if kind not in DemandKind.values:
        raise DomainError("请选择类型：填表、报表、打卡、拍照留痕、会议或其他", field="kind")
    if recurrence not in Recurrence.values:
        raise DomainError("请选择频次", field="recurrence")
    if issuer is None:
        raise DomainError("请选择下达单位", field="issuer")
    units, workers = list(dict.fromkeys(units)), list(dict.fromkeys(workers))
    if not units and not workers:
        raise DomainError("请选择下达对象（单位或工作人员），没有对象的要求无法计入负担", field="targets")
    if not (perm.is_system(actor) or _acts_for(actor, issuer) or perms.allowed(actor, perms.ISSUE, issuer)):
        raise Forbidden(f"无权以{issuer.name}的名义下达工作要求")
    issued_on = issued_on or _today()
    targets: list[tuple[Person | None, Unit]] = [(None, u) for u in units]
    their_units = worker_units(workers)
    for w in workers:
        unit = their_units.get(w.pk)
        if unit is None:
            raise DomainError(f"{w.name}没有所属单位，无法计入负担", field="targets")
        targets.append((w, unit))
    for unit in {u.pk: u for _w, u in targets}.values():
        perms.require(actor, perms.ISSUE, unit)
    regions = [u.region for _w, u in targets]
    _check_disguise_fields(actor, kind, has_targets, has_penalties, asks_materials, scores, grid)
    full_minutes = None
    fields = []
    if definition is not None:
        if kind not in REPORT_KINDS:
            raise DomainError("只有报表或填表类要求可以关联报表定义", field="definition")
        fields = list(definition.fields.all())
        if not fields:
            raise DomainError(f"报表“{definition.name}”没有字段", field="definition")
        unknown = [f.code for f in fields if not f.is_manual and f.source not in sources.FIELD_SOURCES]
        if unknown:
            raise DomainError(f"报表字段的数据来源不是已登记的查询：{'、'.join(unknown)}", field="definition")
        period = (period or f"{issued_on:%Y-%m}").strip()
        try:
            parse_period(period)
        except ValueError:
            raise DomainError("报表期格式应为YYYY-MM，例如2026-10", field="period") from None
        full_minutes = sum(f.minutes for f in fields)
        minutes = sum(f.minutes for f in fields if f.is_manual)
    else:
        if minutes in (None, ""):
            raise DomainError("请填写估计分钟数：每项要求都要说明基层要花多少时间", field="minutes")
        minutes = _int(minutes, "minutes", "估计分钟数", minimum=1, maximum=MAX_MINUTES)
        full_minutes = minutes
    first = due_on or issued_on
    if due_on is not None and due_on < issued_on:
        raise DomainError("截止日期不能早于下达日期", field="due_on")
    if recurrence != Recurrence.ONCE:
        until = until or (add_months(first.replace(day=1), 12) - dt.timedelta(days=1))
        if until < first:
            raise DomainError("周期截止日期不能早于首次截止日期", field="until")
    dates = occurrences(first, recurrence, until)
    demand = Demand.objects.create(
        title=title,
        kind=kind,
        origin=Origin.HIGHER,
        issuer=issuer,
        region=_common_region(regions),
        minutes=minutes,
        full_minutes=full_minutes,
        recurrence=recurrence,
        issued_on=issued_on,
        due_on=due_on,
        until=until if recurrence != Recurrence.ONCE else None,
        definition=definition,
        period=period if definition else "",
        has_targets=bool(has_targets),
        has_penalties=bool(has_penalties),
        asks_materials=bool(asks_materials),
        scores=bool(scores),
        grid=grid,
        created_by=_user(actor),
    )
    flags = []
    if definition is not None:
        demand.prefilled = _prefill(definition, sorted(set(regions), key=lambda r: r.code), period)
        demand.save(update_fields=["prefilled"])
        for f in fields:
            if f.is_manual:
                continue
            src = sources.FIELD_SOURCES[f.source]
            flags.append(
                AuditFlag(
                    demand=demand,
                    kind=AuditFlag.Kind.DUPLICATE,
                    field_code=f.code,
                    minutes_saved=f.minutes,
                    region=demand.region,
                    reason=f"字段“{f.label}”可由平台从记录自动生成（{src.label}），属重复填报，已自动填报，"
                    f"基层无需再填（每次节省{f.minutes}分钟）",
                )
            )
    if recurrence != Recurrence.ONCE and kind in REPORT_KINDS | TRACE_KINDS:
        for order in _orders_over(regions, issued_on)[:1]:
            what = "周期性报表" if kind in REPORT_KINDS else "周期性留痕要求（拍照/打卡）"
            flags.append(
                AuditFlag(
                    demand=demand,
                    kind=AuditFlag.Kind.HIDDEN,
                    order=order,
                    region=demand.region,
                    reason=f"{issued_on}新增{Recurrence(recurrence).label}{what}“{title}”，在{order.issuer.name}"
                    f"《{order.title}》（{order.effective_on}起施行，适用于{order.region.name}）之后，"
                    f"疑似以新报表变相考核（减负内卷化）",
                )
            )
            demand.hidden_assessment = True
            demand.save(update_fields=["hidden_assessment"])
    # hidden assessment in disguise: pledges with targets/penalties, research visits acting as inspections
    target_units = list({u.pk: u for _w, u in targets}.values())
    orders = _orders_over(regions, issued_on)
    disguised = disguise.pledge_flags(demand, target_units, orders) + disguise.research_flags(
        demand, target_units, orders
    )
    if disguised:
        flags += disguised
        demand.hidden_assessment = True
        demand.save(update_fields=["hidden_assessment"])
    AuditFlag.objects.bulk_create(flags)
    _insert_items(
        demand.pk,
        minutes,
        definition is not None,
        timezone.now() if minutes == 0 else None,
        [(w.pk if w else None, unit.pk, unit.region_id, d) for d in dates for w, unit in targets],
    )
    emit(
        contracts.DEMAND_ISSUED,
        aggregate_type="demand",
        aggregate_id=demand.pk,
        region=demand.region,
        actor=actor,
        payload={
            "title": title,
            "kind": kind,
            "issuer": issuer.code,
            "minutes": minutes,
            "full_minutes": full_minutes,
            "recurrence": recurrence,
            "occurrences": len(dates),
            "targets": len(targets),
            "duplicate_fields": [f.field_code for f in flags if f.kind == AuditFlag.Kind.DUPLICATE],
            "hidden_assessment": demand.hidden_assessment,
        },
    )
    return demand


@transaction.atomic
def complete_item(actor: Any, item: DemandItem) -> DemandItem:
    """Mark one demand item done: the worker themself, or someone with burden_complete over its unit."""
    found = DemandItem.objects.select_related("region", "unit", "demand").filter(pk=item.pk).first()
    if found is None:
        raise NotFound("工作要求明细不存在")
    item = found
    if not is_self(actor, item):
        perms.require(actor, perms.COMPLETE, item.region)
    if not DemandItem.objects.filter(pk=item.pk, completed_at__isnull=True).update(completed_at=timezone.now()):
        raise Conflict("该项已完成，不能重复办结", code=CoreError.INVALID_STATE)
    item.refresh_from_db()
    emit(
        contracts.ITEM_COMPLETED,
        aggregate_type="demand",
        aggregate_id=item.demand_id,
        region=item.region,
        actor=actor,
        payload={"item": item.pk, "on": item.on.isoformat(), "minutes": item.minutes},
    )
    return item


# ------------------------------------------------------------------ burden-reduction orders


@transaction.atomic
def issue_order(
    actor: Any,
    *,
    issuer: Unit,
    title: str,
    region: Region,
    effective_on: dt.date,
    target_cut_pct: Any = 0,
    text: str = "",
) -> BurdenReductionOrder:
    title = _text(title, "title", "文件名称", 160)
    if region is None:
        raise DomainError("请选择适用范围", field="region")
    perms.require(actor, perms.ORDER, region)
    if issuer is None:
        raise DomainError("请选择发文单位", field="issuer")
    if not region.path.startswith(issuer.region.path):
        raise DomainError(f"{issuer.name}不能为其辖区以外的{region.name}发布减负令", field="region")
    if not isinstance(effective_on, dt.date):
        raise DomainError("请填写生效日期", field="effective_on")
    pct = _int(target_cut_pct or 0, "target_cut_pct", "报表压减目标", minimum=0, maximum=100)
    order = BurdenReductionOrder.objects.create(
        title=title,
        issuer=issuer,
        region=region,
        effective_on=effective_on,
        target_cut_pct=pct,
        text=_text(text, "text", "要求", 4000, False),
        created_by=_user(actor),
    )
    emit(
        contracts.ORDER_ISSUED,
        aggregate_type="burden_order",
        aggregate_id=order.pk,
        region=region,
        actor=actor,
        payload={
            "title": title,
            "issuer": issuer.code,
            "effective_on": effective_on.isoformat(),
            "target_cut_pct": pct,
        },
    )
    return order


# ------------------------------------------------------------------ reports defined as data


@transaction.atomic
def define_report(
    actor: Any,
    *,
    code: str,
    name: str,
    kind: str = ReportDefinition.Kind.REPORT,
    fields: Any = (),
    list_source: str = "",
    description: str = "",
    seeded: bool = False,
    owner: Unit | None = None,
) -> ReportDefinition:
    """A report or problem list as data. Refused: a field whose source names an unknown query, a
    problem list without a known list query, a report without fields, a duplicate code."""
    if owner is not None:
        perms.require(actor, perms.DEFINE, owner)
    else:
        perms.require(actor, perms.DEFINE)
    code = _text(code, "code", "编码", 40)
    name = _text(name, "name", "名称", 120)
    if kind not in ReportDefinition.Kind.values:
        raise DomainError("请选择报表或问题清单", field="kind")
    if ReportDefinition.objects.filter(code=code).exists():
        raise DomainError(f"编码{code}已被使用", field="code", code=CoreError.DUPLICATE)
    list_source = (list_source or "").strip()
    if kind == ReportDefinition.Kind.PROBLEM_LIST:
        if list_source not in sources.LIST_SOURCES:
            known = "、".join(sorted(sources.LIST_SOURCES))
            raise DomainError(f"清单查询“{list_source}”不是已登记的查询；可用：{known}", field="list_source")
    elif list_source:
        raise DomainError("只有问题清单需要清单查询", field="list_source")
    rows, seen = [], set()
    for i, f in enumerate(fields):
        fcode = _text(f.get("code"), "fields", "字段编码", 40)
        label = _text(f.get("label"), "fields", "字段名称", 120)
        source = (f.get("source") or ReportField.MANUAL).strip()
        if fcode in seen:
            raise DomainError(f"字段编码{fcode}重复", field="fields")
        seen.add(fcode)
        if source != ReportField.MANUAL and source not in sources.FIELD_SOURCES:
            raise DomainError(
                f"字段“{label}”的数据来源“{source}”不是已登记的查询；请改为manual（人工填写）或选择已登记的来源",
                field="fields",
                code=BurdenError.UNKNOWN_SOURCE,
            )
        minutes = _int(f.get("minutes", 5), "fields", f"字段“{label}”的估计分钟", minimum=0, maximum=600)
        rows.append(ReportField(position=i, code=fcode, label=label, source=source, minutes=minutes))
    if kind == ReportDefinition.Kind.REPORT and not rows:
        raise DomainError("报表至少要有一个字段", field="fields")
    d = ReportDefinition.objects.create(
        code=code,
        name=name,
        kind=kind,
        list_source=list_source,
        description=_text(description, "description", "说明", 300, False),
        seeded=seeded,
        owner=owner,
    )
    for r in rows:
        r.definition = d
    ReportField.objects.bulk_create(rows)
    emit(
        contracts.DEFINITION_CREATED,
        aggregate_type="report_definition",
        aggregate_id=code,
        region=owner.region if owner else None,
        actor=actor,
        payload={
            "name": name,
            "kind": kind,
            "fields": [{"code": r.code, "source": r.source} for r in rows],
            "list_source": list_source,
        },
    )
    return d


def compute_report(definition: ReportDefinition, region: Region, period: str) -> dict:
    """The values (and rows) of a definition for a region and month, from the records."""
    try:
        start, end = parse_period(period)
    except ValueError:
        raise DomainError("报表期格式应为YYYY-MM，例如2026-10", field="period") from None
    values = []
    for f in definition.fields.all():
        if f.is_manual:
            values.append(
                {"code": f.code, "label": f.label, "source": f.source, "manual": True, "value": None, "unit": ""}
            )
            continue
        src = sources.FIELD_SOURCES.get(f.source)
        if src is None:
            raise DomainError(f"字段“{f.label}”的数据来源“{f.source}”不是已登记的查询", field="definition")
        values.append(
            {
                "code": f.code,
                "label": f.label,
                "source": f.source,
                "manual": False,
                "unit": src.unit,
                "value": sources.compute_field(f.source, region, start, end),
            }
        )
    columns, rows = [], []
    if definition.list_source:
        ls = sources.LIST_SOURCES.get(definition.list_source)
        if ls is None:
            raise DomainError(f"清单查询“{definition.list_source}”不是已登记的查询", field="definition")
        columns = list(ls.columns)
        rows = [
            [v if isinstance(v, (int, float, str)) or v is None else str(v) for v in row]
            for row in sources.compute_list(definition.list_source, region, start, end)
        ]
    return {"values": values, "columns": columns, "rows": rows}


@transaction.atomic
def generate_report(actor: Any, definition: ReportDefinition, region: Region, period: str) -> GeneratedReport:
    perms.require(actor, perms.GENERATE, region)
    sources.clear_cache()
    data = compute_report(definition, region, (period or "").strip())
    rep = GeneratedReport.objects.create(
        definition=definition,
        region=region,
        period=period.strip(),
        values=data["values"],
        rows=data["rows"],
        columns=data["columns"],
        generated_by=_user(actor),
    )
    emit(
        contracts.REPORT_GENERATED,
        aggregate_type="report_definition",
        aggregate_id=definition.code,
        region=region,
        actor=actor,
        payload={"report": rep.pk, "period": rep.period, "rows": len(rep.rows)},
    )
    return rep


def visible_reports(user: Any) -> Any:
    return perm.scope(user, GeneratedReport.objects.select_related("definition", "region"), perms.GENERATE)


def get_report(user: Any, pk: Any) -> GeneratedReport:
    rep = visible_reports(user).filter(pk=pk).first()
    if rep is None:
        raise NotFound("报表不存在或不在您的管辖范围内")
    return rep


# ------------------------------------------------------------------ the platform's own demands


def platform_demand(key: str, region: Region) -> Demand:
    """The standing demand of the platform ``key`` in ``region`` (one per street), created on first use."""
    from .platform import STANDARD

    std = STANDARD[key]
    d = Demand.objects.filter(origin=Origin.PLATFORM, platform_key=key, region=region).first()
    if d is None:
        try:
            with transaction.atomic():
                d = Demand.objects.create(
                    title=std.label,
                    kind=std.kind,
                    origin=Origin.PLATFORM,
                    platform_key=key,
                    region=region,
                    minutes=std.minutes,
                    full_minutes=std.minutes,
                    recurrence=Recurrence.ONCE,
                    issued_on=dt.date(2000, 1, 1),
                )
        except IntegrityError:
            d = Demand.objects.get(origin=Origin.PLATFORM, platform_key=key, region=region)
    return d


def record_platform_items(actor: Any, rows: list[dict]) -> int:
    """Write platform demand items (``key, ref, unit, worker, on``), once per ``ref`` (idempotent). Only the
    system (the subscriber, the backfill) records what the platform itself asked of the grassroots."""
    from .platform import STANDARD

    if not perm.is_system(actor):
        raise Forbidden("只有系统可以记录平台自身的工作要求")
    if not rows:
        return 0
    refs = [r["ref"] for r in rows]
    have = set(DemandItem.objects.filter(source_ref__in=refs).values_list("source_ref", flat=True))
    demands: dict = {}
    objs = []
    for r in rows:
        if r["ref"] in have:
            continue
        have.add(r["ref"])
        unit = r["unit"]
        street = unit.region.ancestor_at(Region.Level.STREET) or unit.region
        dkey = (r["key"], street.pk)
        if dkey not in demands:
            demands[dkey] = platform_demand(r["key"], street)
        worker = r.get("worker")
        objs.append(
            DemandItem(
                demand_id=demands[dkey].pk,
                worker_id=worker.pk if worker else None,
                unit_id=unit.pk,
                region_id=unit.region_id,
                on=r["on"],
                minutes=STANDARD[r["key"]].minutes,
                completed_at=r.get("at"),
                source_ref=r["ref"],
            )
        )
    DemandItem.objects.bulk_create(objs, batch_size=2000, ignore_conflicts=True)
    return len(objs)
