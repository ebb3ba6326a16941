"""Measures: the named figures indicator formulas may use, each computed from operational records.

:func:`measure` computes every measure for a set of target regions (streets and communities below a
root) over a period, in a few grouped queries: rows are read once with their region path and added to
every target whose path is a prefix of it.  Each value is a dict
``{"value", "num", "den", "source"}``; ``source`` names the records behind it (``kind`` and ``subset``)
so the drill-down page can list them (:mod:`gongzhi.assessment.records`).

Sources: requests and their transitions (:mod:`gongzhi.cases.figures`), persons, grids, households and
units (org), alliances' 1142 meetings and activities, whistles' summonses, tasks
(:func:`gongzhi.plans.figures.task_figures`), confirmed volunteer service, emergency bypasses, push-downs
below the responsibility list (``pushdowns``, lower is better).

Every measure is a figure of the one registry (:mod:`gongzhi.core.figures`), named by
``Measure.figure``: the request measures are the ``cases.*`` figures (defined once in
:mod:`gongzhi.cases.figures`; :func:`measure` evaluates them in bulk with ``cases.figures.compute``),
the task rate is ``plans.task_on_time_rate``, and the others are defined here and registered as
``assessment.<name>`` (computed by :func:`measure` for the one region).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.utils import timezone
from shapely import STRtree
from shapely.geometry import Point

from gongzhi.cases import figures as case_figures
from gongzhi.cases.models import Bypass, Channel, PushDown, ServiceRequest, Summons
from gongzhi.core import figures as registry
from gongzhi.core.models import Region
from gongzhi.org.kinds import HOUSEHOLD_KINDS, UnitKind
from gongzhi.org.models import Grid, Household, Person, Unit


@dataclass(frozen=True)
class Measure:
    label: str
    source: str  # kind of records behind it (see records.py)
    subset: str = ""  # which of those records (numerator), for the drill-down
    unit: str = ""
    figure: str = ""  # its name in the one registry (core.figures), set below


# The catalogue of measures formulas may name.  Rates are fractions in [0, 1].
MEASURES: dict[str, Measure] = {
    # requests (cases.figures definitions)
    "requests": Measure("诉求件数", "requests", "", "件"),
    "response_rate": Measure("响应率", "requests", "dispatched"),
    "resolution_rate": Measure("解决率", "requests", "rated"),
    "satisfaction_rate": Measure("满意率", "requests", "rated"),
    "on_time_rate": Measure("按时办结率", "requests", "resolved"),
    "return_rate": Measure("回退率", "requests", "dispatched"),
    "reopen_rate": Measure("重办率", "requests", "resolved"),
    "whistle_rate": Measure("吹哨率", "requests", "whistled"),
    "median_hours_to_resolution": Measure("办结时长中位数", "requests", "resolved", "小时"),
    "median_hours_to_dispatch": Measure("派单时长中位数", "requests", "dispatched", "小时"),
    "requests_per_1k": Measure("每千人年诉求量", "requests", "", "件/千人·年"),
    "category_diversity": Measure("诉求类别多样性(归一化香农熵)", "requests", "categories"),
    "platform_share": Measure("平台渠道受理占比", "requests", "platform"),
    "active_grid_share": Measure("有诉求网格占比(平台活跃度)", "grids", "active"),
    # population and grids (org)
    "population": Measure("登记人口", "persons", "", "人"),
    "mobile_share": Measure("流动人口占比", "persons", "mobile"),
    "area_km2": Measure("网格面积", "grids", "", "平方公里"),
    "population_density": Measure("人口密度", "grids", "", "人/平方公里"),
    "service_distance_m": Measure("网格到最近服务点距离(按户加权)", "grids", "distance", "米"),
    "service_coverage": Measure("服务点覆盖率(按户)", "grids", "covered"),
    "party_grid_share": Measure("建有功能型网格党组织的网格占比", "grids", "party_org"),
    "grid_cobuild_share": Measure("有共建单位的网格占比", "grids", "co_built"),
    # alliances
    "alliances": Measure("党建联合体数", "alliances", "", "个"),
    "meetings_1142_kept": Measure("1142会议按规定召开率", "meetings", "held"),
    "activities_per_alliance": Measure("每个联合体年均联建活动", "activities", "", "次/个·年"),
    "alliance_unit_share": Measure("加入党建联合体的单位占比", "units", "in_alliance"),
    # whistles, tasks, volunteers
    "whistle_ack_rate": Measure("吹哨部门按时报到率", "summonses", "acknowledged"),
    "task_on_time_rate": Measure("任务按时完成率", "tasks", "done_on_time"),
    "volunteer_hours_per_1k": Measure("每千人年志愿服务时长", "volunteer_records", "", "小时/千人·年"),
    # emergency bypasses (负面清单与容错)
    "bypasses": Measure("紧急先行处置", "bypasses", "", "件"),
    "bypass_exempt": Measure("按时事后备案(免责)", "bypasses", "exempt", "件"),
    "bypass_penalised": Measure("未备案或逾期备案(扣分)", "bypasses", "penalised", "件"),
    "bypass_filed_rate": Measure("事后备案及时率", "bypasses", "exempt"),
    # push-downs below the responsibility list (向基层转嫁责任, seeds 001 and 002): lower is better
    "pushdowns": Measure("向基层转嫁事项", "pushdowns", "", "件"),
}

# measures that are figures defined by the app owning their records
OWNED = {
    **{
        n: f"cases.{n}"
        for n in ("requests", *case_figures.RATES, "median_hours_to_resolution", "median_hours_to_dispatch")
    },
    "task_on_time_rate": "plans.task_on_time_rate",
    "bypasses": "cases.bypasses",
    "pushdowns": "cases.pushdowns",
}
MEASURES = {
    name: Measure(m.label, m.source, m.subset, m.unit, OWNED.get(name, f"assessment.{name}"))
    for name, m in MEASURES.items()
}

PLATFORM_CHANNELS = (Channel.WEB, Channel.GRID, Channel.API, Channel.OPEN311)
SERVICE_POINT_KINDS = (
    UnitKind.SCHOOL,
    UnitKind.HOSPITAL,
    UnitKind.GOVERNMENT,
    UnitKind.RESIDENTS_COMMITTEE,
    UnitKind.VILLAGERS_COMMITTEE,
    UnitKind.SOCIAL_ORG,
)
EARTH_RADIUS_M = 6_371_008.8


@dataclass
class Period:
    label: str
    start: dt.date  # first day
    end: dt.date  # last day (inclusive)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def start_dt(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    def end_dt(self) -> dt.datetime:  # exclusive
        return timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min))


def _ratio(num, den, scale: float = 1.0) -> dict:
    return {"value": (num / den * scale) if den else None, "num": num, "den": den}


class _Targets:
    def __init__(self, regions: list[Region]):
        self.by_path = {r.path: r for r in regions}
        self.by_code = {r.code: r for r in regions}
        self._cache: dict[str, list[str]] = {}

    def of(self, path: str) -> list[str]:
        """Target paths containing ``path`` (itself included)."""
        out = self._cache.get(path)
        if out is None:
            out, acc = [], "/"
            for part in path.strip("/").split("/"):
                acc += part + "/"
                if acc in self.by_path:
                    out.append(acc)
            self._cache[path] = out
        return out


def project(lons, lats, lat0: float):
    """Local equirectangular projection to metres around latitude ``lat0`` (error < 0.1 % within a district)."""
    k = math.cos(math.radians(lat0))
    return [(math.radians(lo) * EARTH_RADIUS_M * k, math.radians(la) * EARTH_RADIUS_M) for lo, la in zip(lons, lats)]


def measure(root: Region, targets: list[Region], period: Period, params: dict) -> dict[str, dict[str, dict]]:
    """All measures for each target (by region code)."""
    T = _Targets(targets)
    out: dict[str, dict[str, dict]] = {r.code: {} for r in targets}
    today = timezone.localdate()
    start, end = period.start_dt(), period.end_dt()
    years = period.days / 365.0

    def put(path_or_code: str, name: str, d: dict):
        code = T.by_path[path_or_code].code if path_or_code in T.by_path else path_or_code
        m = MEASURES[name]
        d = dict(d)
        d["source"] = {"kind": m.source, "subset": m.subset}
        out[code][name] = d

    # ---- requests: the cases figures per community and per street
    levels = {r.level for r in targets}
    for level in ("community", "street"):
        if level not in levels:
            continue
        rows = {row["key"]: row for row in case_figures.compute(level, start=start, end=end, within=root)}
        for r in targets:
            if r.level != level:
                continue
            row = rows.get(r.code)
            put(
                r.code,
                "requests",
                {"value": row["requests"] if row else 0, "num": row["requests"] if row else 0, "den": None},
            )
            for rate in case_figures.RATES:
                put(r.code, rate, row[rate] if row else {"value": None, "num": 0, "den": 0})
            for med in ("median_hours_to_resolution", "median_hours_to_dispatch"):
                put(r.code, med, {"value": row[med] if row else None, "num": None, "den": None})

    # ---- request attributes: categories, channels, grids with requests
    cats: dict[str, Counter] = defaultdict(Counter)
    platform: Counter = Counter()
    total: Counter = Counter()
    active_grids: dict[str, set] = defaultdict(set)
    all_cats: set = set()
    qs = ServiceRequest.objects.exclude(state__in=case_figures.EXCLUDED).filter(
        created_at__gte=start, created_at__lt=end, region__path__startswith=root.path
    )
    for path, cat, channel, grid_id in qs.values_list("region__path", "category__code", "channel", "grid_id").iterator(
        chunk_size=5000
    ):
        all_cats.add(cat)
        for p in T.of(path):
            cats[p][cat] += 1
            total[p] += 1
            active_grids[p].add(grid_id)
            if channel in PLATFORM_CHANNELS:
                platform[p] += 1
    k = max(len(all_cats), 2)
    for p in T.by_path:
        c = cats.get(p)
        if c:
            n = sum(c.values())
            h = -sum((v / n) * math.log(v / n) for v in c.values())
            put(p, "category_diversity", {"value": h / math.log(k), "num": len(c), "den": k})
        else:
            put(p, "category_diversity", {"value": None, "num": 0, "den": k})
        put(p, "platform_share", _ratio(platform[p], total[p]))

    # ---- persons
    persons: Counter = Counter()
    mobile: Counter = Counter()
    for path, n, mob in (
        Person.objects.filter(region__path__startswith=root.path)
        .values("region__path")
        .annotate(n=Count("id"), mob=Count("id", filter=Q(is_mobile=True)))
        .values_list("region__path", "n", "mob")
    ):
        for p in T.of(path):
            persons[p] += n
            mobile[p] += mob
    for p in T.by_path:
        put(p, "population", {"value": persons[p], "num": persons[p], "den": None})
        put(p, "mobile_share", _ratio(mobile[p], persons[p]))
        put(
            p,
            "requests_per_1k",
            {
                "value": (total[p] / persons[p] * 1000 / years) if persons[p] else None,
                "num": total[p],
                "den": persons[p],
            },
        )

    # ---- grids: area, density, party organisations, co-builders, distance to service points
    grids = list(
        Grid.objects.filter(region__path__startswith=root.path).values_list(
            "id", "region__path", "area_m2", "centroid_lon", "centroid_lat", "party_org_id"
        )
    )
    cobuilt = set(
        Grid.co_builders.through.objects.filter(grid_id__in=[g[0] for g in grids]).values_list("grid_id", flat=True)
    )
    households = dict(
        Household.objects.filter(grid_id__in=[g[0] for g in grids])
        .values("grid_id")
        .annotate(n=Count("id"))
        .values_list("grid_id", "n")
    )
    district = root.ancestor_at("district") or root
    points = list(
        Unit.objects.filter(
            region__path__startswith=district.path, kind__in=SERVICE_POINT_KINDS, lon__isnull=False, lat__isnull=False
        )
        .exclude(status=Unit.Status.DISSOLVED)
        .values_list("lon", "lat")
    )
    dist: dict[int, float | None] = {}
    if grids and points:
        lat0 = sum(g[4] for g in grids) / len(grids)
        tree_pts = [Point(xy) for xy in project([p[0] for p in points], [p[1] for p in points], lat0)]
        tree = STRtree(tree_pts)
        centroids = [Point(xy) for xy in project([g[3] for g in grids], [g[4] for g in grids], lat0)]
        idx = tree.nearest(centroids)
        for g, c, i in zip(grids, centroids, idx):
            dist[g[0]] = c.distance(tree_pts[int(i)])
    radius = float(params.get("coverage_radius_m", 1500))
    agg = defaultdict(
        lambda: {"grids": 0, "area": 0.0, "party": 0, "co": 0, "active": 0, "w": 0, "wd": 0.0, "covered": 0}
    )
    for gid, path, area, _lo, _la, party in grids:
        w = households.get(gid, 0)
        for p in T.of(path):
            a = agg[p]
            a["grids"] += 1
            a["area"] += area or 0
            a["party"] += 1 if party else 0
            a["co"] += 1 if gid in cobuilt else 0
            a["active"] += 1 if gid in active_grids.get(p, ()) else 0
            if dist.get(gid) is not None:
                a["w"] += w
                a["wd"] += w * dist[gid]
                a["covered"] += w if dist[gid] <= radius else 0
    for p in T.by_path:
        a = agg[p]
        km2 = a["area"] / 1e6
        put(p, "area_km2", {"value": km2 if a["grids"] else None, "num": a["grids"], "den": None})
        put(
            p,
            "population_density",
            {"value": persons[p] / km2 if km2 else None, "num": persons[p], "den": round(km2, 4)},
        )
        put(p, "party_grid_share", _ratio(a["party"], a["grids"]))
        put(p, "grid_cobuild_share", _ratio(a["co"], a["grids"]))
        put(p, "active_grid_share", _ratio(a["active"], a["grids"]))
        put(p, "service_distance_m", {"value": a["wd"] / a["w"] if a["w"] else None, "num": None, "den": a["w"]})
        put(p, "service_coverage", _ratio(a["covered"], a["w"]))

    # ---- alliances: 1142 meetings due in the period (and already due), activities, member units
    from gongzhi.alliances.models import Activity, Alliance, AllianceMember, Meeting

    alliances = dict(
        Alliance.objects.filter(status=Alliance.Status.ESTABLISHED, region__path__startswith=root.path).values_list(
            "id", "region__path"
        )
    )
    n_all: Counter = Counter()
    for path in alliances.values():
        for p in T.of(path):
            n_all[p] += 1
    due_until = min(period.end, today)
    due: Counter = Counter()
    held: Counter = Counter()
    for aid, held_on in Meeting.objects.filter(
        alliance_id__in=list(alliances), required=True, due_on__gte=period.start, due_on__lte=due_until
    ).values_list("alliance_id", "held_on"):
        for p in T.of(alliances[aid]):
            due[p] += 1
            held[p] += 1 if held_on is not None else 0
    acts: Counter = Counter()
    for aid, n in (
        Activity.objects.filter(alliance_id__in=list(alliances), held_on__gte=period.start, held_on__lte=period.end)
        .values("alliance_id")
        .annotate(n=Count("id"))
        .values_list("alliance_id", "n")
    ):
        for p in T.of(alliances[aid]):
            acts[p] += n
    in_alliance = set(
        AllianceMember.objects.filter(
            alliance__status=Alliance.Status.ESTABLISHED, joined_on__isnull=False, joined_on__lte=period.end
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=period.start))
        .exclude(status__in=[AllianceMember.Status.PENDING, AllianceMember.Status.DECLINED])
        .values_list("unit_id", flat=True)
    )
    units: Counter = Counter()
    units_in: Counter = Counter()
    for uid, path in (
        Unit.objects.filter(region__path__startswith=root.path)
        .exclude(kind__in=HOUSEHOLD_KINDS)
        .exclude(status=Unit.Status.DISSOLVED)
        .values_list("id", "region__path")
    ):
        for p in T.of(path):
            units[p] += 1
            units_in[p] += 1 if uid in in_alliance else 0
    for p in T.by_path:
        put(p, "alliances", {"value": n_all[p], "num": n_all[p], "den": None})
        put(p, "meetings_1142_kept", _ratio(held[p], due[p]))
        put(
            p,
            "activities_per_alliance",
            {"value": acts[p] / n_all[p] / years if n_all[p] else None, "num": acts[p], "den": n_all[p]},
        )
        put(p, "alliance_unit_share", _ratio(units_in[p], units[p]))

    # ---- whistles: summoned departments acknowledging (报到) by the deadline
    s_all: Counter = Counter()
    s_ok: Counter = Counter()
    for path, ack, ack_due in Summons.objects.filter(
        whistle__request__region__path__startswith=root.path, whistle__blown_at__gte=start, whistle__blown_at__lt=end
    ).values_list("whistle__request__region__path", "acknowledged_at", "ack_due"):
        for p in T.of(path):
            s_all[p] += 1
            s_ok[p] += 1 if ack is not None and ack <= ack_due else 0
    for p in T.by_path:
        put(p, "whistle_ack_rate", _ratio(s_ok[p], s_all[p]))

    # ---- tasks (plans): on-time rate per target
    from gongzhi.plans import figures as plan_figures

    for r in targets:
        f = plan_figures.task_figures(r, period.start, period.end)
        dues = plan_figures.task_records(r, period.start, period.end, "due").count()
        put(r.code, "task_on_time_rate", {"value": f["on_time_rate"], "num": f["done_on_time"], "den": dues})

    # ---- volunteers: confirmed service hours
    from gongzhi.volunteers.models import ServiceRecord

    hours: dict[str, float] = defaultdict(float)
    for path, h in (
        ServiceRecord.objects.filter(
            status=ServiceRecord.Status.CONFIRMED,
            region__path__startswith=root.path,
            date__gte=period.start,
            date__lte=period.end,
        )
        .values("region__path")
        .annotate(h=Sum("hours"))
        .values_list("region__path", "h")
    ):
        for p in T.of(path):
            hours[p] += float(h or 0)
    for p in T.by_path:
        put(
            p,
            "volunteer_hours_per_1k",
            {
                "value": hours[p] / persons[p] * 1000 / years if persons[p] else None,
                "num": round(hours[p], 2),
                "den": persons[p],
            },
        )

    # ---- emergency bypasses: filed in time = exempt; filed late or not filed after the window = penalised
    now = timezone.now()
    bp = {p: Counter() for p in T.by_path}
    for path, filed, filing_due in Bypass.objects.filter(
        region__path__startswith=root.path, acted_at__gte=start, acted_at__lt=end
    ).values_list("region__path", "filed_at", "filing_due"):
        state = bypass_state(filed, filing_due, now)
        for p in T.of(path):
            bp[p]["all"] += 1
            bp[p][state] += 1
    for p in T.by_path:
        c = bp[p]
        pen = c["late"] + c["unfiled"]
        put(p, "bypasses", {"value": c["all"], "num": c["all"], "den": None})
        put(p, "bypass_exempt", {"value": c["exempt"], "num": c["exempt"], "den": c["all"]})
        put(
            p,
            "bypass_penalised",
            {
                "value": pen,
                "num": pen,
                "den": c["all"],
                "late": c["late"],
                "unfiled": c["unfiled"],
                "pending": c["pending"],
            },
        )
        put(p, "bypass_filed_rate", _ratio(c["exempt"], c["exempt"] + pen))

    # ---- push-downs that took effect (consented to or approved), by the request's place (cases.pushdowns)
    pd: Counter[str] = Counter()
    for path in PushDown.objects.filter(
        region__path__startswith=root.path,
        requested_at__gte=start,
        requested_at__lt=end,
        status__in=[PushDown.Status.CONSENTED, PushDown.Status.APPROVED],
    ).values_list("region__path", flat=True):
        for p in T.of(path):
            pd[p] += 1
    for p in T.by_path:
        put(p, "pushdowns", {"value": pd[p], "num": pd[p], "den": None})
    return out


def bypass_state(filed_at, filing_due, now) -> str:
    """exempt: filed within the window; late: filed after it; unfiled: window passed, nothing filed;
    pending: window still open."""
    if filed_at is not None:
        return "exempt" if filed_at <= filing_due else "late"
    return "unfiled" if filing_due < now else "pending"


# ------------------------------------------------------------------ registered figures (assessment.*)


def _register() -> None:
    for name, m in MEASURES.items():
        if not m.figure.startswith("assessment."):
            continue

        def compute(
            region: Region, start: dt.date, end: dt.date, _name: str = name, _ratio: bool = m.unit == ""
        ) -> dict | float | None:
            """Computed by :func:`measure` for this one region over the days [start, end)."""
            period = Period("", start, end - dt.timedelta(days=1))
            values = registry.shared(
                ("assessment.measures", region.pk, start, end), lambda: measure(region, [region], period, {})
            )
            d = dict(values[region.code][_name])
            d.pop("source", None)
            return d if _ratio else d.get("value")

        compute.__qualname__ = f"measure_{name}"
        registry.register(m.figure, compute, label=m.label, unit="rate" if m.unit == "" else m.unit)


_register()
