"""The detectors on constructed arrays (no database)."""

from __future__ import annotations

import numpy as np
import pytest

from gongzhi.alerts import detect as D


def weekly(T=140, levels=(6, 5, 5, 5, 6, 1, 1), seed=0, noise=True):
    rng = np.random.default_rng(seed)
    lam = np.array([levels[d % 7] for d in range(T)], float)
    return rng.poisson(lam) if noise else lam


def test_a_spike_is_found_with_its_explanation():
    y = weekly()
    y[120] += 14
    found, _ = D.arrival_anomalies(y, alpha=1e-3)
    days = [a.day for a in found]
    assert 120 in days
    a = found[days.index(120)]
    assert a.observed == y[120] and a.expected < 8 and a.p_value < 1e-3
    assert a.window == (120 - 56, 119)


def test_a_flat_series_raises_nothing():
    found, base = D.arrival_anomalies(np.full(140, 4.0), alpha=1e-3)
    assert found == []
    assert base.phi == 0.0
    assert np.allclose(base.expected[0, 56:], 4.0)


def test_the_weekly_pattern_is_not_an_anomaly():
    # Mondays at 12, other days at 2: deterministic, so a naive trailing 3-sigma rule flags Mondays
    y = np.array([12 if d % 7 == 0 else 2 for d in range(140)], float)
    found, base = D.arrival_anomalies(y, alpha=1e-3)
    assert found == []
    assert np.allclose(base.expected[0, 56::7], 12.0)


def test_noisy_weekly_series_false_alarm_rate_is_small():
    ys = np.stack([weekly(seed=s) for s in range(200)])
    found, _ = D.arrival_anomalies(ys, alpha=1e-3)
    series_weeks = 200 * (140 - 56) / 7
    assert len(found) / series_weeks < 0.02
    # the naive trailing 3-sigma rule, blind to the weekday, alarms far more often on the same data
    assert len(D.naive_anomalies(ys, k=3.0)) > 3 * len(found)


def test_trend_raises_the_expectation():
    T = 140
    y = np.linspace(2, 10, T)
    base = D.seasonal_baseline(y[None, :])
    # the trailing mean lags a rising series; the trend term brings the expectation up towards the truth
    assert base.expected[0, 130] > y[130 - 28]
    assert abs(base.expected[0, 130] - y[130]) < abs(y[130 - 28] - y[130])


def test_overdispersion_is_estimated_and_widens_the_tail():
    rng = np.random.default_rng(3)
    lam = rng.gamma(2.0, 2.5, size=(300, 140))  # NB with phi = 0.5 around mean 5
    y = rng.poisson(lam)
    base = D.seasonal_baseline(y)
    assert 0.3 < base.phi < 0.8
    assert D.nb_sf(15, 5.0, base.phi) > D.nb_sf(15, 5.0, 0.0)


def test_min_count_guards_sparse_series():
    y = np.zeros(100)
    y[90] = 2
    found, _ = D.arrival_anomalies(y, alpha=1e-3, min_count=3)
    assert found == []
    y[90] = 3
    found, _ = D.arrival_anomalies(y, alpha=1e-3, min_count=3)
    assert [a.day for a in found] == [90]


def test_repeat_clusters_find_one_place_not_scattered_points():
    rng = np.random.default_rng(1)
    lon = np.concatenate([116.4 + rng.uniform(0, 0.02, 40), 116.41 + rng.normal(0, 0.0001, 5)])
    lat = np.concatenate([39.9 + rng.uniform(0, 0.02, 40), 39.91 + rng.normal(0, 0.0001, 5)])
    group = np.zeros(45, int)
    dens = np.full(45, 40 / (14 * 2200.0 * 1700.0))  # 40 requests over ~2.2 km × 1.7 km in 14 days
    found = D.repeat_clusters(lon, lat, group, radius_m=50, min_count=3, days=14, density=dens, alpha=1e-3)
    assert len(found) == 1
    assert set(found[0].members) >= set(range(40, 45))
    assert found[0].expected < 0.1 and found[0].radius_m < 50
    # the same points in another category are not pooled with them
    group[40:42] = 1
    found = D.repeat_clusters(lon, lat, group, radius_m=50, min_count=3, days=14, density=dens, alpha=1e-3)
    assert len(found) == 1
    assert {42, 43, 44} <= set(found[0].members) and not {40, 41} & set(found[0].members)


def test_breach_clusters_against_the_group_rate():
    rng = np.random.default_rng(2)
    n = 2000
    group = rng.integers(0, 10, n)
    due = rng.integers(0, 70, n)
    breached = rng.random(n) < 0.1
    assert D.breach_clusters(group, due, breached, day=69, window=7, baseline_days=56) == []
    hit = (group == 4) & (due > 62)
    breached2 = breached | hit
    found = D.breach_clusters(group, due, breached2, day=69, window=7, baseline_days=56)
    assert [c.group for c in found] == [4]
    c = found[0]
    assert c.observed == int(hit.sum()) and c.expected < c.observed / 3 and 0.05 < c.rate < 0.2


def test_haversine_metres():
    assert D.haversine_m(116.4, 39.9, 116.4, 39.9 + 1 / 111.195) == pytest.approx(1000, rel=1e-3)


def test_severity_bands():
    assert D.severity(1e-7) == 3 and D.severity(1e-5) == 2 and D.severity(5e-4) == 1
