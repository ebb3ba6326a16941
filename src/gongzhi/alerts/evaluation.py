"""Evaluation of the detectors on synthetic data with injected incidents (no Django).

Used by ``bench/bench_alerts.py`` (full size, the table in docs/alerts.md) and by
``tests/alerts/test_evaluation.py`` (small sizes).

Arrivals: ``S`` series × ``T`` days; each series has a level (log-normal), a weekly
pattern (a common shape with per-series jitter), a linear trend over the year (−30 %…+50 %),
an annual cycle for a third of the series, and negative-binomial noise (gamma–Poisson,
overdispersion ``phi``). Incidents add extra requests on 1–7 consecutive days to one series,
``size`` × the series' true mean per day (at least 3 extra per day). Metrics:

- an *alert* is a run of consecutive alarm days of one series (as the scan merges them);
  precision = alerts overlapping an incident / all alerts;
- recall = incidents with at least one alarm day inside them / incidents;
- false-alarm rate = series-weeks with ≥ 1 alarm / series-weeks, on the same data *without*
  injections (evaluated days only).

Repeated complaints: background requests uniform over square grids; incidents put 3–6
requests of one category within 30 m of a point over ≤ 10 days. Windows of 14 days every
7 days. SLA breaches: groups with their own breach rate; incidents make one group breach with
probability 0.7 for 7 days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import detect


@dataclass
class Incident:
    series: int
    start: int
    days: int
    extra: np.ndarray
    size: float = 0.0
    mean: float = 0.0  # the series' true mean per day during the incident


def synth_arrivals(S: int, T: int, *, phi: float = 0.3, seed: int = 0, mean_level: float = 1.0):
    """Incident-free counts (S, T) and the true means."""
    rng = np.random.default_rng(seed)
    level = mean_level * np.exp(rng.normal(-0.5, 1.0, S))
    shape = np.array([1.25, 1.1, 1.0, 1.0, 1.15, 0.75, 0.75])
    wk = shape[None, :] * np.exp(rng.normal(0, 0.15, (S, 7)))
    wk /= wk.mean(axis=1, keepdims=True)
    t = np.arange(T)
    trend = 1 + rng.uniform(-0.3, 0.5, S)[:, None] * t[None, :] / T
    annual = 1 + (rng.random(S) < 1 / 3)[:, None] * 0.5 * np.sin(
        2 * np.pi * (t[None, :] / 365 + rng.random(S)[:, None])
    )
    mu = level[:, None] * wk[:, t % 7] * trend * annual
    lam = rng.gamma(1 / phi, phi * mu) if phi > 0 else mu
    return rng.poisson(lam), mu


def inject_spikes(counts, mu, n: int, *, first_day: int, seed: int = 1, sizes=(1.0, 2.0, 4.0), durations=(1, 3, 7)):
    rng = np.random.default_rng(seed)
    S, T = counts.shape
    out = counts.copy()
    incidents = []
    used: set[int] = set()
    for _ in range(n):
        s = int(rng.integers(S))
        while s in used:
            s = int(rng.integers(S))
        used.add(s)
        d = int(rng.choice(durations))
        start = int(rng.integers(first_day, T - d))
        size = float(rng.choice(sizes))
        extra = np.maximum(3, rng.poisson(size * mu[s, start : start + d]))
        out[s, start : start + d] += extra
        incidents.append(Incident(s, start, d, extra, size, float(mu[s, start : start + d].mean())))
    return out, incidents


def _runs(alarms) -> list[tuple[int, int, int]]:
    """Alarms (series, day) or (series, first day, last day) → runs (series, first, last) of
    overlapping or adjacent days, as the scan merges them into one alert."""
    runs: list[list[int]] = []
    for al in sorted((a if len(a) == 3 else (a[0], a[1], a[1])) for a in alarms):
        s, f, d = al
        if runs and runs[-1][0] == s and f - runs[-1][2] <= 1:
            runs[-1][2] = max(runs[-1][2], d)
        else:
            runs.append([s, f, d])
    return [tuple(r) for r in runs]


def score_arrivals(alarms: list[tuple[int, int, int]], incidents: list[Incident]) -> dict:
    """``alarms`` are (series, first day, last day) of the window that alarmed."""
    by_series: dict[int, list[Incident]] = {}
    for inc in incidents:
        by_series.setdefault(inc.series, []).append(inc)
    runs = _runs(alarms)

    def overlaps(s, a, b):
        return any(a <= i.start + i.days - 1 and i.start <= b for i in by_series.get(s, []))

    tp_runs = sum(1 for s, a, b in runs if overlaps(s, a, b))
    hit = [any(s == i.series and f <= i.start + i.days - 1 and i.start <= d for s, f, d in runs) for i in incidents]
    by_size = {}
    for size in sorted({i.size for i in incidents}):
        sel = [h for h, i in zip(hit, incidents) if i.size == size]
        by_size[size] = sum(sel) / len(sel)
    return {
        "alerts": len(runs),
        "precision": tp_runs / len(runs) if runs else float("nan"),
        "recall": sum(hit) / len(incidents) if incidents else float("nan"),
        "recall_by_size": by_size,
    }


def false_alarm_rate(alarms: list[tuple[int, int]], S: int, first_day: int, T: int) -> float:
    weeks = (T - first_day) // 7
    hit = {(s, (d - first_day) // 7) for s, d in alarms if (d - first_day) // 7 < weeks}
    return len(hit) / (S * weeks)


def evaluate_arrivals(
    S: int = 2000,
    T: int = 365,
    n_incidents: int = 200,
    *,
    phi: float = 0.3,
    seed: int = 0,
    alphas=(1e-2, 1e-3, 1e-4),
    naive_ks=(3.0,),
    min_count: int = 3,
    weeks: int = 8,
    sizes=(1.0, 2.0, 4.0),
    durations=(1, 3, 7),
    windows=(1, 3, 7),
) -> list[dict]:
    clean, mu = synth_arrivals(S, T, phi=phi, seed=seed)
    first = 7 * weeks
    dirty, incidents = inject_spikes(
        clean, mu, n_incidents, first_day=first + 7, seed=seed + 1, sizes=sizes, durations=durations
    )
    rows = []
    base_clean = detect.seasonal_baseline(clean, weeks=weeks)
    base_dirty = detect.seasonal_baseline(dirty, weeks=weeks)
    for a in alphas:
        fa, _ = detect.arrival_anomalies(clean, alpha=a, min_count=min_count, baseline=base_clean, windows=windows)
        fd, _ = detect.arrival_anomalies(dirty, alpha=a, min_count=min_count, baseline=base_dirty, windows=windows)
        r = score_arrivals([(x.series, x.first, x.day) for x in fd], incidents)
        r.update(
            method=f"seasonal NB, windows {'/'.join(map(str, windows))} d, α={a:g}",
            far=false_alarm_rate([(x.series, x.day) for x in fa], S, first, T),
            phi=base_dirty.phi,
        )
        rows.append(r)
    for k in naive_ks:
        days = np.arange(first, T)
        fa = detect.naive_anomalies(clean, k=k, min_count=min_count, days=days)
        fd = detect.naive_anomalies(dirty, k=k, min_count=min_count, days=days)
        r = score_arrivals([(x.series, x.day, x.day) for x in fd], incidents)
        r.update(
            method=f"naive trailing 28-day mean + {k:g}σ",
            far=false_alarm_rate([(x.series, x.day) for x in fa], S, first, T),
            phi=float("nan"),
        )
        rows.append(r)
    return rows


# ----------------------------------------------------------------- repeated complaints

M_PER_DEG_LAT = 111_195.0


def evaluate_repeats(
    n_grids: int = 200,
    T: int = 365,
    n_incidents: int = 60,
    *,
    rate: float = 0.3,
    seed: int = 0,
    radius_m: float = 50.0,
    window: int = 14,
    alphas=(1e-2, 1e-3, 1e-4),
    min_count: int = 3,
) -> list[dict]:
    """Background: per grid (500 m squares) ``rate``·lognormal requests/day of 5 categories, uniform
    in the square. Incidents: 3–6 requests of one category within 30 m over ≤ 10 days."""
    rng = np.random.default_rng(seed)
    side = 500.0
    lat0 = 39.9
    m_per_deg_lon = M_PER_DEG_LAT * np.cos(np.radians(lat0))
    g_rate = rate * np.exp(rng.normal(0, 0.7, n_grids))
    n_bg = rng.poisson(g_rate * T)
    grid = np.repeat(np.arange(n_grids), n_bg)
    gx, gy = (grid % 20) * side, (grid // 20) * side
    x = gx + rng.uniform(0, side, grid.size)
    y = gy + rng.uniform(0, side, grid.size)
    day = rng.integers(0, T, grid.size)
    cat = rng.integers(0, 5, grid.size)
    inc_of = np.full(grid.size, -1)
    incs = []
    for k in range(n_incidents):
        g = int(rng.integers(n_grids))
        n = int(rng.integers(3, 7))
        cx, cy = (g % 20) * side + rng.uniform(50, side - 50), (g // 20) * side + rng.uniform(50, side - 50)
        r = 30 * np.sqrt(rng.random(n))
        th = rng.uniform(0, 2 * np.pi, n)
        d0 = int(rng.integers(window + 60, T - 10))
        c = int(rng.integers(5))
        grid = np.concatenate([grid, np.full(n, g)])
        x = np.concatenate([x, cx + r * np.cos(th)])
        y = np.concatenate([y, cy + r * np.sin(th)])
        day = np.concatenate([day, d0 + rng.integers(0, 10, n)])
        cat = np.concatenate([cat, np.full(n, c)])
        inc_of = np.concatenate([inc_of, np.full(n, k)])
        incs.append((g, c, d0))
    lon = 116.3 + x / m_per_deg_lon
    lat = lat0 + y / M_PER_DEG_LAT
    area = side * side
    rows = []
    for a in alphas:
        found: set[int] = set()
        tp = fp = 0
        seen_fp: set[tuple] = set()
        for end in range(window + 56, T, 7):
            win = (day > end - window) & (day <= end)
            hist = (day > end - window - 56) & (day <= end - window)
            idx = np.nonzero(win)[0]
            hc = np.zeros((n_grids, 5))
            np.add.at(hc, (grid[hist], cat[hist]), 1)
            dens = np.maximum(hc[grid[idx], cat[idx]], 0.5) / 56 / area
            for cl in detect.repeat_clusters(
                lon[idx], lat[idx], cat[idx], radius_m=radius_m, min_count=min_count, days=window, density=dens, alpha=a
            ):
                mem = idx[cl.members]
                incs_in = set(inc_of[mem][inc_of[mem] >= 0].tolist())
                if incs_in:
                    new = incs_in - found
                    found |= incs_in
                    tp += 1 if new else 0
                else:
                    key = (int(grid[mem[0]]), int(cl.group), round(cl.lon, 4), round(cl.lat, 4))
                    if key not in seen_fp:
                        seen_fp.add(key)
                        fp += 1
        n_weeks = len(range(window + 56, T, 7))
        rows.append(
            {
                "method": f"DBSCAN {radius_m:.0f} m / {window} d, α={a:g}",
                "alerts": tp + fp,
                "precision": tp / (tp + fp) if tp + fp else float("nan"),
                "recall": len(found) / n_incidents,
                "far": fp / (n_grids * 5 * n_weeks),
            }
        )
    return rows


# ----------------------------------------------------------------- SLA breach clusters


def evaluate_sla(
    G: int = 300,
    T: int = 365,
    n_incidents: int = 60,
    *,
    per_day: float = 0.4,
    seed: int = 0,
    alphas=(1e-2, 1e-3, 1e-4),
    window: int = 7,
    min_count: int = 3,
) -> list[dict]:
    """Groups (unit × category × street) with ``per_day``·lognormal requests due per day and their
    own breach rate (Beta, mean ≈ 0.1). Incidents: one group breaches with probability 0.7 for
    ``window`` days."""
    rng = np.random.default_rng(seed)
    g_rate = per_day * np.exp(rng.normal(0, 0.6, G))
    n = rng.poisson(g_rate * T)
    group = np.repeat(np.arange(G), n)
    due = rng.integers(0, T, group.size)
    p = rng.beta(2, 18, G)
    breached = rng.random(group.size) < p[group]
    clean_breached = breached.copy()
    incs = []
    for _ in range(n_incidents):
        g = int(rng.integers(G))
        d0 = int(rng.integers(70, T - window))
        incs.append((g, d0, d0 + window - 1))
        m = (group == g) & (due >= d0) & (due < d0 + window)
        breached = breached | (m & (rng.random(group.size) < 0.7))
    rows = []
    for a in alphas:
        alerts_dirty: list[tuple[int, int]] = []
        alerts_clean: list[tuple[int, int]] = []
        for day in range(70, T):
            alerts_dirty += [
                (c.group, day)
                for c in detect.breach_clusters(
                    group, due, breached, day=day, window=window, alpha=a, min_count=min_count
                )
            ]
            alerts_clean += [
                (c.group, day)
                for c in detect.breach_clusters(
                    group, due, clean_breached, day=day, window=window, alpha=a, min_count=min_count
                )
            ]
        # consecutive days of one group are one alert (the scan extends the open alert)
        runs = _runs(alerts_dirty)
        tp = sum(1 for g, s, e in runs if any(g == ig and s <= ie + window and e >= i0 for ig, i0, ie in incs))
        found = sum(1 for ig, i0, ie in incs if any(g == ig and s <= ie + window - 1 and e >= i0 for g, s, e in runs))
        weeks = (T - 70) // 7
        far = len({(g, (d - 70) // 7) for g, d in alerts_clean if (d - 70) // 7 < weeks}) / (G * weeks)
        rows.append(
            {
                "method": f"binomial vs group rate, {window}-day window, α={a:g}",
                "alerts": len(runs),
                "precision": tp / len(runs) if runs else float("nan"),
                "recall": found / len(incs),
                "far": far,
            }
        )
    return rows
