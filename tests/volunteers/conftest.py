"""Fixtures: a time bank in street A with a rule, task types, and a volunteer of community A."""

from __future__ import annotations

import datetime as dt

import pytest

from gongzhi.core.actors import SYSTEM


@pytest.fixture
def vworld(world):
    from django.utils import timezone

    from gongzhi.org.models import Person, Unit
    from gongzhi.volunteers import services as V
    from gongzhi.volunteers.models import TaskType

    w = world
    today = timezone.localdate()
    w.today = today
    w.gov_a = Unit.objects.get(code=f"{w.street_a.code}-GOV")
    w.gov_b = Unit.objects.get(code=f"{w.street_b.code}-GOV")
    w.bank = V.create_bank(SYSTEM, code="TB-A", name="秋实时间银行", region=w.street_a, operator=w.gov_a)
    w.bank_b = V.create_bank(SYSTEM, code="TB-B", name="九龙时间银行", region=w.street_b, operator=w.gov_b)
    w.rule = V.publish_rule(
        SYSTEM,
        w.bank,
        effective_from=today - dt.timedelta(days=400),
        points_per_hour=10,
        daily_cap=50,
        yearly_cap=200,
        task_bonus={"legal": 5},
    )
    V.publish_rule(
        SYSTEM,
        w.bank_b,
        effective_from=today - dt.timedelta(days=400),
        points_per_hour=10,
        daily_cap=50,
        yearly_cap=500,
    )
    w.general = TaskType.objects.create(code="general", name="社区服务")
    w.legal = TaskType.objects.create(code="legal", name="法律咨询", required_field="law", required_level=2)
    w.person = Person.objects.filter(region=w.comm_a).order_by("id").first()
    w.vol = V.register_volunteer(SYSTEM, person=w.person, bank=w.bank, skills="急救, 陪护")
    return w


def day(w, back: int) -> dt.date:
    return w.today - dt.timedelta(days=back)
