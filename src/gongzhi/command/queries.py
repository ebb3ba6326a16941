"""What a command centre shows, read from the rollup tables and small tables only.

Nothing here reads the request or transition tables. A sum over a date range is decomposed
(:func:`decompose`): whole years are read from the year tables, whole months from the month tables and
only the ragged ends from the day tables, so the rows a range reads are bounded (at most 2 × 30 days,
2 × 11 months and the years, per area in scope) whatever the length of the range and of history."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from typing import Any, cast

from django.core.cache import cache
from django.db import connection
from django.db.models import Q, Sum
from django.utils import timezone

from gongzhi.cases import figures as case_figures
from gongzhi.core import figures as registry
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.models import Region
from gongzhi.org import permissions
from gongzhi.org.models import Grid, MatterCategory

from . import perms, rollups
from .models import (
    COUNTS,
    SUMS,
    AreaDay,
    AreaMonth,
    AreaYear,
    CategoryMonth,
    CategoryYear,
    GridState,
    StreetCategoryMonth,
    StreetCategoryYear,
    StreetDay,
    StreetMonth,
    StreetYear,
)

FIELDS = COUNTS + SUMS
PERIOD_DAYS = 30
TREND_DAYS = 90
CHILD_COLUMN = {"city": "district_id", "district": "street_id", "street": "region_id"}
SLA_LABELS = {
    "emergency": "紧急(2小时)",
    "utilities": "水电气热(24小时)",
    "general": "一般(7个工作日)",
    "complex": "复杂(15个工作日)",
}


def centre_for(user) -> Region | None:
    """The centre a user lands on: the widest region where they may view a centre."""
    paths = permissions.scope_paths(user, perms.VIEW)
    if paths is None:
        return Region.objects.filter(parent__isnull=True).order_by("code").first()
    if not paths:
        return None
    return Region.objects.filter(path=min(paths, key=len)).first()


def region_for(user, code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound(f"区域代码{code}不存在", field="region")
    if not permissions.allowed(user, perms.VIEW, region):
        raise Forbidden(f"无权查看指挥中心：{region.name}不在您的管辖范围内", field="region")
    return region


def area(region: Region) -> Q:
    return rollups._area_q(region)


# How a range is read: "grains" (years, months and ragged days, the default) or "days" (the day tables
# only, and the category tables by month only: the read path before the month and year grains). Only
# bench/bench_command.py sets "days", to measure the old path against the new one in the same run.
READ_PATH = "grains"

Ranges = dict[str, list[tuple[dt.date, dt.date]]]

# the table of each grain: (per-street, per-community); the period column is named after the grain
AREA_TABLES = {"day": (StreetDay, AreaDay), "month": (StreetMonth, AreaMonth), "year": (StreetYear, AreaYear)}
CATEGORY_TABLES = {"month": (StreetCategoryMonth, CategoryMonth), "year": (StreetCategoryYear, CategoryYear)}


def _per_street(region: Region) -> bool:
    """City and district centres read the per-street tables; streets and communities the per-community ones."""
    return region.level in ("city", "district")


def day_table(region: Region) -> Any:
    return AREA_TABLES["day"][0 if _per_street(region) else 1]


def month_table(region: Region) -> Any:
    return CATEGORY_TABLES["month"][0 if _per_street(region) else 1]


def _month_end(d: dt.date) -> dt.date:
    nxt = (d.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def decompose(start: dt.date, end: dt.date) -> dict[str, list[tuple[dt.date, dt.date]]]:
    """The days [start, end] (inclusive) as whole years, whole months and ragged days.

    Returns ``{"year": [...], "month": [...], "day": [...]}``, each a list of inclusive ranges of the
    grain's period keys (1 January of a year, the first day of a month, a day): at most one range of
    years, two of months (before and after the years) and two of days (the ends)."""
    out: dict[str, list[tuple[dt.date, dt.date]]] = {"year": [], "month": [], "day": []}

    def add(grain: str, a: dt.date, b: dt.date) -> None:
        ranges = out[grain]
        if ranges and _next(grain, ranges[-1][1]) == a:
            ranges[-1] = (ranges[-1][0], b)
        else:
            ranges.append((a, b))

    d = start
    while d <= end:
        if d.month == 1 and d.day == 1 and dt.date(d.year, 12, 31) <= end:
            add("year", d, d)
            d = dt.date(d.year + 1, 1, 1)
        elif d.day == 1 and _month_end(d) <= end:
            add("month", d, d)
            d = _month_end(d) + dt.timedelta(days=1)
        else:
            last = min(_month_end(d), end)
            add("day", d, last)
            d = last + dt.timedelta(days=1)
    return out


def _next(grain: str, key: dt.date) -> dt.date:
    if grain == "year":
        return dt.date(key.year + 1, 1, 1)
    if grain == "month":
        return _month_end(key) + dt.timedelta(days=1)
    return key + dt.timedelta(days=1)


def _pieces(tables: dict, region: Region, ranges: Ranges) -> Iterator[tuple[Any, Q]]:
    """(table, filter) for every grain with ranges: the rows of ``region`` in those periods."""
    col = 0 if _per_street(region) else 1
    for grain, spans in ranges.items():
        if not spans:
            continue
        q = Q()
        for a, b in spans:
            q |= Q(**{f"{grain}__gte": a, f"{grain}__lte": b})
        yield tables[grain][col], area(region) & q


def area_ranges(start: dt.date, end: dt.date) -> dict[str, list[tuple[dt.date, dt.date]]]:
    if READ_PATH == "days":
        return {"day": [(start, end)]}
    return decompose(start, end)


def category_ranges(start: dt.date, end: dt.date) -> dict[str, list[tuple[dt.date, dt.date]]]:
    """The category tables hold months: a range reads the whole months it touches (as always), the whole
    years among them from the year tables."""
    first, last = start.replace(day=1), end.replace(day=1)
    if READ_PATH == "days":
        return {"month": [(first, last)]}
    return {k: v for k, v in decompose(first, _month_end(last)).items() if k != "day"}


def _add(into: dict, row: dict, fields: tuple[str, ...]) -> None:
    for f in fields:
        v = row.get(f)
        if v is not None:
            into[f] = v if into.get(f) is None else into[f] + v


def range_sums(
    region: Region, start: dt.date, end: dt.date, group: str | None = None, fields: Iterable[str] | None = None
) -> dict:
    """The summed counts of ``region`` over the days [start, end]: one dict, or per value of ``group``."""
    fields = tuple(fields or FIELDS)
    return _summed(AREA_TABLES, region, area_ranges(start, end), group, fields)


def category_sums(region: Region, start: dt.date, end: dt.date, group: str, fields: Iterable[str]) -> dict:
    return _summed(CATEGORY_TABLES, region, category_ranges(start, end), group, tuple(fields))


def _summed(tables: dict, region: Region, ranges: Ranges, group: str | None, fields: tuple[str, ...]) -> dict:
    sums = {f: Sum(f) for f in fields}
    if group is None:
        total: dict = dict.fromkeys(fields)
        for model, q in _pieces(tables, region, ranges):
            _add(total, model.objects.filter(q).aggregate(**sums), fields)
        return total
    out: dict = {}
    for model, q in _pieces(tables, region, ranges):
        for row in model.objects.filter(q).values(group).order_by(group).annotate(**sums):
            _add(out.setdefault(row[group], dict.fromkeys(fields)), row, fields)
    return out


def period(start: dt.date | None = None, end: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """[start, end] inclusive; by default the 30 days up to the last day with data (or today)."""
    if end is None:
        end = min(rollups.latest_day() or timezone.localdate(), timezone.localdate())
    if start is None:
        start = end - dt.timedelta(days=PERIOD_DAYS - 1)
    if start > end:
        start, end = end, start
    return start, end


def rates(s: dict) -> dict:
    """The figures of cases.figures (its one definition of each rate) from summed counts."""

    def g(k):
        return s.get(k) or 0

    return {
        **case_figures.rates(s),
        **case_figures.means(s),
        "resolved": int(g("resolved")),
        "overdue_resolved": int(g("overdue")),
        "closed": int(g("closed")),
    }


def totals(region: Region, start: dt.date, end: dt.date) -> dict:
    return rates(range_sums(region, start, end))


# ----------------------------------------------------------------- the fast path of the cases figures


def _period_sums(region: Region, start: dt.date, end: dt.date) -> dict:
    """The rollup counts of ``region`` over the days [start, end) (end exclusive, as the registry's periods)."""
    return registry.shared(
        ("command.sums", region.pk, start, end),
        lambda: range_sums(region, start, end - dt.timedelta(days=1)),
    )


def _register_fast_paths() -> None:
    """Every cases figure the rollup tables can answer is registered with its rollup evaluator."""
    for name in ("requests", *case_figures.RATES, "mean_hours_to_dispatch", "mean_hours_to_resolution"):

        def fast(region: Region, start: dt.date, end: dt.date, _name: str = name) -> dict | float | None:
            return rates(_period_sums(region, start, end))[_name]

        fast.__qualname__ = f"rollup_{name}"
        registry.fast_path(f"cases.{name}")(fast)


_register_fast_paths()


def trend(region: Region, end: dt.date, days: int = TREND_DAYS) -> list[dict]:
    start = end - dt.timedelta(days=days - 1)
    rows = {
        r["day"]: r
        for r in day_table(region)
        .objects.filter(area(region), day__gte=start, day__lte=end)
        .values("day")
        .order_by("day")
        .annotate(**{f: Sum(f) for f in ("arrived", "resolved", "rated", "satisfied", "on_time")})
    }
    out = []
    for i in range(days):
        d = start + dt.timedelta(days=i)
        r = rows.get(d, {})
        out.append(
            {
                "day": d.isoformat(),
                "arrived": r.get("arrived") or 0,
                "resolved": r.get("resolved") or 0,
                "satisfaction": case_figures.rates(r)["satisfaction_rate"]["value"],
            }
        )
    return out


def children(region: Region, start: dt.date, end: dt.date) -> list[dict]:
    """Figures per child region (district, street or community) for drill-down."""
    col = CHILD_COLUMN.get(region.level)
    if col is None:
        return []
    sums = range_sums(region, start, end, group=col)
    states = {
        r[col]: r
        for r in GridState.objects.filter(area(region))
        .values(col)
        .order_by(col)
        .annotate(open=Sum("open"), overdue=Sum("overdue"))
    }
    out = []
    for child in Region.objects.filter(parent=region).order_by("code"):
        row = {"code": child.code, "name": child.name, "level": child.level, **rates(sums.get(child.pk, {}))}
        st = states.get(child.pk, {})
        row["open"], row["overdue"] = st.get("open") or 0, st.get("overdue") or 0
        out.append(row)
    return out


def top_categories(region: Region, start: dt.date, end: dt.date, limit: int = 10) -> list[dict]:
    by = category_sums(region, start, end, "category_id", ("arrived", "rated", "satisfied"))
    rows = [
        {"category_id": k, "n": v["arrived"], "rated": v["rated"], "satisfied": v["satisfied"]} for k, v in by.items()
    ]
    rows.sort(key=lambda r: (r["category_id"] is None, r["category_id"] or 0))
    rows.sort(key=lambda r: -(r["n"] or 0))
    rows = [r for r in rows if r["n"]][:limit]
    names = {c.pk: (c.code, c.name) for c in MatterCategory.objects.filter(pk__in=[r["category_id"] for r in rows])}
    return [
        {
            "code": names.get(r["category_id"], ("", ""))[0],
            "name": names.get(r["category_id"], ("", "未分类"))[1],
            "requests": r["n"],
            "satisfaction_rate": case_figures.rates(r)["satisfaction_rate"],
        }
        for r in rows
    ]


def sla_performance(region: Region, start: dt.date, end: dt.date) -> list[dict]:
    by = category_sums(region, start, end, "sla", FIELDS)
    return [{"sla": k, "label": label, **rates(by.get(k, {}))} for k, label in SLA_LABELS.items()]


def hot_spots(region: Region, limit: int = 10) -> list[dict]:
    rows = list(
        GridState.objects.filter(area(region), open__gt=0)
        .order_by("-overdue", "-open", "grid_id")
        .values("grid_id", "open", "overdue")[:limit]
    )
    grids = {g.pk: g for g in Grid.objects.filter(pk__in=[r["grid_id"] for r in rows]).select_related("region")}
    return [
        {
            "code": grids[r["grid_id"]].code,
            "name": grids[r["grid_id"]].name,
            "community": grids[r["grid_id"]].region.name,
            "open": r["open"],
            "overdue": r["overdue"],
        }
        for r in rows
        if r["grid_id"] in grids
    ]


def open_now(region: Region) -> dict:
    s = GridState.objects.filter(area(region)).aggregate(open=Sum("open"), overdue=Sum("overdue"))
    return {"open": s["open"] or 0, "overdue": s["overdue"] or 0}


def alliance_ratings(region: Region, limit: int = 10) -> dict:
    from gongzhi.alliances.models import Alliance, YearReview

    reviews = (
        YearReview.objects.filter(alliance__region__path__startswith=region.path, alliance_stars__isnull=False)
        .select_related("alliance")
        .order_by("-year", "-alliance_score")[:limit]
    )
    out = [
        {
            "code": r.alliance.code,
            "name": r.alliance.name,
            "year": r.year,
            "stars": r.alliance_stars,
            "score": r.alliance_score,
        }
        for r in reviews
    ]
    active = Alliance.objects.filter(region__path__startswith=region.path, status=Alliance.Status.ESTABLISHED).count()
    return {"rated": out, "active": active}


def plans(region: Region, start: dt.date, end: dt.date) -> dict | None:
    from gongzhi.plans.figures import task_figures

    try:
        return task_figures(region, start, end)
    except Exception:  # noqa: BLE001  # a module still being built must not take the centre down
        return None


def burden(region: Region, start: dt.date, end: dt.date) -> dict | None:
    from gongzhi.burden import figures as bf

    fn = getattr(bf, "summary", None) or getattr(bf, "region_figures", None)
    if fn is None:
        return None
    try:
        return fn(region, start, end)
    except Exception:  # noqa: BLE001
        return None


def pushdowns(region: Region, start: dt.date, end: dt.date) -> dict:
    """Matters pushed down below the responsibility list, per street (seeds 001, 002: 防止向基层转嫁责任);
    the one definition is :func:`gongzhi.cases.figures.pushdowns_by_street`. ``end`` is inclusive here."""
    rows = case_figures.pushdowns_by_street(region, start, end + dt.timedelta(days=1))
    return {
        "took_effect": sum(r["took_effect"] for r in rows),
        "pending": sum(r["pending"] for r in rows),
        "streets": [r for r in rows if r["asked"]],
    }


def alerts(user, region: Region, limit: int = 20) -> list:
    from gongzhi.alerts.queries import open_alerts

    try:
        return list(open_alerts(user, region=region, limit=limit))
    except Exception:  # noqa: BLE001
        return []


def incidents(user, region: Region) -> list:
    from gongzhi.incidents.queries import active_incidents

    try:
        return list(active_incidents(user, region=region))
    except Exception:  # noqa: BLE001
        return []


# The rollup figures of a centre are cached under the rollups' state (:func:`rollup_state`): an entry is
# never stale, the time only bounds how long an unused one stays. 0: no cache (the bench measures both).
FIGURES_CACHE_SECONDS = 600


def rollup_state() -> str:
    """A value that changes whenever a rollup row does: every change of the rollups (``rollups.apply``,
    ``rebuild``) deletes and inserts the day rows it touches, whose ids only grow (the month and year
    deltas come with them), and every recount of a grid stamps ``computed_at``."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT (SELECT MAX(id) FROM {AreaDay._meta.db_table}), (SELECT MAX(id) FROM {StreetDay._meta.db_table}),"
            f" (SELECT MAX(computed_at) FROM {GridState._meta.db_table})"
        )
        return ":".join(str(v) for v in cur.fetchone())


def rollup_figures(region: Region, start: dt.date, end: dt.date) -> dict:
    """The figures of the centre that come from the rollup tables (cached per rollup state)."""

    def compute() -> dict:
        return {
            "totals": totals(region, start, end),
            "now": open_now(region),
            "children": children(region, start, end),
            "top_categories": top_categories(region, start, end),
            "sla": sla_performance(region, start, end),
            "hot_spots": hot_spots(region),
            "trend": trend(region, end),
        }

    if not FIGURES_CACHE_SECONDS:
        return compute()
    state = hashlib.sha1(rollup_state().encode()).hexdigest()
    key = f"command.figures:{READ_PATH}:{region.pk}:{start}:{end}:{state}"
    return cast(dict, cache.get_or_set(key, compute, FIGURES_CACHE_SECONDS))


def figures(region: Region, start: dt.date | None = None, end: dt.date | None = None) -> dict:
    """Everything a centre shows as numbers (the API's answer)."""
    rollups.refresh_stale(area(region))
    start, end = period(start, end)
    return {
        "region": {"code": region.code, "name": region.name, "level": region.level},
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        **rollup_figures(region, start, end),
        "alliances": alliance_ratings(region),
        "plans": plans(region, start, end),
        "burden": burden(region, start, end),
        "pushdowns": pushdowns(region, start, end),
    }


def breadcrumbs(region: Region, top: Region | None) -> list[Region]:
    """From the user's own centre down to ``region``."""
    chain = []
    r = region
    while r is not None:
        chain.append(r)
        if top is not None and r.pk == top.pk:
            break
        r = r.parent
    return list(reversed(chain))


def rollups_current_until() -> dt.datetime | None:
    """When the oldest request event the rollups have not taken in yet happened (the rollups hold
    everything before it), or None when they are current."""
    from gongzhi.core.events import undelivered

    from .subscribers import NAME

    return undelivered(NAME).order_by("seq").values_list("occurred_at", flat=True).first()


def data_as_of() -> dt.datetime | None:
    """How fresh the figures read from the read replica are: the standby's replay time, or earlier when
    the rollups themselves still have events to take in. None without a replica (pages show nothing)."""
    from gongzhi.core import replica

    as_of = replica.data_as_of()
    if as_of is None:
        return None
    pending = rollups_current_until()
    return min(as_of, pending) if pending is not None else as_of


def mechanisms_summary(region: Region, limit: int = 5) -> dict:
    """The "885" mechanisms on a centre: sessions due in ``region``'s subtree, the latest held session of
    each mechanism with its outcome and the first of its ranking, and the open follow-ups."""
    from django.utils import timezone

    from .models import FollowUp, MechanismSession

    sessions = MechanismSession.objects.filter(region__path__startswith=region.path).select_related(
        "mechanism", "region"
    )
    latest: dict[int, MechanismSession] = {}
    for s in sessions.filter(status=MechanismSession.Status.HELD).order_by("-held_on", "-pk")[:200]:
        latest.setdefault(s.mechanism_id, s)
    today = timezone.localdate()
    fus = FollowUp.objects.filter(region__path__startswith=region.path, closed_on__isnull=True)
    return {
        "due": sessions.filter(status=MechanismSession.Status.DUE).count(),
        "missed": sessions.filter(status=MechanismSession.Status.MISSED).count(),
        "due_sessions": list(
            sessions.filter(status=MechanismSession.Status.DUE).order_by("scheduled_on", "pk")[:limit]
        ),
        "latest": [
            {
                "session": s,
                "mechanism": s.mechanism.name,
                "kind": s.mechanism.kind,
                "region": s.region.name,
                "period": s.period,
                "held_on": s.held_on,
                "outcome": s.outcome,
                "top": [r for r in s.ranking if r.get("rank")][:3],
                "decisions": s.decisions[:3],
            }
            for s in sorted(latest.values(), key=lambda s: s.mechanism.kind)
        ],
        "followups_open": fus.count(),
        "followups_overdue": fus.filter(due_on__lt=today).count(),
    }
