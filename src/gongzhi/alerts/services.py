"""Alert use cases: scan a region (the three detectors of :mod:`.detect` over the
requests), acknowledge, dismiss (reason required), resolve.

Deduplication: an alert has a ``key`` (kind + grid + category, or unit + category +
street); at most one alert per key is active (open or acknowledged, a partial unique
constraint). A scan that finds the same anomaly again extends the active alert
(window, observed, requests) instead of raising a new one; days and requests already
covered by a closed alert are not raised again (a dismissed key stays quiet for
``SUPPRESS_DAYS`` more days).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from gongzhi.cases.models import ServiceRequest, State
from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError, NotFound
from gongzhi.core.events import emit
from gongzhi.core.models import Region
from gongzhi.org import permissions as perm
from gongzhi.org.models import Grid, MatterCategory, Unit

from . import contracts, detect
from .models import ACTIVE, Alert, Kind, ScanRun, Status
from .perms import HANDLE, SCAN

# Detector settings (documented in docs/alerts.md).
WEEKS = 8  # baseline window of the arrivals detector
CALIBRATION_DAYS = 28  # evaluated days before the scanned ones (φ; surges explaining repeated complaints)
ALPHA = 1e-3  # upper-tail threshold, arrivals (chosen on the evaluation for ≈1 % false alarms per series-week)
MIN_COUNT = 3  # fewest requests on a day for an arrivals alert
REPEAT_RADIUS_M = 50.0
REPEAT_DAYS = 14
REPEAT_MIN = 3
REPEAT_ALPHA = 1e-3
SLA_WINDOW = 7
SLA_BASELINE_DAYS = 56
SLA_MIN = 3
SLA_ALPHA = 1e-3
SUPPRESS_DAYS = 7
CHART_DAYS = 42  # days of history shown before the anomaly
NOT_ARRIVALS = (State.CANCELLED,)
NO_SLA = (State.CANCELLED, State.MERGED, State.NOT_OURS)


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def visible(user):
    return perm.scope(user, Alert.objects.select_related("region", "grid", "category", "unit"))


def get_alert(user, pk) -> Alert:
    a = visible(user).filter(pk=pk).first()
    if a is None:
        raise NotFound("预警不存在或不在您的管辖范围内")
    return a


def can_handle(user, alert: Alert) -> bool:
    return perm.allowed(user, HANDLE, alert.region)


def can_scan(user, region=None) -> bool:
    return perm.allowed(user, SCAN, region)


# ----------------------------------------------------------------- status changes


def _change(actor, alert: Alert, *, to: str, version: int | None, reason: str = "") -> Alert:
    perm.require(actor, HANDLE, alert.region)
    allowed_from = {Status.ACKNOWLEDGED: {Status.OPEN}, Status.DISMISSED: set(ACTIVE), Status.RESOLVED: set(ACTIVE)}[to]
    if alert.status not in allowed_from:
        raise DomainError(
            f"预警当前为“{alert.get_status_display()}”，不能改为“{Status(to).label}”",
            field="status",
            code=CoreError.INVALID_STATE,
        )
    now = timezone.now()
    expected = alert.version if version is None else int(version)
    n = Alert.objects.filter(pk=alert.pk, version=expected, status=alert.status).update(
        status=to, status_reason=reason, status_by=_user(actor), status_at=now, updated_at=now, version=expected + 1
    )
    if n == 0:
        raise Conflict("预警已被他人更新，请刷新后重试", field="version")
    alert.refresh_from_db()
    emit(
        contracts.STATUS_EVENTS[to],
        aggregate_type="alert",
        aggregate_id=alert.pk,
        region=alert.region,
        actor=actor,
        payload={"kind": alert.kind, "key": alert.key, "reason": reason},
        public=False,
    )
    return alert


@transaction.atomic
def acknowledge(actor, alert: Alert, *, version: int | None = None, note: str = "") -> Alert:
    return _change(actor, alert, to=Status.ACKNOWLEDGED, version=version, reason=(note or "").strip())


@transaction.atomic
def dismiss(actor, alert: Alert, *, reason: str, version: int | None = None) -> Alert:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("排除预警须说明理由（如：已知的季节性变化、重复登记）", field="reason")
    return _change(actor, alert, to=Status.DISMISSED, version=version, reason=reason)


@transaction.atomic
def resolve(actor, alert: Alert, *, version: int | None = None, note: str = "") -> Alert:
    return _change(actor, alert, to=Status.RESOLVED, version=version, reason=(note or "").strip())


# ----------------------------------------------------------------- scan


@dataclass
class Finding:
    """One anomaly ready to become (or extend) an alert."""

    kind: str
    key: str
    region_id: int
    grid_id: int | None
    category_id: int | None
    unit_id: int | None
    days: list[dt.date]
    observed: int
    expected: float
    p_value: float
    baseline: tuple[dt.date, dt.date] | None
    request_ids: list[int]
    title: str
    explanation: str
    series: dict = field(default_factory=dict)


@dataclass
class ScanResult:
    run: ScanRun
    raised: list[Alert]
    updated: list[Alert]


def _local_day(ts) -> dt.date:
    return timezone.localtime(ts).date()


def _day_start(d: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(d, dt.time.min))


def _fmt_p(p: float) -> str:
    return "<1e-12" if p < 1e-12 else f"{p:.1e}"


def _span(days: list[dt.date]) -> str:
    a, b = min(days), max(days)
    return f"{a:%Y-%m-%d}" if a == b else f"{a:%Y-%m-%d}至{b:%Y-%m-%d}"


def _arrival_findings(
    region: Region, first: dt.date, last: dt.date, names, level: str = "grid"
) -> tuple[list[Finding], int, float, set[int]]:
    """Arrivals per grid × category (``level="grid"``) or per street × category (``"street"``)."""
    # the baseline window, and before the scanned days a calibration period (overdispersion, and the
    # surges whose requests the repeated-complaint detector leaves out)
    start = first - dt.timedelta(days=7 * WEEKS + CALIBRATION_DAYS)
    rows = list(
        ServiceRequest.objects.filter(
            region__path__startswith=region.path,
            created_at__gte=_day_start(start),
            created_at__lt=_day_start(last + dt.timedelta(days=1)),
            category__isnull=False,
        )
        .exclude(state__in=NOT_ARRIVALS)
        .values_list("id", "grid_id" if level == "grid" else "region__parent_id", "category_id", "created_at")
    )
    if not rows:
        return [], 0, 0.0, set()
    T = (last - start).days + 1
    keys: dict[tuple[int, int], int] = {}
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    s_idx, d_idx = [], []
    for rid, gid, cid, created in rows:
        s = keys.setdefault((gid, cid), len(keys))
        d = (_local_day(created) - start).days
        s_idx.append(s)
        d_idx.append(d)
        cells[(s, d)].append(rid)
    counts = np.zeros((len(keys), T))
    np.add.at(counts, (np.array(s_idx), np.array(d_idx)), 1)
    first_i = (first - start).days
    everything, base = detect.arrival_anomalies(counts, start.weekday(), alpha=ALPHA, min_count=MIN_COUNT, weeks=WEEKS)
    explained = {r for a in everything for d in range(a.first, a.day + 1) for r in cells.get((a.series, d), ())}
    found = [a for a in everything if a.day >= first_i]
    by_series: dict[int, list[detect.Anomaly]] = defaultdict(list)
    for a in found:
        by_series[a.series].append(a)
    inv = {v: k for k, v in keys.items()}
    upper = None
    out = []
    for s, anomalies in by_series.items():
        # overlapping or adjacent windows make one finding
        runs: list[list[detect.Anomaly]] = []
        for a in sorted(anomalies, key=lambda a: (a.first, a.day)):
            if runs and a.first - max(x.day for x in runs[-1]) <= 1:
                runs[-1].append(a)
            else:
                runs.append([a])
        gid, cid = inv[s]
        cat = names.category(cid)
        if level == "grid":
            grid = names.grid(gid)
            where, code, region_id, grid_id = f"网格{grid.code}“{grid.name}”", grid.code, grid.region_id, gid
            short = grid.name
        else:
            street = names.region(gid)
            where, code, region_id, grid_id = street.name, street.code, street.pk, None
            short = street.name
        if upper is None:
            upper = base.upper(0.975)
        for run in runs:
            f_i, l_i = min(a.first for a in run), max(a.day for a in run)
            days = [start + dt.timedelta(days=d) for d in range(f_i, l_i + 1)]
            obs = int(counts[s, f_i : l_i + 1].sum())
            exp = float(base.expected[s, f_i : l_i + 1].sum())
            p = min(a.p_value for a in run)
            b0, b1 = start + dt.timedelta(days=f_i - 7 * WEEKS), start + dt.timedelta(days=f_i - 1)
            lo, hi = max(base.first_day, f_i - CHART_DAYS), l_i
            series = {
                "days": [(start + dt.timedelta(days=int(d))).isoformat() for d in range(lo, hi + 1)],
                "observed": [int(v) for v in counts[s, lo : hi + 1]],
                "expected": [round(float(v), 3) for v in base.expected[s, lo : hi + 1]],
                "upper": [float(v) for v in upper[s, lo : hi + 1]],
                "flagged": [d.isoformat() for d in days],
            }
            rids = sorted(r for d in range(f_i, l_i + 1) for r in cells.get((s, d), ()))
            tests = "；".join(
                f"{start + dt.timedelta(days=a.day):%m-%d}"
                + ("当日" if a.span == 1 else f"及此前共{a.span}天")
                + f"观测{a.observed}件、期望{a.expected:.1f}件、p={_fmt_p(a.p_value)}"
                for a in run
            )
            expl = (
                f"{where}的“{cat.name}”类诉求在{_span(days)}共{obs}件，"
                f"按前{WEEKS}周（{b0:%Y-%m-%d}至{b1:%Y-%m-%d}）同星期水平与趋势推算的期望为{exp:.1f}件。"
                f"触发的检验：{tests}。模型：负二项分布，过度离散系数φ={base.phi:.2f}（由同一扫描中全部序列的"
                f"基线残差估计）；当日、近3天或近7天的诉求数出现不少于观测值的概率低于{ALPHA:g}÷3、"
                f"且件数不少于{MIN_COUNT}/{detect.MIN_COUNTS[3]}/{detect.MIN_COUNTS[7]}件时预警。"
            )
            out.append(
                Finding(
                    kind=Kind.ARRIVALS,
                    key=f"arrivals:{code}:{cat.code}",
                    region_id=region_id,
                    grid_id=grid_id,
                    category_id=cid,
                    unit_id=None,
                    days=days,
                    observed=obs,
                    expected=exp,
                    p_value=p,
                    baseline=(b0, b1),
                    request_ids=rids,
                    title=f"{short}“{cat.name}”诉求激增：{obs}件（期望{exp:.1f}件）",
                    explanation=expl,
                    series=series,
                )
            )
    return out, len(keys), base.phi, explained


def _repeat_findings(region: Region, first: dt.date, last: dt.date, names, explained: set[int]) -> list[Finding]:
    """Repeated complaints at one place; requests already explained by a surge (``explained``) are left out."""
    start = first - dt.timedelta(days=REPEAT_DAYS + 7 * WEEKS)
    rows = list(
        ServiceRequest.objects.filter(
            region__path__startswith=region.path,
            created_at__gte=_day_start(start),
            created_at__lt=_day_start(last + dt.timedelta(days=1)),
            category__isnull=False,
        )
        .exclude(state__in=NOT_ARRIVALS)
        .values_list("id", "grid_id", "category_id", "lon", "lat", "created_at")
    )
    rows = [r for r in rows if r[0] not in explained]
    if not rows:
        return []
    ids = np.array([r[0] for r in rows])
    grid = np.array([r[1] for r in rows])
    cat = np.array([r[2] for r in rows])
    lon = np.array([r[3] for r in rows], float)
    lat = np.array([r[4] for r in rows], float)
    day = np.array([(_local_day(r[5]) - start).days for r in rows])
    areas = names.grid_areas(set(grid.tolist()))
    # evaluate at weekly steps across the range, always including the last day
    n_days = (last - first).days + 1
    steps = sorted({(last - dt.timedelta(days=k)) for k in range(0, n_days, 7)})
    findings: dict[str, Finding] = {}
    for d_end in steps:
        e = (d_end - start).days
        win = (day > e - REPEAT_DAYS) & (day <= e)
        hist = (day > e - REPEAT_DAYS - 7 * WEEKS) & (day <= e - REPEAT_DAYS)
        if win.sum() < REPEAT_MIN:
            continue
        # background density: the (grid, category) rate over the baseline, spread over the grid's area
        hist_counts: dict[tuple[int, int], int] = defaultdict(int)
        for g, c in zip(grid[hist], cat[hist]):
            hist_counts[(int(g), int(c))] += 1
        w_idx = np.nonzero(win)[0]
        dens = np.array(
            [
                max(hist_counts[(int(grid[i]), int(cat[i]))], 0.5)
                / (7 * WEEKS)
                / max(areas.get(int(grid[i]), 1.0), 1.0)
                for i in w_idx
            ]
        )
        for c in detect.repeat_clusters(
            lon[w_idx],
            lat[w_idx],
            cat[w_idx],
            radius_m=REPEAT_RADIUS_M,
            min_count=REPEAT_MIN,
            days=REPEAT_DAYS,
            density=dens,
            alpha=REPEAT_ALPHA,
        ):
            mem = w_idx[c.members]
            gids, gcounts = np.unique(grid[mem], return_counts=True)
            gid = int(gids[np.argmax(gcounts)])
            g, k = names.grid(gid), names.category(int(c.group))
            key = f"repeat:{g.code}:{k.code}"
            days = sorted({start + dt.timedelta(days=int(x)) for x in day[mem]})
            rids = sorted(int(x) for x in ids[mem])
            f = findings.get(key)
            if f is not None:  # the same place in an overlapping window: one finding
                rids = sorted(set(f.request_ids) | set(rids))
                days = sorted(set(f.days) | set(days))
            p = min(c.p_value, f.p_value) if f else c.p_value
            exp = c.expected if f is None else max(f.expected, c.expected)
            expl = (
                f"{_span(days)}在网格{g.code}“{g.name}”约{REPEAT_RADIUS_M:.0f}米范围内（中心 {c.lon:.5f}, {c.lat:.5f}，"
                f"最远{c.radius_m:.0f}米）收到{len(rids)}件“{k.name}”诉求。按该网格此类诉求前{WEEKS}周的发生率"
                f"均匀分布于网格面积推算，{REPEAT_DAYS}天内此范围的期望为{c.expected:.2f}件；"
                f"泊松分布下不少于{c.observed}件的概率 p={_fmt_p(c.p_value)}，低于阈值{REPEAT_ALPHA:g}。"
                f"聚类：DBSCAN（半径{REPEAT_RADIUS_M:.0f}米，至少{REPEAT_MIN}件，按米计距离）。"
            )
            findings[key] = Finding(
                kind=Kind.REPEAT,
                key=key,
                region_id=g.region_id,
                grid_id=gid,
                category_id=k.pk,
                unit_id=None,
                days=days,
                observed=len(rids),
                expected=exp,
                p_value=p,
                baseline=(
                    start + dt.timedelta(days=e - REPEAT_DAYS - 7 * WEEKS + 1),
                    start + dt.timedelta(days=e - REPEAT_DAYS),
                ),
                request_ids=rids,
                title=f"{g.name}同一地点重复投诉“{k.name}”{len(rids)}件",
                explanation=expl,
                series={
                    "points": [[float(lon[i]), float(lat[i])] for i in mem],
                    "centre": [c.lon, c.lat],
                    "radius_m": REPEAT_RADIUS_M,
                },
            )
    return list(findings.values())


def _sla_findings(region: Region, first: dt.date, last: dt.date, at: dt.datetime, names) -> list[Finding]:
    start = first - dt.timedelta(days=SLA_WINDOW + SLA_BASELINE_DAYS)
    cutoff = min(at, _day_start(last + dt.timedelta(days=1)))
    rows = list(
        ServiceRequest.objects.filter(
            region__path__startswith=region.path,
            due_at__gte=_day_start(start),
            due_at__lt=cutoff,
            handling_unit__isnull=False,
            category__isnull=False,
        )
        .exclude(state__in=NO_SLA)
        .values_list("id", "handling_unit_id", "category_id", "region__parent_id", "due_at", "resolved_at")
    )
    if not rows:
        return []
    ids = np.array([r[0] for r in rows])
    groups = [(r[1], r[2], r[3]) for r in rows]
    gkey = {g: i for i, g in enumerate(sorted(set(groups)))}
    group = np.array([gkey[g] for g in groups])
    inv = {i: g for g, i in gkey.items()}
    due_day = np.array([(_local_day(r[4]) - start).days for r in rows])
    # breached: not resolved by the deadline (as far as the scan time knows)
    breached = np.array([r[5] is None or r[5] > r[4] for r in rows])
    findings: dict[str, Finding] = {}
    for k in range((first - start).days, (last - start).days + 1):
        for c in detect.breach_clusters(
            group,
            due_day,
            breached,
            day=k,
            window=SLA_WINDOW,
            baseline_days=SLA_BASELINE_DAYS,
            min_count=SLA_MIN,
            alpha=SLA_ALPHA,
        ):
            unit_id, cat_id, street_id = inv[int(c.group)]
            unit, cat, street = names.unit(unit_id), names.category(cat_id), names.region(street_id)
            key = f"sla:{unit.code}:{cat.code}:{street.code}"
            d_end = start + dt.timedelta(days=k)
            d_start = d_end - dt.timedelta(days=SLA_WINDOW - 1)
            rids = sorted(int(ids[i]) for i in c.members)
            f = findings.get(key)
            if f is not None and set(rids) <= set(f.request_ids):
                continue
            days = sorted(set(f.days if f else []) | {d_start, d_end})
            if f is not None:
                rids = sorted(set(rids) | set(f.request_ids))
            b1 = d_start - dt.timedelta(days=1)
            b0 = b1 - dt.timedelta(days=SLA_BASELINE_DAYS - 1)
            expl = (
                f"{unit.name}承办的{street.name}“{cat.name}”类诉求，{d_start:%Y-%m-%d}至{d_end:%Y-%m-%d}到期{c.due}件，"
                f"其中{c.observed}件未在时限内办结；按前{SLA_BASELINE_DAYS}天（{b0:%Y-%m-%d}至{b1:%Y-%m-%d}）的超时率"
                f"{c.rate:.1%}（本组历史与全部诉求合并估计）期望超时{c.expected:.1f}件；"
                f"二项分布下不少于{c.observed}件的概率 p={_fmt_p(c.p_value)}，低于阈值{SLA_ALPHA:g}。"
            )
            findings[key] = Finding(
                kind=Kind.SLA,
                key=key,
                region_id=street.pk,
                grid_id=None,
                category_id=cat.pk,
                unit_id=unit.pk,
                days=days,
                observed=len(rids),
                expected=c.expected if f is None else f.expected + c.expected,
                p_value=min(c.p_value, f.p_value) if f else c.p_value,
                baseline=(b0, b1),
                request_ids=rids,
                title=f"{unit.name}·{street.name}“{cat.name}”超时集中：{len(rids)}件",
                explanation=expl,
                series={"due": c.due, "breached": c.observed, "rate": c.rate},
            )
    return list(findings.values())


class _Names:
    """Lazy lookups of the rows named in explanations (one query per kind and scan)."""

    def __init__(self):
        self._g, self._c, self._u, self._r = {}, {}, {}, {}

    def _get(self, cache, model, pk, **kw):
        if pk not in cache:
            cache[pk] = (
                model.objects.only(*kw.get("only", ())).get(pk=pk) if kw.get("only") else model.objects.get(pk=pk)
            )
        return cache[pk]

    def grid(self, pk):
        return self._get(self._g, Grid, pk, only=("id", "code", "name", "region_id", "area_m2"))

    def grid_areas(self, pks) -> dict[int, float]:
        return dict(Grid.objects.filter(pk__in=pks).values_list("id", "area_m2"))

    def category(self, pk):
        return self._get(self._c, MatterCategory, pk)

    def unit(self, pk):
        return self._get(self._u, Unit, pk)

    def region(self, pk):
        return self._get(self._r, Region, pk)


def _apply(finding: Finding, at: dt.datetime, actor) -> tuple[Alert | None, bool]:
    """Create or extend the alert for a finding; returns (alert, created) or (None, False) when covered."""
    same = list(Alert.objects.filter(key=finding.key).order_by("-window_end"))
    active = next((a for a in same if a.status in ACTIVE), None)
    linked = set(
        Alert.requests.through.objects.filter(alert__key=finding.key).values_list("servicerequest_id", flat=True)
    )
    if finding.kind == Kind.ARRIVALS:
        covered_until = max(
            [
                a.window_end + dt.timedelta(days=SUPPRESS_DAYS if a.status == Status.DISMISSED else 0)
                for a in same
                if a.status not in ACTIVE
            ]
            + [dt.date.min]
        )
        if active is not None:
            covered_until = max(covered_until, active.window_end)
        keep = [i for i, d in enumerate(finding.days) if d > covered_until]
        if not keep:
            return None, False
        new_rids = [r for r in finding.request_ids if r not in linked]
    else:
        new_rids = [r for r in finding.request_ids if r not in linked]
        if not new_rids:
            return None, False
        if active is None and same:
            last_closed = same[0]
            quiet = last_closed.status == Status.DISMISSED and max(
                finding.days
            ) <= last_closed.window_end + dt.timedelta(days=SUPPRESS_DAYS)
            if quiet or len(new_rids) < (REPEAT_MIN if finding.kind == Kind.REPEAT else SLA_MIN):
                return None, False
    score = -math.log10(max(finding.p_value, 1e-300))
    sev = detect.severity(finding.p_value)
    if active is not None:
        if finding.kind == Kind.ARRIVALS:
            observed = active.observed + sum_new_observed(finding, active)
            expected = active.expected + sum_new_expected(finding, active)
            title = f"{finding.title.split('：')[0]}：{observed}件（期望{expected:.1f}件）"
        else:
            observed, expected, title = active.observed + len(new_rids), active.expected, finding.title
        n = Alert.objects.filter(pk=active.pk, version=active.version).update(
            window_end=max(active.window_end, max(finding.days)),
            observed=observed,
            expected=expected,
            p_value=min(active.p_value, finding.p_value),
            score=max(active.score, score),
            severity=max(active.severity, sev),
            explanation=finding.explanation,
            series=finding.series,
            title=title,
            updated_at=at,
            version=active.version + 1,
        )
        if n == 0:
            raise Conflict("预警在扫描时被他人更新，请重新扫描", field="version")
        active.refresh_from_db()
        active.requests.add(*new_rids)
        emit(
            contracts.UPDATED,
            aggregate_type="alert",
            aggregate_id=active.pk,
            region=active.region,
            actor=actor,
            payload={
                "kind": active.kind,
                "key": active.key,
                "observed": active.observed,
                "window_end": active.window_end.isoformat(),
                "added_requests": len(new_rids),
            },
            public=False,
        )
        return active, False
    observed, expected, rids = finding.observed, finding.expected, finding.request_ids
    days = finding.days
    if finding.kind == Kind.ARRIVALS and len(keep) < len(finding.days):  # part was covered by a closed alert
        days = [finding.days[i] for i in keep]
        kept = {d.isoformat() for d in days}
        ser = finding.series
        observed = sum(o for d, o in zip(ser["days"], ser["observed"]) if d in kept)
        expected = sum(e for d, e in zip(ser["days"], ser["expected"]) if d in kept)
        rids = new_rids
    alert = Alert(
        kind=finding.kind,
        key=finding.key,
        severity=sev,
        title=finding.title,
        region_id=finding.region_id,
        grid_id=finding.grid_id,
        category_id=finding.category_id,
        unit_id=finding.unit_id,
        window_start=min(days),
        window_end=max(days),
        baseline_start=finding.baseline[0] if finding.baseline else None,
        baseline_end=finding.baseline[1] if finding.baseline else None,
        expected=expected,
        observed=observed,
        p_value=finding.p_value,
        score=score,
        explanation=finding.explanation,
        series=finding.series,
        created_at=at,
        updated_at=at,
    )
    try:
        with transaction.atomic():
            alert.save()
    except IntegrityError:
        raise Conflict("同一预警正在被另一次扫描写入，请稍后重试", field="key") from None
    alert.requests.add(*rids)
    emit(
        contracts.RAISED,
        aggregate_type="alert",
        aggregate_id=alert.pk,
        region=alert.region,
        actor=actor,
        payload={
            "kind": alert.kind,
            "key": alert.key,
            "severity": alert.severity,
            "observed": alert.observed,
            "expected": round(alert.expected, 3),
            "p_value": alert.p_value,
            "window": [alert.window_start.isoformat(), alert.window_end.isoformat()],
        },
        public=False,
    )
    return alert, True


def sum_new_observed(f: Finding, active: Alert) -> int:
    series = f.series
    flagged = set(series.get("flagged", []))
    return sum(
        o
        for d, o in zip(series.get("days", []), series.get("observed", []))
        if d in flagged and dt.date.fromisoformat(d) > active.window_end
    )


def sum_new_expected(f: Finding, active: Alert) -> float:
    series = f.series
    flagged = set(series.get("flagged", []))
    return sum(
        e
        for d, e in zip(series.get("days", []), series.get("expected", []))
        if d in flagged and dt.date.fromisoformat(d) > active.window_end
    )


def root_region() -> Region:
    r = Region.objects.filter(parent__isnull=True).order_by("code").first()
    if r is None:
        raise NotFound("还没有任何区域")
    return r


@transaction.atomic
def scan(actor, region: Region | None = None, at: dt.datetime | None = None, *, days: int = 1) -> ScanResult:
    """Run the three detectors over ``region``'s subtree for the ``days`` complete days before
    ``at`` (default: now, i.e. yesterday), raising or extending alerts."""
    region = region or root_region()
    perm.require(actor, SCAN, region)
    if days < 1 or days > 400:
        raise DomainError("扫描天数应在1到400之间", field="days")
    at = at or timezone.now()
    t0 = time.perf_counter()
    last = _local_day(at) - dt.timedelta(days=1)
    first = last - dt.timedelta(days=days - 1)
    names = _Names()
    findings, n_series, phi, explained = _arrival_findings(region, first, last, names)
    if region.level != Region.Level.COMMUNITY:
        street_findings, n_street, _phi, _e = _arrival_findings(region, first, last, names, level="street")
        # a street surge that is mostly one grid's surge is that grid's alert, not a second one
        by_cat: dict[int, set[int]] = defaultdict(set)
        for f in findings:
            by_cat[f.category_id].update(f.request_ids)
        findings += [
            f for f in street_findings if len(set(f.request_ids) & by_cat[f.category_id]) * 2 < len(f.request_ids)
        ]
        n_series += n_street
    findings += _repeat_findings(region, first, last, names, explained)
    findings += _sla_findings(region, first, last, at, names)
    # oldest first, so a multi-day scan raises and then extends as a daily scan would
    findings.sort(key=lambda f: (min(f.days), f.key))
    raised, updated = [], []
    for f in findings:
        alert, created = _apply(f, at, actor)
        if alert is not None:
            (raised if created else updated).append(alert)
    run = ScanRun.objects.create(
        region=region,
        at=at,
        first_day=first,
        last_day=last,
        raised=len(raised),
        updated=len(updated),
        series=n_series,
        phi=phi,
        started_at=timezone.now(),
        seconds=time.perf_counter() - t0,
    )
    emit(
        contracts.SCANNED,
        aggregate_type="alert_scan",
        aggregate_id=run.pk,
        region=region,
        actor=actor,
        payload={
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
            "raised": len(raised),
            "updated": len(updated),
        },
        public=False,
    )
    return ScanResult(run=run, raised=raised, updated=updated)


def filter_alerts(qs, *, kind: str = "", status: str = "", region: Region | None = None):
    if kind:
        if kind not in Kind.values:
            raise DomainError(f"未知的预警类型：{kind}", field="kind")
        qs = qs.filter(kind=kind)
    if status == "active":
        qs = qs.filter(status__in=ACTIVE)
    elif status:
        if status not in Status.values:
            raise DomainError(f"未知的预警状态：{status}", field="status")
        qs = qs.filter(status=status)
    if region is not None:
        qs = qs.filter(Q(region__path__startswith=region.path))
    return qs
