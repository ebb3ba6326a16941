"""Fixtures: a district directive goal in street A with tasks for the street office, the residents'
committee of community A and a district department; an approved alliance goal; a consultation decision."""

from __future__ import annotations

import datetime as dt

import pytest

from gongzhi.core.actors import SYSTEM


@pytest.fixture
def pw(world):
    from django.utils import timezone

    from gongzhi.org.models import Unit
    from gongzhi.plans import services as PS

    w = world
    w.today = timezone.localdate()
    d = w.district.code
    w.dgov = Unit.objects.get(code=f"{d}-GOV")
    w.cgj = Unit.objects.get(code=f"{d}-CGJ")
    w.gov_a = Unit.objects.get(code=f"{w.street_a.code}-GOV")
    w.gov_b = Unit.objects.get(code=f"{w.street_b.code}-GOV")
    w.rc_a = Unit.objects.get(region=w.comm_a, kind="residents_committee")
    w.goal = PS.create_goal(
        SYSTEM,
        title="老旧小区加装电梯",
        source_kind="directive",
        directive_ref="区委办发〔2026〕3号",
        directive_issuer=w.dgov,
        region=w.street_a,
        lead_unit=w.gov_a,
        starts_on=w.today - dt.timedelta(days=60),
        due_on=w.today + dt.timedelta(days=120),
    )
    w.t_street = PS.add_task(
        SYSTEM,
        w.goal,
        title="摸底调查",
        unit=w.gov_a,
        deadline=w.today + dt.timedelta(days=30),
        quality_standard="覆盖全部楼栋",
        indicator_name="已调查楼栋",
        indicator_unit="栋",
        target=40,
    )
    w.t_comm = PS.add_task(
        SYSTEM,
        w.goal,
        title="征求居民意见",
        unit=w.rc_a,
        deadline=w.today + dt.timedelta(days=60),
        quality_standard="同意率达三分之二",
        indicator_name="签字户数",
        target=100,
        baseline=0,
    )
    w.t_dept = PS.add_task(
        SYSTEM,
        w.goal,
        title="审批手续",
        unit=w.cgj,
        deadline=w.today + dt.timedelta(days=90),
        quality_standard="一次性告知",
        indicator_name="办结件数",
        target=10,
    )
    return w


def days(w, n: int) -> dt.date:
    return w.today + dt.timedelta(days=n)
