"""The incidents demo on the tiny district: one past incident, stood down, with a report from records;
normal routing unchanged afterwards."""

from __future__ import annotations


def test_demo_leaves_one_stood_down_incident_with_its_report(world):
    from gongzhi.cases import services as C
    from gongzhi.core.actors import SYSTEM
    from gongzhi.incidents import demo, report
    from gongzhi.incidents.models import Incident
    from gongzhi.org.models import Grid
    from gongzhi.volunteers import demo as vol_demo

    vol_demo.generate(seed=1, scale="tiny", progress=lambda *a: None)
    seen = []
    counts = demo.generate(seed=1, scale="tiny", progress=lambda label, done, total: seen.append(label))
    assert seen == ["应急"]
    assert counts["incidents"] == 1 and counts["incident_requests"] == 6 and counts["incident_mobilised"] > 0
    inc = Incident.objects.get()
    assert inc.status == "stood_down" and inc.stood_down_at > inc.declared_at
    r = report.build(inc)
    assert r["requests"]["received"] == 6 and r["requests"]["resolved"] == 5
    assert r["people"]["mobilised"] == counts["incident_mobilised"]
    assert r["people"]["checked_in"] == counts["incident_checked_in"]
    assert r["needs"]["raised"] == 2
    assert 2.9 <= r["duration_h"] <= 3.1
    assert [e.kind for e in r["timeline"]][0] == "declared" and r["timeline"][-1].kind == "stood_down"
    # nothing active: a request from the same grid follows the responsibility list again
    g = inc.area.order_by("grid__code").first().grid
    req, _ = C.submit(SYSTEM, description="路灯不亮", category="02003", grid=Grid.objects.get(pk=g.pk).code)
    assert req.routing["fallback"] != "override"
