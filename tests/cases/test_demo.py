"""The demo year: realistic shape, figures computable, deterministic."""

from __future__ import annotations

from gongzhi.cases import demo, figures
from gongzhi.cases.models import MediationCase, ServiceRequest, Transition
from gongzhi.core.actors import SYSTEM


def test_demo_year(world):
    seen = []
    counts = demo.generate(seed=3, scale="tiny", progress=lambda *a: seen.append(a))
    assert counts["requests"] == ServiceRequest.objects.count() > 300
    assert counts["transitions"] == Transition.objects.count()
    assert MediationCase.objects.count() == counts["mediations"] > 0
    assert seen[-1][1] == seen[-1][2]
    months = {r.created_at.month for r in ServiceRequest.objects.filter(category__code="03004")}
    assert months and months <= {1, 2, 3, 4, 10, 11, 12}  # heating complaints in the heating season
    t = figures.total()
    assert 0.5 < t["satisfaction_rate"]["value"] <= 1 and t["median_hours_to_resolution"] > 0
    # a new request after the demo gets a fresh id and number
    from gongzhi.cases import services

    g = ServiceRequest.objects.first().grid
    req, _ = services.submit(SYSTEM, description="路灯不亮", category="02003", grid=g.code)
    assert req.pk > max(ServiceRequest.objects.exclude(pk=req.pk).values_list("pk", flat=True))
