"""The assessment part of the demo: catalogue, scheme and one run built from the other demos' records."""

from gongzhi.assessment import demo
from gongzhi.assessment.models import Indicator, Result, Run, Scheme
from gongzhi.core.models import Region


def test_demo_builds_scheme_and_run_from_records(records):
    counts = demo.generate(seed=7, scale="tiny", progress=lambda *a: None)
    n_targets = Region.objects.filter(level__in=("street", "community")).count()
    assert counts == {"assessment_indicators": Indicator.objects.count(), "assessment_results": n_targets}
    assert Scheme.objects.count() == 1 and Run.objects.count() == 1
    scored = Result.objects.exclude(score=None)
    assert scored.count() == n_targets
    assert all(r.measures["requests"]["value"] > 0 for r in scored)
