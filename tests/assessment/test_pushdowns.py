"""The assessment measure ``pushdowns`` (matters pushed down below the responsibility list; lower is better)
and its indicator ``no_pushdown`` (issue 20, item 2; seeds 001 and 002)."""

from __future__ import annotations

from django.utils import timezone

from gongzhi.assessment import formula as F
from gongzhi.assessment import records as REC
from gongzhi.assessment import services as A
from gongzhi.assessment.catalogue import DEFAULT_INDICATORS
from gongzhi.assessment.measures import MEASURES
from gongzhi.assessment.models import Result
from gongzhi.core.actors import SYSTEM
from tests.cases.pushdown_helpers import push_down


def test_measure_and_indicator(world, users, scheme):
    push_down(world, users)
    push_down(world, users, consent=False)
    assert MEASURES["pushdowns"].figure == "cases.pushdowns"
    F.parse(DEFAULT_INDICATORS["no_pushdown"][1], MEASURES)
    run = A.run_assessment(SYSTEM, scheme, str(timezone.localdate().year))
    a = Result.objects.get(run=run, region=world.street_a)
    b = Result.objects.get(run=run, region=world.street_b)
    assert a.measures["pushdowns"]["value"] == 1 and b.measures["pushdowns"]["value"] == 0
    listing = REC.records_for(a, "pushdowns")
    assert listing.total == 1 and listing.rows[0][3].endswith("居民委员会")
