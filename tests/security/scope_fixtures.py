"""Fixtures of the scope, idempotency, Open311 and auditor tests (imported by those modules)."""

from __future__ import annotations

import pytest
from django.test import Client

#: Every demo role of ``users`` plus the anonymous visitor (None).
ROLES = [
    "district_admin",
    "street_cadre",
    "community_cadre",
    "grid_worker",
    "department_staff",
    "auditor",
    "other_street_cadre",
    None,
]


@pytest.fixture(autouse=True)
def _synchronous_classifier(monkeypatch):
    """No background training threads in tests: they would not see the test's transaction."""
    from gongzhi.cases import classify, routing, services

    routing.clear()  # the demo world is written with bulk inserts (no signals)
    monkeypatch.setattr(classify, "BACKGROUND", False)
    monkeypatch.setattr(services.intake, "SUGGEST_TIMEOUT_S", None)


def grid_place(region):
    from gongzhi.org.models import Grid

    g = Grid.objects.filter(region=region).select_related("region").order_by("code").first()
    return type("Place", (), {"grid": g, "lon": g.centroid_lon, "lat": g.centroid_lat})()


@pytest.fixture
def place(world):
    """A grid of community A (street A) and its centroid."""
    return grid_place(world.comm_a)


@pytest.fixture
def place_b(world):
    """A grid of community B (township B) and its centroid."""
    return grid_place(world.comm_b)


@pytest.fixture
def client_as(users):
    """A fresh browser, signed in as ``users[role]`` (anonymous for None)."""

    def make(role):
        c = Client()
        if role is not None:
            c.force_login(users[role])
        return c

    return make
