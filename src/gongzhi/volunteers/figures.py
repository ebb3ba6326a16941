"""The volunteers' figures in the one registry (:mod:`gongzhi.core.figures`): ``volunteers.*``.

Each is computed for a region's subtree and the days [start, end) (end exclusive)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet, Sum

from gongzhi.core.figures import figure
from gongzhi.core.models import Region

from .models import ServiceRecord, Volunteer


def _confirmed(region: Region, start: dt.date, end: dt.date) -> QuerySet[ServiceRecord]:
    return ServiceRecord.objects.filter(
        region__path__startswith=region.path, status="confirmed", date__gte=start, date__lt=end
    )


@figure("volunteers.hours", label="志愿服务时长(小时)", unit="hours")
def hours(region: Region, start: dt.date, end: dt.date) -> float:
    """Hours of confirmed volunteer service records dated in the period."""
    return float(_confirmed(region, start, end).aggregate(h=Sum("hours"))["h"] or 0)


@figure("volunteers.records", label="志愿服务记录数", unit="count")
def records(region: Region, start: dt.date, end: dt.date) -> int:
    """Confirmed volunteer service records dated in the period."""
    return _confirmed(region, start, end).count()


@figure("volunteers.active", label="在册志愿者", unit="count")
def active(region: Region, start: dt.date, end: dt.date) -> int:
    """Active registered volunteers of the region who joined before the period's end."""
    return Volunteer.objects.filter(region__path__startswith=region.path, status="active", joined_on__lt=end).count()
