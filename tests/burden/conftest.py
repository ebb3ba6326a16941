"""Fixtures: the committees of communities A and B, a grid worker of community A linked to the
grid-worker user, the district government as issuer."""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture
def bworld(world, users):
    from django.utils import timezone

    from gongzhi.org import responsibility
    from gongzhi.org.models import GridAssignment, Unit

    w = world
    w.users = users
    w.today = timezone.localdate()
    w.gov = Unit.objects.get(code=f"{w.district.code}-GOV")
    w.gov_a = Unit.objects.get(code=f"{w.street_a.code}-GOV")
    w.gov_b = Unit.objects.get(code=f"{w.street_b.code}-GOV")
    w.comm_a_unit = responsibility.handling_unit(w.comm_a)
    w.comm_b_unit = responsibility.handling_unit(w.comm_b)
    ga = (
        GridAssignment.objects.filter(region=w.comm_a, kind="grid_worker", end_date__isnull=True)
        .select_related("person", "grid")
        .order_by("id")
        .first()
    )
    w.grid = ga.grid
    w.worker = ga.person
    w.worker.user = users["grid_worker"]
    w.worker.save(update_fields=["user"])
    return w


def day(w, back: int) -> dt.date:
    return w.today - dt.timedelta(days=back)
