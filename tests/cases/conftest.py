from __future__ import annotations

import pytest


@pytest.fixture
def place(world):
    """A grid of community A (street A) and a point inside it."""
    from gongzhi.org.models import Grid

    g = Grid.objects.filter(region=world.comm_a).select_related("region").order_by("code").first()
    return type("Place", (), {"grid": g, "lon": g.centroid_lon, "lat": g.centroid_lat})()


@pytest.fixture
def submit(place):
    from gongzhi.cases import services
    from gongzhi.core.actors import SYSTEM

    def make(description="小区门口垃圾堆放多日无人清运", category="01001", **kw):
        kw.setdefault("lon", place.lon)
        kw.setdefault("lat", place.lat)
        req, _ = services.submit(SYSTEM, description=description, category=category, **kw)
        req.refresh_from_db()
        return req

    return make


@pytest.fixture(autouse=True)
def _synchronous_classifier(monkeypatch):
    """No background training threads in tests: they would not see the test's transaction."""
    from gongzhi.cases import classify, routing, services

    routing.clear()  # the demo world is written with bulk inserts (no signals)
    monkeypatch.setattr(classify, "BACKGROUND", False)
    monkeypatch.setattr(services.intake, "SUGGEST_TIMEOUT_S", None)
