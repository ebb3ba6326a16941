"""Early-warning detectors: pure functions over NumPy arrays, no Django.

Three detectors, each returning plain records that explain themselves
(expected, observed, p-value, the window and the baseline behind it):

1. :func:`arrival_anomalies` — daily arrivals per series (grid × category)
   against a seasonal baseline: the previous ``weeks`` weeks give a level, a
   day-of-week factor (the series' own, shrunk towards the pooled pattern of
   all series) and a linear trend; counts are negative binomial with an
   overdispersion estimated by moments from the baseline residuals of all
   series. A day alerts when the upper-tail probability P(Y ≥ y) is below
   ``alpha`` and y ≥ ``min_count``.
2. :func:`repeat_clusters` — repeated complaints about one place: DBSCAN
   (scikit-learn, on local metres) over the requests of the last ``days``
   days, never mixing categories; a cluster of ≥ ``min_count`` requests within
   ``radius_m`` metres is compared with the background density.
3. :func:`breach_clusters` — clusters of SLA breaches per group (unit ×
   category × street): breaches among the requests that fell due in the
   window against the group's breach rate over the baseline (shrunk towards
   the pooled rate), binomial upper tail.

:func:`naive_anomalies` is the comparison baseline of the evaluation: a fixed
3-sigma rule over a trailing mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

EARTH_RADIUS_M = 6_371_008.8


# ----------------------------------------------------------------- arrivals


@dataclass
class Baseline:
    """The seasonal baseline of every series on every day (arrays of shape (S, T))."""

    expected: np.ndarray
    phi: float  # NB overdispersion: Var = mu + phi * mu^2 (0 = Poisson)
    weeks: int
    first_day: int  # first day index with a full baseline window

    def upper(self, q: float = 0.975) -> np.ndarray:
        """The q-quantile band of the predictive distribution (for charts)."""
        return nb_ppf(q, self.expected, self.phi)


def _shift(a: np.ndarray, k: int) -> np.ndarray:
    """a shifted right by k days along the last axis (zeros before the start)."""
    out = np.zeros_like(a)
    if k < a.shape[-1]:
        out[..., k:] = a[..., : a.shape[-1] - k]
    return out


def seasonal_baseline(
    counts: np.ndarray,
    weekday0: int = 0,
    *,
    weeks: int = 8,
    prior_weeks: float = 4.0,
    trend_clip: tuple[float, float] = (0.67, 1.5),
    floor_events: float = 0.5,
) -> Baseline:
    """Expected count of each series on each day from the ``weeks`` weeks before it.

    ``counts`` is (S, T) (one row per series, one column per day); ``weekday0`` (the weekday of
    column 0) is informational: the weekday pattern comes from 7-day lags.  For day t with window days [t − 7·weeks, t − 1]:

    - level m = window mean per day;
    - day-of-week: the pooled factor f = (Σ_s same-weekday mean) / (Σ_s m) and the series'
      own same-weekday mean d, combined as (weeks·d + prior_weeks·f·m) / (weeks + prior_weeks);
    - trend g = fitted weekly total at the current week (least squares over the window's weekly
      totals) ÷ the mean weekly total, clipped to ``trend_clip``;
    - expected = max(dow · g, floor_events / window length).

    The overdispersion phi = max(0, Σ((y − μ)² − μ) / Σ μ²) over all series and evaluated days
    (method of moments for Var = μ + φμ²).
    """
    counts = np.asarray(counts, dtype=float)
    if counts.ndim == 1:
        counts = counts[None, :]
    S, T = counts.shape
    n = 7 * weeks
    cs = np.concatenate([np.zeros((S, 1)), np.cumsum(counts, axis=1)], axis=1)  # cs[:, t] = sum of days < t
    t_idx = np.arange(T)
    lo = np.clip(t_idx - n, 0, None)
    window = cs[:, t_idx] - cs[:, lo]
    m = window / n
    # OLS of the weekly totals W_k on x_k = -k (k = 1 the most recent week), evaluated at x = 0;
    # accumulated week by week (Σ xc_k = 0, so slope = Σ xc_k·W_k / Σ xc_k²).
    x = -np.arange(1, weeks + 1, dtype=float)
    xc = x - x.mean()
    same = np.zeros((S, T))
    sxw = np.zeros((S, T))
    for k in range(1, weeks + 1):
        same += _shift(counts, 7 * k)
        a = np.clip(t_idx - 7 * (k - 1), 0, None)
        b = np.clip(t_idx - 7 * k, 0, None)
        sxw += xc[k - 1] * (cs[:, a] - cs[:, b])
    d = same / weeks
    tot_m = m.sum(axis=0)
    f = np.divide(d.sum(axis=0), tot_m, out=np.ones(T), where=tot_m > 0)
    dow = (weeks * d + prior_weeks * f[None, :] * m) / (weeks + prior_weeks)
    wmean = window / weeks
    slope = sxw / (xc**2).sum()
    fitted = wmean + slope * (0 - x.mean())
    g = np.divide(fitted, wmean, out=np.ones_like(wmean), where=wmean > 0)
    g = np.clip(g, *trend_clip)
    expected = np.maximum(dow * g, floor_events / n)
    expected[:, :n] = np.nan
    phi = estimate_phi(counts[:, n:], expected[:, n:])
    return Baseline(expected=expected, phi=phi, weeks=weeks, first_day=n)


def estimate_phi(y: np.ndarray, mu: np.ndarray, trim: float = 1e-3, rounds: int = 3) -> float:
    """Moment estimate of the NB overdispersion φ (Var = μ + φμ²), ≥ 0.

    Cells that are extreme under the current fit (upper tail < ``trim``; the first round under
    a Poisson) are left out and φ re-estimated, a few rounds: the anomalies being looked for must
    not inflate φ and hide themselves, while the ordinary overdispersion stays in."""
    y, mu = np.asarray(y, float), np.asarray(mu, float)
    finite = np.isfinite(mu)
    safe_mu = np.where(finite, mu, 1.0)
    phi = 0.0
    above = finite & (y > safe_mu)
    ya, ma = y[above], safe_mu[above]
    for _ in range(max(1, rounds) if trim else 1):
        ok = finite
        if trim and ya.size:
            ok = finite.copy()
            ok[above] = nb_sf(ya, ma, phi) >= trim
        den = float((mu[ok] ** 2).sum())
        if den <= 0:
            return 0.0
        phi = max(0.0, float(((y[ok] - mu[ok]) ** 2 - mu[ok]).sum()) / den)
    return phi


def nb_sf(y: np.ndarray, mu: np.ndarray, phi: float) -> np.ndarray:
    """P(Y ≥ y) for Y ~ NB(mean μ, Var μ + φμ²) (Poisson when φ ≈ 0)."""
    y = np.asarray(y, float)
    mu = np.asarray(mu, float)
    if phi < 1e-9:
        return stats.poisson.sf(y - 1, mu)
    r = 1.0 / phi
    return stats.nbinom.sf(y - 1, r, r / (r + mu))


def nb_ppf(q: float, mu: np.ndarray, phi: float) -> np.ndarray:
    mu = np.asarray(mu, float)
    if phi < 1e-9:
        return stats.poisson.ppf(q, mu)
    r = 1.0 / phi
    return stats.nbinom.ppf(q, r, r / (r + mu))


@dataclass
class Anomaly:
    series: int
    day: int  # the last day of the tested window
    observed: int  # over the window
    expected: float  # over the window
    p_value: float
    window: tuple[int, int]  # baseline window [first day, last day] of the window's first day
    span: int = 1  # days summed: the window is [day - span + 1, day]

    @property
    def first(self) -> int:
        return self.day - self.span + 1


# The least count over a window of w days for an alarm, by w (sparse series need several events).
MIN_COUNTS = {1: 3, 3: 5, 7: 8}


def _rolling(a: np.ndarray, w: int) -> np.ndarray:
    """Sum over the last w days (the day included), NaN where the window is incomplete."""
    if w == 1:
        return a.astype(float, copy=True)
    c = np.concatenate([np.zeros((a.shape[0], 1)), np.cumsum(a, axis=1)], axis=1)
    out = np.full(a.shape, np.nan)
    out[:, w - 1 :] = c[:, w:] - c[:, :-w]
    return out


def arrival_anomalies(
    counts: np.ndarray,
    weekday0: int = 0,
    *,
    alpha: float = 1e-3,
    min_count: int = 3,
    weeks: int = 8,
    days: np.ndarray | None = None,
    baseline: Baseline | None = None,
    windows: tuple[int, ...] = (1, 3, 7),
) -> tuple[list[Anomaly], Baseline]:
    """Days where a series' count — on the day, or summed over the last 3 or 7 days — is
    improbably high under its seasonal baseline.

    For a window of w days the sum of the expected counts M and of their squares Q give the
    NB of the sum (mean M, overdispersion φ·Q/M², the moments of a sum of independent NB).
    A (series, day) alarms when, for some window, P(sum ≥ observed) < α / len(windows)
    (Bonferroni over the windows), the sum is at least ``MIN_COUNTS[w]`` (``min_count`` for one
    day) and — for w > 1 — the day itself is above its expectation (so a past spike does not keep
    alarming while it sits in the window). The most significant window is reported per day.
    ``days`` limits the evaluation to those day indices (default: every day with a full baseline).
    Returns the anomalies (sorted by day, then p-value) and the baseline used.
    """
    counts = np.asarray(counts, dtype=float)
    if counts.ndim == 1:
        counts = counts[None, :]
    base = baseline or seasonal_baseline(counts, weekday0, weeks=weeks)
    T = counts.shape[1]
    eval_mask = np.zeros(T, bool)
    if days is None:
        eval_mask[base.first_day :] = True
    else:
        d = np.asarray(days, dtype=int)
        eval_mask[d[(d >= base.first_day) & (d < T)]] = True
    if not eval_mask.any():
        return [], base
    a_w = alpha / len(windows)
    finite = np.isfinite(base.expected)
    mu_all = np.where(finite, base.expected, 0.0)
    best: dict[tuple[int, int], Anomaly] = {}
    n = 7 * base.weeks
    for w in windows:
        y = _rolling(counts, w)
        M = _rolling(mu_all, w)
        Q = _rolling(mu_all**2, w)
        M[~(_rolling(finite.astype(float), w) == w)] = np.nan  # every day of the window has a baseline
        need = min_count if w == 1 else max(min_count, MIN_COUNTS.get(w, min_count + w))
        cand = np.isfinite(M) & (y >= need) & (y > M) & eval_mask[None, :]
        if w > 1:
            cand &= counts > mu_all
        if not cand.any():
            continue
        s_idx, d_idx = np.nonzero(cand)
        m = M[s_idx, d_idx]
        phi_w = base.phi * Q[s_idx, d_idx] / m**2
        yy = y[s_idx, d_idx]
        if base.phi < 1e-9:
            p = stats.poisson.sf(yy - 1, m)
        else:
            r = 1.0 / phi_w
            p = stats.nbinom.sf(yy - 1, r, r / (r + m))
        for s, d, pv, o, e in zip(s_idx, d_idx, p, yy, m):
            if pv < a_w:
                key = (int(s), int(d))
                if key not in best or pv < best[key].p_value:
                    f = int(d) - w + 1
                    best[key] = Anomaly(int(s), int(d), int(o), float(e), float(pv), (f - n, f - 1), w)
    out = sorted(best.values(), key=lambda a: (a.day, a.p_value))
    return out, base


def naive_anomalies(
    counts: np.ndarray, *, window: int = 28, k: float = 3.0, min_count: int = 3, days: np.ndarray | None = None
) -> list[Anomaly]:
    """The naive rule: alert when y > trailing mean + k · trailing standard deviation (no season,
    no count model). Same ``min_count`` as the seasonal detector, for a fair comparison."""
    counts = np.asarray(counts, dtype=float)
    if counts.ndim == 1:
        counts = counts[None, :]
    S, T = counts.shape
    cs = np.concatenate([np.zeros((S, 1)), np.cumsum(counts, axis=1)], axis=1)
    cs2 = np.concatenate([np.zeros((S, 1)), np.cumsum(counts**2, axis=1)], axis=1)
    t = np.arange(T)
    lo = np.clip(t - window, 0, None)
    s1, s2 = cs[:, t] - cs[:, lo], cs2[:, t] - cs2[:, lo]
    mean = s1 / window
    sd = np.sqrt(np.maximum(s2 / window - mean**2, 0))
    hit = (counts > mean + k * sd) & (counts >= min_count)
    hit[:, :window] = False
    if days is not None:
        mask = np.zeros(T, bool)
        mask[np.asarray(days, int)] = True
        hit &= mask[None, :]
    return [
        Anomaly(int(s), int(d), int(counts[s, d]), float(mean[s, d]), float("nan"), (int(d - window), int(d - 1)))
        for s, d in zip(*np.nonzero(hit))
    ]


# ----------------------------------------------------------------- repeated complaints


@dataclass
class Cluster:
    members: np.ndarray  # indices into the input arrays
    lon: float
    lat: float
    radius_m: float  # the largest distance of a member from the centre
    observed: int
    expected: float
    p_value: float
    group: object = None
    extra: dict = field(default_factory=dict)


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def repeat_clusters(
    lon: np.ndarray,
    lat: np.ndarray,
    group: np.ndarray,
    *,
    radius_m: float = 50.0,
    min_count: int = 3,
    days: float = 14.0,
    density: np.ndarray | None = None,
    alpha: float = 1e-3,
) -> list[Cluster]:
    """Places with ≥ ``min_count`` requests of one group (category) within ``radius_m`` metres.

    The inputs are the requests of the window (the last ``days`` days). DBSCAN (eps = radius,
    scikit-learn) finds the clusters, never mixing groups. ``density`` (requests per m² per day of that
    group around each request, e.g. the grid's rate spread over its area) gives the expected
    count in a disc of ``radius_m`` over ``days`` days; a cluster is kept when its Poisson
    upper-tail probability is below ``alpha`` (without ``density`` every cluster is kept).
    """
    from sklearn.cluster import DBSCAN

    lon, lat, group = np.asarray(lon, float), np.asarray(lat, float), np.asarray(group)
    out: list[Cluster] = []
    if lon.size < min_count:
        return out
    # One DBSCAN for all groups: local equirectangular metres (within 0.1 % of the haversine
    # distance over a city at these radii) plus a third axis that puts each group far apart.
    lat0 = np.radians(lat.mean())
    x = np.radians(lon) * np.cos(lat0) * EARTH_RADIUS_M
    y = np.radians(lat) * EARTH_RADIUS_M
    _, gcode = np.unique(group, return_inverse=True)
    X = np.column_stack([x - x.mean(), y - y.mean(), gcode * 1e7])
    labels = DBSCAN(eps=radius_m, min_samples=min_count, algorithm="kd_tree").fit_predict(X)
    dens = None if density is None else np.asarray(density, float)
    for lab in np.unique(labels[labels >= 0]):
        mem = np.nonzero(labels == lab)[0]
        clon, clat = float(lon[mem].mean()), float(lat[mem].mean())
        spread = float(haversine_m(clon, clat, lon[mem], lat[mem]).max())
        if dens is not None:
            expected = float(np.mean(dens[mem])) * np.pi * max(radius_m, spread) ** 2 * days
            pv = float(stats.poisson.sf(mem.size - 1, max(expected, 1e-12)))
            if pv >= alpha:
                continue
        else:
            expected, pv = float("nan"), float("nan")
        g = group[mem[0]]
        out.append(
            Cluster(
                members=mem,
                lon=clon,
                lat=clat,
                radius_m=spread,
                observed=int(mem.size),
                expected=expected,
                p_value=pv,
                group=g.item() if hasattr(g, "item") else g,
            )
        )
    out.sort(key=lambda c: (1.0 if np.isnan(c.p_value) else c.p_value, -c.observed))
    return out


# ----------------------------------------------------------------- SLA breach clusters


@dataclass
class BreachCluster:
    group: object
    observed: int  # breaches among the requests due in the window
    due: int  # requests due in the window
    expected: float
    rate: float  # the baseline breach rate used
    p_value: float
    members: np.ndarray  # indices of the breached requests in the window


def breach_clusters(
    group: np.ndarray,
    due_day: np.ndarray,
    breached: np.ndarray,
    *,
    day: int,
    window: int = 7,
    baseline_days: int = 56,
    min_count: int = 3,
    alpha: float = 1e-3,
    prior: float = 20.0,
) -> list[BreachCluster]:
    """Groups with improbably many SLA breaches among the requests due in [day − window + 1, day].

    The baseline rate of a group is its breach rate over the ``baseline_days`` before the window,
    shrunk towards the pooled rate of all groups with ``prior`` pseudo-requests:
    p0 = (b_hist + prior · p_pool) / (n_hist + prior). Observed breaches ~ Binomial(n, p0); a group
    alerts when P(B ≥ b) < ``alpha`` and b ≥ ``min_count``.
    """
    group, due_day, breached = np.asarray(group), np.asarray(due_day, int), np.asarray(breached, bool)
    in_win = (due_day > day - window) & (due_day <= day)
    in_hist = (due_day > day - window - baseline_days) & (due_day <= day - window)
    n_pool, b_pool = int(in_hist.sum()), int((in_hist & breached).sum())
    p_pool = (b_pool + 1) / (n_pool + 2)
    out = []
    for g in np.unique(group[in_win & breached]):
        is_g = group == g
        w = in_win & is_g
        n, b = int(w.sum()), int((w & breached).sum())
        if b < min_count:
            continue
        h = in_hist & is_g
        p0 = (int((h & breached).sum()) + prior * p_pool) / (int(h.sum()) + prior)
        pv = float(stats.binom.sf(b - 1, n, p0))
        if pv < alpha:
            out.append(
                BreachCluster(
                    group=g.item() if hasattr(g, "item") else g,
                    observed=b,
                    due=n,
                    expected=n * p0,
                    rate=p0,
                    p_value=pv,
                    members=np.nonzero(w & breached)[0],
                )
            )
    out.sort(key=lambda c: c.p_value)
    return out


def severity(p_value: float) -> int:
    """1 (notice) … 3 (urgent) from the tail probability."""
    if np.isnan(p_value):
        return 1
    return 3 if p_value < 1e-6 else 2 if p_value < 1e-4 else 1
