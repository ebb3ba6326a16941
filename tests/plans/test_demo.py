"""The plans demo builds its goals from the other demos' records, with a realistic loop history."""

from __future__ import annotations

from gongzhi.plans import status as S
from gongzhi.plans.models import (
    Adjustment,
    Goal,
    Link,
    ProgressUpdate,
    SupervisionFlag,
    Task,
)


def test_demo_goals_from_alliances_consultations_and_directives(world):
    import gongzhi.alliances.demo
    import gongzhi.cases.demo
    import gongzhi.consult.demo
    import gongzhi.plans.demo

    def quiet(*a, **k):
        return None

    for mod in (gongzhi.cases.demo, gongzhi.alliances.demo, gongzhi.consult.demo):
        mod.generate(seed=1, scale="tiny", progress=quiet)
    out = gongzhi.plans.demo.generate(seed=1, scale="tiny", progress=quiet)
    kinds = set(Goal.objects.values_list("source_kind", flat=True))
    assert kinds == {"alliance", "consultation", "directive"}
    assert out["plan_goals"] == Goal.objects.count() and out["plan_tasks"] == Task.objects.count()
    for g in Goal.objects.filter(source_kind="alliance"):
        assert g.alliance_goal.status == "approved"
    # Every task carries a responsible unit, a deadline, a quality standard and an indicator.
    assert not Task.objects.filter(quality_standard="").exists() and not Task.objects.filter(indicator_name="").exists()
    # A realistic loop: history, computed readings, completion with evidence, overdue, adjustments.
    assert ProgressUpdate.objects.filter(source="manual").count() > 10
    assert ProgressUpdate.objects.filter(source="computed").exists()
    assert Link.objects.filter(purpose="evidence").exists()
    assert SupervisionFlag.objects.filter(kind="overdue", resolved_at__isnull=True).exists()
    assert set(Adjustment.objects.values_list("status", flat=True)) == {"approved", "requested"}
    statuses = {s["status"] for s in S.summaries(Goal.objects.all()).values()}
    assert "overdue" in statuses and len(statuses) >= 2
