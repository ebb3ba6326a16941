"""The assessment part of ``gongzhi demo``: the default indicator catalogue, a district scheme with
urban and rural weights, and one run over the demo year, built from the records the other demos made."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import Region


def generate(*, seed: int, scale: str, progress) -> dict[str, int]:
    from . import services as A
    from .models import Indicator, Result

    district = Region.objects.filter(level="district").order_by("code").first()
    if district is None:
        return {}
    with transaction.atomic():
        scheme = A.install_catalogue(SYSTEM, region=district)
        progress("考核评价", 1, 2)
        run = A.run_assessment(SYSTEM, scheme, str(timezone.localdate().year))
        progress("考核评价", 2, 2)
    return {
        "assessment_indicators": Indicator.objects.count(),
        "assessment_results": Result.objects.filter(run=run).count(),
    }
