"""Fixtures: a helper writing requests directly (the scan only reads them) and a fixed scan time."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

_seq = itertools.count(1)


@pytest.fixture
def aworld(world):
    from django.utils import timezone

    from gongzhi.org.models import Grid, MatterCategory, Unit

    w = world
    w.at = timezone.make_aware(dt.datetime(2026, 6, 1, 6, 0))  # a Monday morning: scans 2026-05-31
    w.day = w.at.date() - dt.timedelta(days=1)
    w.grid_a = Grid.objects.filter(region=w.comm_a).order_by("code").first()
    w.grid_a2 = Grid.objects.filter(region=w.comm_a).order_by("code")[1]
    w.grid_b = Grid.objects.filter(region=w.comm_b).order_by("code").first()
    w.cat = MatterCategory.objects.get(code="01001")
    w.cat2 = MatterCategory.objects.get(code="05001")
    w.unit = Unit.objects.get(code=f"{w.district.code}-CGJ")
    return w


def make_request(
    grid, category, created_at, *, lon=None, lat=None, due_at=None, resolved_at=None, unit=None, state="dispatched"
):
    from gongzhi.cases.models import ServiceRequest

    n = next(_seq)
    return ServiceRequest(
        number=f"T{n:09d}",
        token=f"{n:032x}",
        channel="web",
        description="测试诉求",
        category=category,
        region_id=grid.region_id,
        grid=grid,
        lon=grid.centroid_lon if lon is None else lon,
        lat=grid.centroid_lat if lat is None else lat,
        state=state,
        handling_unit=unit,
        due_at=due_at,
        resolved_at=resolved_at,
        created_at=created_at,
        updated_at=created_at,
    )


@pytest.fixture
def add():
    """add(grid, category, [datetimes], **kw) bulk-writes one request per datetime."""
    from gongzhi.cases.models import ServiceRequest

    def go(grid, category, times, **kw):
        return ServiceRequest.objects.bulk_create([make_request(grid, category, t, **kw) for t in times])

    return go


def background(w, grid=None, category=None, days=70, per_day=(1, 0, 1, 0, 1, 0, 0), seed=0, **kw):
    """A quiet weekly pattern before the scanned day: per_day[weekday] requests at 10:00, scattered
    uniformly over the grid's bounding box (so they do not form a repeated-complaint cluster)."""
    import random

    from django.utils import timezone

    from gongzhi.cases.models import ServiceRequest

    grid = grid or w.grid_a
    rng = random.Random(seed)
    rows = []
    for k in range(1, days + 1):
        d = w.day - dt.timedelta(days=k)
        for i in range(per_day[d.weekday()]):
            t = timezone.make_aware(dt.datetime.combine(d, dt.time(10, i)))
            rows.append(
                make_request(
                    grid,
                    category or w.cat,
                    t,
                    lon=rng.uniform(grid.min_lon, grid.max_lon),
                    lat=rng.uniform(grid.min_lat, grid.max_lat),
                    **kw,
                )
            )
    return ServiceRequest.objects.bulk_create(rows)


def at_day(w, d: dt.date, n: int, hour=11):
    from django.utils import timezone

    return [timezone.make_aware(dt.datetime.combine(d, dt.time(hour, i))) for i in range(n)]
