"""The registry of field sources and list sources: named queries over operational records.

A report field whose ``source`` is a key of :data:`FIELD_SOURCES` is derivable: the platform
computes it for a region (and everything below it) and a period [start, end); a problem list's
``list_source`` is a key of :data:`LIST_SOURCES`, a query returning rows. Nothing here writes.
Every function reads other apps' models (allowed by docs/architecture.md), never changes them.

Field sources are figures of the one registry (:mod:`gongzhi.core.figures`): those defined here
(:func:`field`) are registered into it, and the request figures are read from it (defined once in
:mod:`gongzhi.cases.figures`), shown as a report shows them (rates in per cent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from gongzhi.cases import figures as case_figures
from gongzhi.core import figures as registry
from gongzhi.core.models import Region

OVERLOAD_MINUTES_PER_WEEK = 600  # 10 hours a week of demands on one worker is overload (see docs/burden.md)


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    unit: str  # "count", "rate", "hours", "minutes"
    fn: Callable[[Region, dt.date, dt.date], float | int | None]
    app: str = ""
    figure: str = ""  # its name in the one registry (core.figures)


@dataclass(frozen=True)
class ListSource:
    key: str
    label: str
    columns: tuple[str, ...]
    fn: Callable[[Region, dt.date, dt.date], list[list]]
    app: str = ""


class _FieldSources(Mapping):
    """Report field sources by key; those reading another app's figure are linked to the registry on first
    use (the app's figure module may be imported after this one)."""

    def __init__(self) -> None:
        self._sources: dict[str, Source] = {}
        self._pending: dict[str, Callable[[], Source]] = {}

    def add(self, key: str, source: Source | Callable[[], Source]) -> None:
        if isinstance(source, Source):
            self._sources[key] = source
        else:
            self._pending[key] = source
            self._sources.pop(key, None)

    def _all(self) -> dict[str, Source]:
        if self._pending:
            for key, make in list(self._pending.items()):
                self._sources[key] = make()
            self._pending.clear()
        return self._sources

    def __getitem__(self, key: str) -> Source:
        if key in self._pending:
            self._all()
        return self._sources[key]

    def __contains__(self, key: object) -> bool:
        return key in self._sources or key in self._pending

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._sources) + len(self._pending)


FIELD_SOURCES = _FieldSources()
LIST_SOURCES: dict[str, ListSource] = {}


def figure_name(key: str, app: str) -> str:
    """The registry name of a field source: ``<app label>.<figure>`` (``pool.x`` of the resources app is
    ``resources.x``)."""
    prefix, _, rest = key.partition(".")
    return f"{app}.{rest}" if app and prefix != app else key


def _present(unit: str) -> Callable[[Any], Any]:
    if unit == "rate":  # a fraction in the registry, per cent in a report
        return lambda v: None if v is None else round(100 * v, 1)
    if unit == "hours":
        return lambda v: None if v is None else round(v, 1)
    return lambda v: v


def from_figure(key: str, name: str, unit: str, present: Callable | None = None) -> None:
    """Offer figure ``name`` of the registry as report field source ``key`` (shown as ``unit``)."""
    shown = present or _present(unit)

    def make() -> Source:
        fig = registry.get(name)  # an unknown figure fails here, loudly

        def fn(region: Region, start: dt.date, end: dt.date) -> Any:
            return shown(registry.value(registry.compute(name, region, start, end)))

        return Source(key, fig.label, unit, fn, fig.app, name)

    FIELD_SOURCES.add(key, make)


def field(key: str, label: str, unit: str = "count", app: str = "") -> Callable[[Callable], Callable]:
    """Define a figure here, register it in the one registry and offer it as field source ``key``."""

    def register(fn: Callable) -> Callable:
        name = figure_name(key, app)
        registry.register(name, fn, label=label, unit=unit)
        FIELD_SOURCES.add(key, Source(key, label, unit, fn, app, name))
        return fn

    return register


def listing(key: str, label: str, columns: tuple[str, ...], app: str = ""):
    def register(fn):
        LIST_SOURCES[key] = ListSource(key, label, columns, fn, app)
        return fn

    return register


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _installed(label: str) -> bool:
    return apps.is_installed(f"gongzhi.{label}")


_cache: dict = {}  # work shared by the figures of one generation run (core.figures.batch)


def compute_field(key: str, region: Region, start: dt.date, end: dt.date) -> Any:
    src = FIELD_SOURCES[key]
    if src.app and not _installed(src.app):
        return None
    if len(_cache) > 64:
        _cache.clear()
    with registry.batch(_cache):
        return src.fn(region, start, end)


def compute_list(key: str, region: Region, start: dt.date, end: dt.date) -> list[list]:
    src = LIST_SOURCES[key]
    if src.app and not _installed(src.app):
        return []
    return src.fn(region, start, end)


def clear_cache() -> None:
    _cache.clear()


# ------------------------------------------------------------------ requests (gongzhi.cases.figures)

from_figure("cases.requests", "cases.requests", "count")
for _key in case_figures.RATES:
    from_figure(f"cases.{_key}", f"cases.{_key}", "rate")
from_figure("cases.median_hours_to_resolution", "cases.median_hours_to_resolution", "hours")
for _key in ("overdue_open", "bypasses", "bypasses_unfiled", "mediations", "mediation_agreements", "pushdowns"):
    from_figure(f"cases.{_key}", f"cases.{_key}", "count")


# ------------------------------------------------------------------ alliances, volunteers, the common pool
# (their figures are defined by the apps owning the records: alliances/, volunteers/, resources/figures.py)

for _key in (
    "alliances.active",
    "alliances.meetings_held",
    "alliances.meetings_missing",
    "alliances.tasks_completed",
    "volunteers.records",
    "volunteers.active",
):
    from_figure(_key, _key, "count")
from_figure("volunteers.hours", "volunteers.hours", "hours", present=float)
for _key in ("resources_active", "resources_idle", "needs_open", "needs_closed"):
    from_figure(f"pool.{_key}", f"resources.{_key}", "count")


# ------------------------------------------------------------------ the burden meter itself


def _items(region, start, end):
    from .models import DemandItem

    return DemandItem.objects.filter(region__path__startswith=region.path, on__gte=start, on__lt=end)


@field("burden.minutes", "基层工作要求总分钟", "minutes", "burden")
def _burden_minutes(region, start, end):
    """Estimated minutes of work that demands (from above and from the platform) ask of the region's grid workers and units in the period."""
    return int(_items(region, start, end).aggregate(m=Sum("minutes"))["m"] or 0)


@field("burden.report_items", "上级报表填报次数", "count", "burden")
def _burden_reports(region, start, end):
    """Report and form items demanded from above in the period."""
    return _items(region, start, end).filter(demand__origin="higher", demand__kind__in=["report", "form"]).count()


@field("burden.minutes_saved", "穿透审计节省分钟", "minutes", "burden")
def _burden_saved(region, start, end):
    """Minutes saved by the penetrating audit: full minutes minus the minutes left after merging or striking demands from above."""
    from django.db.models import ExpressionWrapper, IntegerField

    return int(
        _items(region, start, end)
        .filter(demand__origin="higher")
        .aggregate(
            m=Sum(ExpressionWrapper(F("demand__full_minutes") - F("demand__minutes"), output_field=IntegerField()))
        )["m"]
        or 0
    )


@field("burden.hidden_assessments", "疑似隐形考核", "count", "burden")
def _burden_hidden(region, start, end):
    """Demands issued in the period that the penetrating audit flags as hidden assessment (隐形考核)."""
    from .models import Demand

    return Demand.objects.filter(
        region__path__startswith=region.path, hidden_assessment=True, issued_on__gte=start, issued_on__lt=end
    ).count()


# ------------------------------------------------------------------ problem lists (八张问题清单)


def _fmt(t) -> str:
    return timezone.localtime(t).strftime("%Y-%m-%d %H:%M") if t else ""


@listing(
    "cases.overdue_requests",
    "超期未办结诉求清单",
    ("编号", "社区/村", "类别", "承办单位", "截止时间", "超期(天)"),
    "cases",
)
def _list_overdue(region, start, end):
    at = _aware(end)
    qs = (
        case_figures.overdue_qs(region, end)
        .select_related("region", "category", "handling_unit")
        .order_by("due_at")[:500]
    )
    return [
        [
            r.number,
            r.region.name,
            r.category.name if r.category_id else "",
            r.handling_unit.name if r.handling_unit_id else "",
            _fmt(r.due_at),
            round((at - r.due_at).total_seconds() / 86400, 1),
        ]
        for r in qs
    ]


@listing(
    "cases.unfiled_bypasses",
    "紧急处置逾期未备案清单",
    ("编号", "网格", "类别", "处置时间", "备案期限", "备案时间"),
    "cases",
)
def _list_unfiled(region, start, end):
    qs = case_figures.unfiled_qs(region, end).select_related("grid", "category").order_by("filing_due")[:500]
    return [
        [b.pk, b.grid.name, b.category.name, _fmt(b.acted_at), _fmt(b.filing_due), _fmt(b.filed_at) or "未备案"]
        for b in qs
    ]


@listing("cases.unsatisfied", "不满意诉求清单", ("编号", "社区/村", "类别", "承办单位", "提交时间"), "cases")
def _list_unsatisfied(region, start, end):
    from gongzhi.cases.models import ServiceRequest

    qs = (
        ServiceRequest.objects.filter(
            region__path__startswith=region.path,
            rating="unsatisfied",
            created_at__gte=_aware(start),
            created_at__lt=_aware(end),
        )
        .select_related("region", "category", "handling_unit")
        .order_by("created_at")[:500]
    )
    return [
        [
            r.number,
            r.region.name,
            r.category.name if r.category_id else "",
            r.handling_unit.name if r.handling_unit_id else "",
            _fmt(r.created_at),
        ]
        for r in qs
    ]


@listing("cases.reopened", "重办诉求清单", ("编号", "社区/村", "类别", "重办时间", "原因"), "cases")
def _list_reopened(region, start, end):
    from gongzhi.cases.models import Transition

    qs = (
        Transition.objects.filter(
            action="reopen", request__region__path__startswith=region.path, at__gte=_aware(start), at__lt=_aware(end)
        )
        .select_related("request__region", "request__category")
        .order_by("at")[:500]
    )
    return [
        [
            t.request.number,
            t.request.region.name,
            t.request.category.name if t.request.category_id else "",
            _fmt(t.at),
            t.reason,
        ]
        for t in qs
    ]


@listing("cases.late_reports", "吹哨后未按时报到清单", ("诉求", "部门", "报到期限", "报到时间"), "cases")
def _list_late_summons(region, start, end):
    from gongzhi.cases.models import Summons

    qs = (
        Summons.objects.filter(
            whistle__request__region__path__startswith=region.path, ack_due__gte=_aware(start), ack_due__lt=_aware(end)
        )
        .filter(Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gt=F("ack_due")))
        .select_related("whistle__request", "department")
        .order_by("ack_due")[:500]
    )
    return [
        [s.whistle.request.number, s.department.name, _fmt(s.ack_due), _fmt(s.acknowledged_at) or "未报到"] for s in qs
    ]


@listing(
    "alliances.behind_1142", "1142会议落后的联合体清单", ("编号", "联合体", "应开未开", "最早应开日期"), "alliances"
)
def _list_behind(region, start, end):
    from django.db.models import Min

    from gongzhi.alliances.figures import missing_meetings

    rows = (
        missing_meetings(region, end)
        .values("alliance__code", "alliance__name")
        .annotate(n=Count("id"), first=Min("due_on"))
        .order_by("-n", "alliance__code")[:500]
    )
    return [[r["alliance__code"], r["alliance__name"], r["n"], r["first"].isoformat()] for r in rows]


@listing("pool.idle_resources", "闲置资源清单", ("资源", "所有单位", "类别", "数量", "登记时间"), "resources")
def _list_idle(region, start, end):
    from gongzhi.resources.figures import idle_qs

    qs = idle_qs(region, end).select_related("owner").order_by("created_at", "id")[:500]
    return [[r.name, r.owner.name, r.get_kind_display(), r.quantity, _fmt(r.created_at)] for r in qs]


@listing("burden.overloaded_workers", "超负荷网格员清单", ("工作人员", "所在单位", "周", "分钟"), "burden")
def _list_overloaded(region, start, end):
    from .meter import week_start

    per: dict = {}
    for wid, name, unit, on, minutes in (
        _items(region, start, end)
        .filter(worker__isnull=False)
        .values_list("worker_id", "worker__name", "unit__name", "on", "minutes")
    ):
        key = (wid, week_start(on))
        row = per.setdefault(key, [name, unit, week_start(on).isoformat(), 0])
        row[3] += minutes
    return sorted((r for r in per.values() if r[3] > OVERLOAD_MINUTES_PER_WEEK), key=lambda r: (-r[3], r[0]))[:500]
