from __future__ import annotations

import pytest

from gongzhi.core.actors import SYSTEM


@pytest.fixture(autouse=True)
def _synchronous_classifier(monkeypatch):
    """No background classifier training in tests (it would not see the test's transaction)."""
    from gongzhi.cases import classify, routing, services

    routing.clear()
    monkeypatch.setattr(classify, "BACKGROUND", False)
    monkeypatch.setattr(services.intake, "SUGGEST_TIMEOUT_S", None)


@pytest.fixture
def cased(world):
    """The tiny district with the cases demo's year of requests (bulk-written, no events) and rollups rebuilt."""
    from gongzhi.cases import demo as cases_demo
    from gongzhi.command import rollups

    counts = cases_demo.generate(seed=7, scale="tiny", progress=lambda *a: None)
    rollups.rebuild(None)
    world.counts = counts
    return world


@pytest.fixture
def place(world):
    from gongzhi.org.models import Grid

    g = Grid.objects.filter(region=world.comm_a).select_related("region").order_by("code").first()
    return type("Place", (), {"grid": g, "lon": g.centroid_lon, "lat": g.centroid_lat})()


@pytest.fixture
def submit(place):
    from gongzhi.cases import services

    def make(description="小区门口垃圾堆放多日无人清运", category="01001", **kw):
        kw.setdefault("lon", place.lon)
        kw.setdefault("lat", place.lat)
        req, _ = services.submit(SYSTEM, description=description, category=category, **kw)
        req.refresh_from_db()
        return req

    return make
