"""The registry's direct computation of a figure and its rollup fast path agree on the demo district."""

from __future__ import annotations

import datetime as dt

import pytest

from gongzhi.command import rollups
from gongzhi.core import figures
from gongzhi.core.models import Region


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return (a["num"], a["den"]) == (b["num"], b["den"])
    if a is None or b is None:
        return a is b
    return a == pytest.approx(b, rel=1e-6, abs=1e-6)


def test_every_figure_with_a_fast_path_agrees_with_its_direct_computation(cased):
    fast = [f for f in figures.all() if f.fast is not None]
    assert {f.name for f in fast} >= {
        "cases.requests",
        "cases.on_time_rate",
        "cases.satisfaction_rate",
        "cases.mean_hours_to_resolution",
    }
    end = rollups.latest_day() + dt.timedelta(days=1)
    regions = [
        cased.district,
        cased.street_a,
        cased.street_b,
        cased.comm_a,
        cased.comm_b,
        Region.objects.get(level="city"),
    ]
    checked = 0
    for region in regions:
        for start in (end - dt.timedelta(days=30), end - dt.timedelta(days=365)):
            with figures.batch():
                for f in fast:
                    direct = figures.compute(f.name, region, start, end)
                    quick = figures.compute(f.name, region, start, end, fast=True)
                    assert _same(direct, quick), (f.name, region.code, start, direct, quick)
                    checked += 1
    assert checked == len(fast) * len(regions) * 2
    # not vacuous: the district has requests, rated and resolved ones
    with figures.batch():
        year = end - dt.timedelta(days=365)
        assert figures.compute("cases.requests", cased.district, year, end) > 100
        assert figures.compute("cases.satisfaction_rate", cased.district, year, end, fast=True)["den"] > 0


def test_assessment_measures_of_other_apps_figures_equal_the_figures(cased):
    """assessment.measures.measure evaluates the cases figures in bulk (per community and street): the same
    answers as the registry's figures for each region."""
    from gongzhi.assessment.measures import MEASURES, Period, measure

    end = rollups.latest_day()
    period = Period("year", end - dt.timedelta(days=364), end)
    targets = [cased.street_a, cased.street_b, cased.comm_a, cased.comm_b]
    values = measure(cased.district, targets, period, {})
    owned = {n: m.figure for n, m in MEASURES.items() if m.figure.startswith("cases.")}
    assert "satisfaction_rate" in owned and "bypasses" in owned
    for region in targets:
        with figures.batch():
            for name, fig in owned.items():
                ours = values[region.code][name]
                theirs = figures.compute(fig, region, period.start, period.end + dt.timedelta(days=1))
                if isinstance(theirs, dict):
                    assert (ours["num"], ours["den"]) == (theirs["num"], theirs["den"]), (name, region.code)
                else:
                    assert _same(ours["value"], theirs), (name, region.code, ours, theirs)
