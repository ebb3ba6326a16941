"""The common pool's figures in the one registry (:mod:`gongzhi.core.figures`): ``resources.*``.

Each is computed for a region's subtree and the days [start, end) (end exclusive)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from gongzhi.core.figures import figure
from gongzhi.core.models import Region

from .models import Assignment, PoolNeed, PoolResource

IDLE_DAYS = 90  # a pool resource with no assignment in this many days before the period end is idle


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def idle_qs(region: Region, end: dt.date) -> QuerySet[PoolResource]:
    """Active resources registered before the idle window and not assigned within it."""
    since = _aware(end - dt.timedelta(days=IDLE_DAYS))
    used = (
        Assignment.objects.filter(created_at__gte=since, created_at__lt=_aware(end))
        .exclude(status__in=["declined", "superseded"])
        .values("resource_id")
    )
    return PoolResource.objects.filter(
        region__path__startswith=region.path, status="active", created_at__lt=since
    ).exclude(pk__in=used)


@figure("resources.resources_active", label="公共池可用资源", unit="count")
def resources_active(region: Region, start: dt.date, end: dt.date) -> int:
    """Active resources in the common pool of the region, registered before the period's end."""
    return PoolResource.objects.filter(
        region__path__startswith=region.path, status="active", created_at__lt=_aware(end)
    ).count()


@figure("resources.resources_idle", label="闲置资源(90天未调用)", unit="count")
def resources_idle(region: Region, start: dt.date, end: dt.date) -> int:
    """Active resources not allocated in the 90 days before the period's end."""
    return idle_qs(region, end).count()


@figure("resources.needs_open", label="待满足的需求", unit="count")
def needs_open(region: Region, start: dt.date, end: dt.date) -> int:
    """Pool needs of the region still open, raised before the period's end."""
    return PoolNeed.objects.filter(
        region__path__startswith=region.path, status="open", created_at__lt=_aware(end)
    ).count()


@figure("resources.needs_closed", label="本期闭环的需求", unit="count")
def needs_closed(region: Region, start: dt.date, end: dt.date) -> int:
    """Pool needs of the region closed (met) in the period."""
    return PoolNeed.objects.filter(
        region__path__startswith=region.path, status="closed", closed_at__gte=_aware(start), closed_at__lt=_aware(end)
    ).count()
