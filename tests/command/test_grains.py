"""Month and year grains: a range decomposed into years, months and ragged days sums to what the day
tables give, and the incremental path keeps the coarse tables equal to their days."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from gongzhi.command import queries, rollups
from gongzhi.command.models import AreaDay, AreaMonth, AreaYear, CategoryYear, StreetYear
from gongzhi.core.models import Region

DAY = dt.timedelta(days=1)


def days_of(pieces, grain_end):
    """Every day the pieces cover, in order."""
    out = []
    for grain, spans in pieces.items():
        for a, b in spans:
            d = a
            while d <= b:
                last = grain_end(grain, d)
                while d <= last:
                    out.append(d)
                    d += DAY
    return sorted(out)


def _grain_end(grain, d):
    if grain == "year":
        return dt.date(d.year, 12, 31)
    if grain == "month":
        return queries._month_end(d)
    return d


@pytest.mark.parametrize("seed", range(3))
def test_decompose_covers_each_day_once(seed):
    rng = random.Random(seed)
    cases = [
        (dt.date(2024, 2, 29), dt.date(2024, 2, 29)),  # a single leap day
        (dt.date(2023, 12, 31), dt.date(2024, 1, 1)),  # across a year edge
        (dt.date(2024, 1, 1), dt.date(2024, 12, 31)),  # exactly a (leap) year
        (dt.date(2023, 3, 1), dt.date(2025, 2, 28)),
        (dt.date(2024, 2, 1), dt.date(2024, 2, 29)),  # exactly a leap February
    ]
    for _ in range(200):
        a = dt.date(2019, 1, 1) + rng.randrange(3000) * DAY
        cases.append((a, a + rng.randrange(1200) * DAY))
    for a, b in cases:
        pieces = queries.decompose(a, b)
        covered = days_of(pieces, _grain_end)
        assert covered == [a + i * DAY for i in range((b - a).days + 1)], (a, b, pieces)
        assert len(pieces["year"]) <= 1 and len(pieces["month"]) <= 2 and len(pieces["day"]) <= 2, (a, b, pieces)
        for y0, y1 in pieces["year"]:
            assert (y0.month, y0.day, y1.month, y1.day) == (1, 1, 1, 1)
        for m0, m1 in pieces["month"]:
            assert m0.day == 1 and m1.day == 1


def day_sums(region, a, b):
    qs = queries.day_table(region).objects.filter(queries.area(region), day__gte=a, day__lte=b)
    from django.db.models import Sum

    return qs.aggregate(**{f: Sum(f) for f in queries.FIELDS})


def same(x, y):
    for f in queries.FIELDS:
        u, v = x.get(f) or 0, y.get(f) or 0
        assert abs(u - v) <= 1e-6 * max(1, abs(u)), (f, u, v)


def test_decomposed_sums_equal_day_sums_over_random_ranges(cased):
    """On the cases demo's year (rollups rebuilt): random ranges, those crossing month and year edges,
    single days; every level of region (city and district read the per-street tables)."""
    end = rollups.latest_day()
    first = AreaDay.objects.order_by("day").values_list("day", flat=True).first()
    assert AreaYear.objects.exists() and AreaMonth.objects.exists() and StreetYear.objects.exists()
    assert rollups.check() == []
    rng = random.Random(3)
    regions = list(Region.objects.filter(level__in=("city", "district", "street", "community")))
    span = (end - first).days + 60
    ranges = [(first - 30 * DAY, end + 30 * DAY), (end, end), (first, first)]
    jan1 = dt.date(end.year, 1, 1)
    ranges += [(jan1 - DAY, jan1), (jan1 - 40 * DAY, jan1 + 40 * DAY), (jan1, end)]
    for _ in range(40):
        a = first - 30 * DAY + rng.randrange(span) * DAY
        ranges.append((a, a + rng.randrange(400) * DAY))
    for region in regions:
        for a, b in ranges:
            same(queries.range_sums(region, a, b), day_sums(region, a, b))
    # the old read path gives the same
    queries.READ_PATH = "days"
    try:
        for a, b in ranges[:5]:
            same(queries.range_sums(regions[0], a, b), day_sums(regions[0], a, b))
    finally:
        queries.READ_PATH = "grains"


def test_figures_equal_on_both_read_paths(cased):
    end = rollups.latest_day()
    district = Region.objects.get(level="district")
    for start in (end - 29 * DAY, end - 400 * DAY, dt.date(end.year, 1, 1)):
        new = queries.figures(district, start, end)
        queries.READ_PATH = "days"
        try:
            old = queries.figures(district, start, end)
        finally:
            queries.READ_PATH = "grains"
        for k in ("totals", "children", "top_categories", "sla", "trend"):
            assert repr(new[k]) == repr(old[k]) or _close(new[k], old[k]), k


def _close(x, y):
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_close(x[k], y[k]) for k in x)
    if isinstance(x, list):
        return len(x) == len(y) and all(_close(a, b) for a, b in zip(x, y))
    if isinstance(x, float) and isinstance(y, float):
        return abs(x - y) <= 1e-9 * max(1.0, abs(x))
    return x == y


def test_events_keep_month_and_year_tables(cased, submit):
    """Submitting and resolving through services: the coarse tables follow by deltas and check() agrees."""
    from gongzhi.command.subscribers import NAME
    from gongzhi.core.events import dispatch_pending

    dispatch_pending([NAME], batch=500)
    before = AreaYear.objects.filter(year=dt.date(timezone.localdate().year, 1, 1))
    n0 = sum(before.values_list("arrived", flat=True))
    for _ in range(3):
        submit()
    dispatch_pending([NAME], batch=500)
    n1 = sum(AreaYear.objects.filter(year=dt.date(timezone.localdate().year, 1, 1)).values_list("arrived", flat=True))
    assert n1 == n0 + 3
    assert CategoryYear.objects.exists()
    assert rollups.check() == []


def test_check_sees_a_wrong_year_cell(cased):
    row = AreaYear.objects.filter(arrived__gt=0).first()
    AreaYear.objects.filter(pk=row.pk).update(arrived=row.arrived + 2)
    assert any(p.startswith("AreaYear") for p in rollups.check())
