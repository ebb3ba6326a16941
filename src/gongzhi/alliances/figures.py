"""The alliances' figures in the one registry (:mod:`gongzhi.core.figures`): ``alliances.*``.

Each is computed for a region's subtree and the days [start, end) (end exclusive)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from gongzhi.core.figures import figure
from gongzhi.core.models import Region

from .models import Alliance, Meeting, Task


def alliances_in(region: Region) -> QuerySet[Alliance]:
    return Alliance.objects.filter(region__path__startswith=region.path, status="established")


def missing_meetings(region: Region, end: dt.date) -> QuerySet[Meeting]:
    """Required meetings due before ``end`` and not held (1142 meetings behind)."""
    return Meeting.objects.filter(
        alliance__in=alliances_in(region), required=True, held_on__isnull=True, due_on__lt=end
    )


@figure("alliances.active", label="在运行的党建联合体", unit="count")
def active(region: Region, start: dt.date, end: dt.date) -> int:
    """Party-building alliances of the region (the alliance's street or community lies in it) founded before the period's end."""
    return alliances_in(region).filter(Q(established_on__isnull=True) | Q(established_on__lt=end)).count()


@figure("alliances.meetings_held", label="联合体会议召开次数", unit="count")
def meetings_held(region: Region, start: dt.date, end: dt.date) -> int:
    """Alliance meetings held in the period (held date within it)."""
    return Meeting.objects.filter(alliance__in=alliances_in(region), held_on__gte=start, held_on__lt=end).count()


@figure("alliances.meetings_missing", label="1142应开未开会议", unit="count")
def meetings_missing(region: Region, start: dt.date, end: dt.date) -> int:
    """Required 1142 meetings due before the period's end and not held."""
    return missing_meetings(region, end).count()


@figure("alliances.tasks_completed", label="联合体任务完成数", unit="count")
def tasks_completed(region: Region, start: dt.date, end: dt.date) -> int:
    """Alliance tasks completed in the period (completion date within it)."""
    return Task.objects.filter(alliance__in=alliances_in(region), completed_on__gte=start, completed_on__lt=end).count()
