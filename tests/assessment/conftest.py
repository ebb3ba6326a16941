from __future__ import annotations

import pytest

from gongzhi.core.actors import SYSTEM


@pytest.fixture(autouse=True)
def _synchronous_classifier(monkeypatch):
    """No background training threads in tests: they would not see the test's transaction."""
    from gongzhi.cases import classify, routing, services

    routing.clear()  # the demo world is written with bulk inserts (no signals)
    monkeypatch.setattr(classify, "BACKGROUND", False)
    monkeypatch.setattr(services.intake, "SUGGEST_TIMEOUT_S", None)


@pytest.fixture
def records(world):
    """The tiny district with a year of requests (cases demo) and alliances with their 1142 meetings."""
    from gongzhi.alliances import demo as alliances_demo
    from gongzhi.cases import demo as cases_demo

    counts = {}
    counts.update(cases_demo.generate(seed=7, scale="tiny", progress=lambda *a: None))
    counts.update(alliances_demo.generate(seed=7, scale="tiny", progress=lambda *a: None))
    world.counts = counts
    return world


@pytest.fixture
def scheme(world):
    from gongzhi.assessment import services as A

    return A.install_catalogue(SYSTEM, region=world.district)
