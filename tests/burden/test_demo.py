"""The burden demo builds on the other modules' demo records, deterministically."""

from __future__ import annotations

from django.db.models import Sum

from gongzhi.core.actors import SYSTEM


def _run(world):
    from gongzhi.alliances import demo as alliances_demo
    from gongzhi.burden import demo
    from gongzhi.cases import demo as cases_demo

    cases_demo.generate(seed=3, scale="tiny", progress=lambda *a: None)
    alliances_demo.generate(seed=3, scale="tiny", progress=lambda *a: None)
    return demo.generate(seed=3, scale="tiny", progress=lambda *a: None)


def test_demo_builds_a_year_of_demands_an_order_and_a_hidden_assessment(world):
    from gongzhi.burden import audit
    from gongzhi.burden.models import (
        AuditFlag,
        BurdenReductionOrder,
        Demand,
        DemandItem,
        ReportDefinition,
    )

    counts = _run(world)
    assert counts["burden_platform_items"] > 0
    assert ReportDefinition.objects.filter(seeded=True).count() == 16
    assert BurdenReductionOrder.objects.count() == 1
    hidden = AuditFlag.objects.filter(kind="hidden")
    assert hidden.count() == 1 and "社区治理成效月度统计表" in hidden[0].reason
    dup = AuditFlag.objects.filter(kind="duplicate")
    assert sorted(dup.values_list("field_code", flat=True).distinct()) == ["overdue", "requests", "satisfaction"]
    d = Demand.objects.get(definition__code="DEMO-DISTRICT-MONTHLY")
    assert (d.minutes, d.full_minutes) == (45, 100)
    platform = DemandItem.objects.filter(demand__origin="platform")
    assert platform.filter(demand__platform_key="intake").exists()
    assert platform.filter(demand__platform_key="meeting_attendance").exists()
    # running the backfill again counts nothing twice
    from gongzhi.burden import platform as P

    before = platform.aggregate(m=Sum("minutes"))["m"]
    assert P.backfill(SYSTEM) == 0
    assert platform.aggregate(m=Sum("minutes"))["m"] == before
    view = audit.yearly_view(world.district, BurdenReductionOrder.objects.get())
    assert view["summary"]["reports"]["before"] > view["summary"]["reports"]["after"]
    assert view["fell"] is True


def test_demo_is_deterministic(world):
    from gongzhi.burden.models import DemandItem

    _run(world)
    first = sorted(DemandItem.objects.filter(demand__origin="higher").values_list("demand__title", "on", "minutes"))
    assert len(first) > 100
    assert first == sorted(
        DemandItem.objects.filter(demand__origin="higher").values_list("demand__title", "on", "minutes")
    )
