"""The one registry of named figures (gongzhi.core.figures)."""

from __future__ import annotations

import pytest

from gongzhi.core import figures


def test_names_are_app_dotted_and_known_apps():
    from django.apps import apps

    labels = {c.label for c in apps.get_app_configs()}
    names = [f.name for f in figures.all(subject=None)]
    assert len(names) == len(set(names))
    assert "cases.on_time_rate" in names and "plans.task_on_time_rate" in names
    for f in figures.all(subject=None):
        assert f.app in labels, f.name
        assert f.label and f.unit


def test_get_unknown_and_twice_defined():
    with pytest.raises(figures.UnknownFigure):
        figures.get("cases.no_such_figure")
    with pytest.raises(ValueError):
        figures.register("nodot", lambda r, s, e: 0, label="x")

    def other(region, start, end):
        return 0

    with pytest.raises(ValueError, match="defined twice"):
        figures.register("cases.on_time_rate", other, label="按时办结率", unit="rate")


def test_shared_work_is_done_once_in_a_batch():
    calls = []

    def work():
        calls.append(1)
        return 42

    assert figures.shared(("k",), work) == figures.shared(("k",), work) == 42
    assert len(calls) == 2
    with figures.batch():
        figures.shared(("k",), work)
        figures.shared(("k",), work)
    assert len(calls) == 3


def test_value_and_ratio():
    assert figures.ratio(1, 4) == {"value": 0.25, "num": 1, "den": 4}
    assert figures.ratio(0, 0)["value"] is None
    assert figures.value(figures.ratio(1, 2)) == 0.5 and figures.value(3) == 3


def test_the_other_registries_name_figures_of_this_one():
    from gongzhi.assessment.measures import MEASURES
    from gongzhi.burden.sources import FIELD_SOURCES
    from gongzhi.plans import indicators

    for key, src in FIELD_SOURCES.items():
        assert figures.get(src.figure).label == src.label, key
    for name, m in MEASURES.items():
        assert figures.exists(m.figure), name
    assert MEASURES["on_time_rate"].figure == "cases.on_time_rate"
    for key in indicators.REGISTRY:
        assert figures.get(f"plans.{key}").subject == "task"
    # a figure is computed per region and period only when that is its subject
    with pytest.raises(TypeError):
        figures.compute("plans.requests_resolved", None, None, None)
