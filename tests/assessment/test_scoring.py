"""Indices, weight mapping and penalties (pure functions)."""

import datetime as dt

import pytest

from gongzhi.assessment import scoring as S
from gongzhi.core.errors import DomainError


def m(**kw):
    return {k: {"value": v} for k, v in kw.items()}


def test_complexity_index_is_mean_of_capped_components():
    c, parts = S.complexity(
        m(population_density=10000, requests_per_1k=600, category_diversity=0.5, mobile_share=0.15), {}
    )
    assert parts == {"population_density": 0.5, "requests_per_1k": 1.0, "category_diversity": 0.5, "mobile_share": 0.5}
    assert c == pytest.approx(0.625)
    # a component without data is left out, not read as zero
    c2, _ = S.complexity(
        m(population_density=10000, requests_per_1k=None, category_diversity=None, mobile_share=None), {}
    )
    assert c2 == pytest.approx(0.5)


def test_accessibility_index():
    a, parts = S.accessibility(m(service_distance_m=2500, service_coverage=0.8, median_hours_to_resolution=84), {})
    assert parts["service_distance_m"] == pytest.approx(0.5)
    assert parts["median_hours_to_resolution"] == pytest.approx(0.5)
    assert a == pytest.approx((0.5 + 0.8 + 0.5) / 3)
    a2, _ = S.accessibility(
        m(service_distance_m=2500, service_coverage=0.8, median_hours_to_resolution=84), {"distance_ref_m": 10000}
    )
    assert a2 > a  # the scheme's reference scale is used


def test_higher_complexity_shifts_weight_to_shifted_indicators():
    rows = [("response", 0.5, 1.0), ("satisfaction", 0.5, 0.0)]
    low = S.adjusted_weights("urban", 0.1, rows, {"response", "satisfaction"})
    high = S.adjusted_weights("urban", 0.9, rows, {"response", "satisfaction"})
    assert sum(low.values()) == pytest.approx(1) and sum(high.values()) == pytest.approx(1)
    assert high["response"] > 0.5 > low["response"]
    # rural: less accessible (lower A) → more weight
    remote = S.adjusted_weights("rural", 0.1, rows, {"response", "satisfaction"})
    near = S.adjusted_weights("rural", 0.9, rows, {"response", "satisfaction"})
    assert remote["response"] > near["response"]


def test_missing_indicator_weight_is_redistributed():
    w = S.adjusted_weights("urban", 0.5, [("a", 0.5, 0), ("b", 0.25, 0), ("c", 0.25, 0)], {"a", "b"})
    assert w == pytest.approx({"a": 2 / 3, "b": 1 / 3})
    assert S.score({"a": 1.0, "b": 0.4}, w) == pytest.approx(100 * (2 / 3 + 0.4 / 3))


def test_penalty_is_capped():
    assert S.penalty(0, {}) == 0
    assert S.penalty(2, {}) == 4
    assert S.penalty(50, {}) == 10
    assert S.penalty(3, {"penalty_per_bypass": 1, "penalty_cap": 2}) == 2


@pytest.mark.parametrize(
    "text,start,end",
    [
        ("2026-Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        ("2026-h1", dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        ("2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    ],
)
def test_periods(text, start, end):
    p = S.parse_period(text)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize("text", ["2026-Q5", "26-Q1", "2026-13", "Q3", "", "1999"])
def test_bad_periods_refused(text):
    with pytest.raises(DomainError) as e:
        S.parse_period(text)
    assert e.value.field == "period"
