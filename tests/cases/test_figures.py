"""The figures, computed from transition records, on a small hand-built history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.cases import figures, services
from gongzhi.cases.models import Transition
from gongzhi.core.actors import SYSTEM
from gongzhi.org.models import Unit


def shift(req, action, **delta):
    """Move the time of a request's ``action`` transition(s)."""
    t = Transition.objects.filter(request=req, action=action).order_by("id").last()
    t.at = t.at + dt.timedelta(**delta)
    t.save(update_fields=["at"])


def test_rates_and_medians(submit, users, world):
    dept = users["department_staff"]
    a = submit(category="01005")  # responded quickly, resolved on time, satisfied
    services.start(dept, a)
    services.resolve(dept, a, resolution="已清理")
    services.confirm(SYSTEM, a, rating="satisfied", token=a.token)
    shift(a, "dispatch", hours=1)
    shift(a, "start", hours=2)
    shift(a, "resolve", hours=10)

    b = submit(category="01005")  # returned, then resolved; not fixed -> reopened
    services.return_to_dispatcher(dept, b, reason="地址不清")
    services.dispatch(users["district_admin"], b)
    services.resolve(dept, b, resolution="已处理")
    services.confirm(SYSTEM, b, rating="unsatisfied", fixed=False, token=b.token)
    shift(b, "resolve", hours=30)

    c = submit(category="08001")  # the street whistles; never resolved
    deps = [u.code for u in Unit.objects.filter(kind="department")[:1]]
    services.blow_whistle(users["street_cadre"], c, departments=deps, reason="跨部门")

    d = submit(category="01005")  # merged: not counted
    services.merge(users["street_cadre"], d, a, reason="重复")

    t = figures.total()
    assert t["requests"] == 3
    assert t["resolution_rate"] == {"value": 0.5, "num": 1, "den": 2}
    assert t["satisfaction_rate"]["value"] == 0.5
    assert t["return_rate"] == {"value": 1 / 3, "num": 1, "den": 3}
    assert t["reopen_rate"] == {"value": 0.5, "num": 1, "den": 2}
    assert t["whistle_rate"] == {"value": 1 / 3, "num": 1, "den": 3}
    assert t["on_time_rate"]["den"] == 2
    # a: responded 1h after dispatch; b: responded (resolve) 30h after its first dispatch; c: none
    assert t["response_rate"] == {"value": 1 / 3, "num": 1, "den": 3}
    assert t["median_hours_to_resolution"] == pytest.approx((10 + 30) / 2, abs=0.05)
    assert t["median_hours_to_dispatch"] == pytest.approx(0.0, abs=0.05)  # a: 1h; b, c: at once

    streets = {r["key"]: r for r in figures.compute("street")}
    assert streets[world.street_a.code]["whistle_rate"]["num"] == 1
    assert streets[world.street_a.code]["name"] == world.street_a.name
    depts = {r["key"]: r for r in figures.compute("department")}
    cgj = [r for k, r in depts.items() if k.endswith("-CGJ")][0]
    assert cgj["requests"] == 2
    grids = figures.compute("grid")
    assert sum(r["requests"] for r in grids) == 3
    for level in ("community", "district"):
        assert sum(r["requests"] for r in figures.compute(level)) == 3


def test_empty_period_has_no_rates(world):
    t = figures.total(start=timezone.now() + dt.timedelta(days=1))
    assert t["requests"] == 0 and t["response_rate"]["value"] is None and t["median_hours_to_dispatch"] is None
    with pytest.raises(ValueError):
        figures.compute("planet")
