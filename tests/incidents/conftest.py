"""Fixtures: the routing cache cleared around every test, and handy grids of street A / township B."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _clear_incident_cache():
    from gongzhi.incidents import routing

    routing.clear()
    yield
    routing.clear()


@pytest.fixture
def iworld(world, users):
    from gongzhi.org.models import Grid, Unit

    w = world
    w.users = users
    w.grids_a = list(Grid.objects.filter(region=w.comm_a).order_by("code"))
    w.grids_a_street = list(Grid.objects.filter(region__path__startswith=w.street_a.path).order_by("code"))
    w.grids_b = list(Grid.objects.filter(region=w.comm_b).order_by("code"))
    w.gov_a = Unit.objects.get(code=f"{w.street_a.code}-GOV")
    w.gov_b = Unit.objects.get(code=f"{w.street_b.code}-GOV")
    return w


def declare_a(w, actor=None, **kw):
    from gongzhi.incidents import services as S

    kw.setdefault("name", "秋实街道暴雨内涝")
    kw.setdefault("kind", "flood")
    kw.setdefault("severity", 3)
    kw.setdefault("grids", [w.grids_a[0].code])
    return S.declare(actor if actor is not None else w.users["street_cadre"], **kw)
