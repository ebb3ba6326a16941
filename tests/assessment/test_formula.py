"""Indicator formulas: parsed with ast against a whitelist; unknown and never-assess names refused."""

import pytest

from gongzhi.assessment import formula as F
from gongzhi.assessment.measures import MEASURES
from gongzhi.core.errors import DomainError


def test_evaluates_arithmetic_over_measures():
    tree, names = F.parse("0.5 * satisfaction_rate + 0.5 * (1 - min(1, return_rate * 2))", MEASURES)
    assert names == ["satisfaction_rate", "return_rate"]
    assert F.evaluate(tree, {"satisfaction_rate": 0.8, "return_rate": 0.1}) == pytest.approx(0.4 + 0.5 * 0.8)


def test_missing_measure_gives_none_not_zero():
    tree, _ = F.parse("satisfaction_rate", MEASURES)
    assert F.evaluate(tree, {"satisfaction_rate": None}) is None
    tree, _ = F.parse("requests / population", MEASURES)
    assert F.evaluate(tree, {"requests": 3, "population": 0}) is None  # division by zero: no data


def test_unknown_field_refused_with_name_and_known_list():
    with pytest.raises(DomainError) as e:
        F.parse("satisfaction_rate + happiness", MEASURES)
    assert "happiness" in e.value.message
    assert "satisfaction_rate" in e.value.message and "on_time_rate" in e.value.message  # the list of known ones
    assert e.value.field == "formula" and e.value.code == "unknown_field"


@pytest.mark.parametrize("name", sorted(F.NEVER_ASSESS))
def test_never_assess_names_refused_with_reason(name):
    with pytest.raises(DomainError) as e:
        F.parse(f"min(1, {name} / 10)", MEASURES)
    assert name in e.value.message and "负面清单" in e.value.message
    assert F.NEVER_ASSESS[name] in e.value.message
    assert e.value.code == "never_assess"


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "satisfaction_rate.real",
        "satisfaction_rate ** 2",
        "[satisfaction_rate]",
        "satisfaction_rate if 1 else 0",
        "satisfaction_rate > 0.5",
        "lambda: 1",
        "open('x')",
        "'a'",
        "satisfaction_rate; 1",
        "",
        "1 + 2",
        "min + satisfaction_rate",
        "True * satisfaction_rate",
        "satisfaction_rate % 2",
        "min(satisfaction_rate, key=1)",
    ],
)
def test_anything_else_refused(text):
    with pytest.raises(DomainError):
        F.parse(text, MEASURES)
