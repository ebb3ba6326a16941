"""The organisation app's figures (the one registry, :mod:`gongzhi.core.figures`): party members'
household coverage (包片联户, seed 002) and their visits, computed from the records."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from gongzhi.core.figures import figure, ratio
from gongzhi.core.models import Region

from .models import Household, HouseholdLink, HouseholdVisit


@figure(
    "org.household_coverage",
    label="党员联户覆盖率",
    unit="rate",
    doc="households linked by a party member (a link begun before the period's end and not ended by then) / households",
)
def household_coverage(region: Region, start: dt.date, end: dt.date) -> dict:
    hh = Household.objects.filter(region__path__startswith=region.path)
    links = HouseholdLink.objects.filter(start_date__lt=end).filter(Q(end_date__isnull=True) | Q(end_date__gte=end))
    return ratio(hh.filter(pk__in=links.values("household_id")).count(), hh.count())


@figure("org.household_visits", label="党员入户走访次数", unit="count", doc="household visits recorded in the period")
def household_visits(region: Region, start: dt.date, end: dt.date) -> int:
    return HouseholdVisit.objects.filter(
        region__path__startswith=region.path, visited_on__gte=start, visited_on__lt=end
    ).count()
