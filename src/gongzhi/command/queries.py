"""What a command centre shows, read from the rollup tables and small tables only.

Nothing here reads the request or transition tables: the cost of a dashboard is bounded
by the number of communities × days (and grids, categories) in scope, not by history."""

from __future__ import annotations

import datetime as dt

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
    CategoryMonth,
    GridState,
    StreetCategoryMonth,
    StreetDay,
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


def day_table(region: Region):
    """City and district centres read the per-street tables; streets and communities the per-community ones."""
    return StreetDay if region.level in ("city", "district") else AreaDay


def month_table(region: Region):
    return StreetCategoryMonth if region.level in ("city", "district") else CategoryMonth


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


def _sums():
    return {f: Sum(f) for f in FIELDS}


def totals(region: Region, start: dt.date, end: dt.date) -> dict:
    s = day_table(region).objects.filter(area(region), day__gte=start, day__lte=end).aggregate(**_sums())
    return rates(s)


# ----------------------------------------------------------------- the fast path of the cases figures


def _period_sums(region: Region, start: dt.date, end: dt.date) -> dict:
    """The rollup counts of ``region`` over the days [start, end) (end exclusive, as the registry's periods)."""
    return registry.shared(
        ("command.sums", region.pk, start, end),
        lambda: day_table(region).objects.filter(area(region), day__gte=start, day__lt=end).aggregate(**_sums()),
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
    sums = {
        r[col]: r
        for r in day_table(region)
        .objects.filter(area(region), day__gte=start, day__lte=end)
        .values(col)
        .order_by(col)
        .annotate(**_sums())
    }
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
    rows = list(
        month_table(region)
        .objects.filter(area(region), month__gte=start.replace(day=1), month__lte=end)
        .values("category_id")
        .order_by("category_id")
        .annotate(n=Sum("arrived"), rated=Sum("rated"), satisfied=Sum("satisfied"))
    )
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
    rows = (
        month_table(region)
        .objects.filter(area(region), month__gte=start.replace(day=1), month__lte=end)
        .values("sla")
        .order_by("sla")
        .annotate(**_sums())
    )
    by = {r["sla"]: r for r in rows}
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


def figures(region: Region, start: dt.date | None = None, end: dt.date | None = None) -> dict:
    """Everything a centre shows as numbers (the API's answer)."""
    rollups.refresh_stale(area(region))
    start, end = period(start, end)
    return {
        "region": {"code": region.code, "name": region.name, "level": region.level},
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "totals": totals(region, start, end),
        "now": open_now(region),
        "children": children(region, start, end),
        "top_categories": top_categories(region, start, end),
        "sla": sla_performance(region, start, end),
        "hot_spots": hot_spots(region),
        "trend": trend(region, end),
        "alliances": alliance_ratings(region),
        "plans": plans(region, start, end),
        "burden": burden(region, start, end),
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
    from gongzhi.core.models import Event, OutboxCursor

    from .subscribers import NAME

    through = OutboxCursor.objects.filter(subscriber=NAME).values_list("through_seq", flat=True).first() or 0
    return (
        Event.objects.filter(seq__gt=through, type__startswith="cases.request.")
        .exclude(deliveries__subscriber=NAME)
        .order_by("seq")
        .values_list("occurred_at", flat=True)
        .first()
    )


def data_as_of() -> dt.datetime | None:
    """How fresh the figures read from the read replica are: the standby's replay time, or earlier when
    the rollups themselves still have events to take in. None without a replica (pages show nothing)."""
    from gongzhi.core import replica

    as_of = replica.data_as_of()
    if as_of is None:
        return None
    pending = rollups_current_until()
    return min(as_of, pending) if pending is not None else as_of
