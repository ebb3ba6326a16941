"""The desk view: what needs action now in a region — overdue requests, requests due soon,
open alerts, active incidents, emergency bypasses not filed in time.

Reads the open requests through the (state, due_at) index with a limit: the open set, not history."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from gongzhi.cases.models import OPEN_STATES, Bypass, ServiceRequest
from gongzhi.core.models import Region

from . import queries

LIMIT = 50
DUE_SOON_HOURS = 24


def _open(region: Region):
    return ServiceRequest.objects.filter(
        state__in=OPEN_STATES, region__path__startswith=region.path, due_at__isnull=False
    ).select_related("category", "grid", "handling_unit")


def overdue(region: Region, now: dt.datetime | None = None, limit: int = LIMIT) -> list[ServiceRequest]:
    now = now or timezone.now()
    return list(_open(region).filter(due_at__lt=now).order_by("due_at")[:limit])


def due_soon(region: Region, now: dt.datetime | None = None, limit: int = LIMIT) -> list[ServiceRequest]:
    now = now or timezone.now()
    return list(
        _open(region)
        .filter(due_at__gte=now, due_at__lt=now + dt.timedelta(hours=DUE_SOON_HOURS))
        .order_by("due_at")[:limit]
    )


def unfiled_bypasses(region: Region, now: dt.datetime | None = None, limit: int = LIMIT) -> list[Bypass]:
    now = now or timezone.now()
    return list(
        Bypass.objects.filter(region__path__startswith=region.path, filed_at__isnull=True, filing_due__lt=now)
        .select_related("grid", "category", "worker")
        .order_by("filing_due")[:limit]
    )


def desk(user, region: Region, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    return {
        "overdue": overdue(region, now),
        "due_soon": due_soon(region, now),
        "alerts": queries.alerts(user, region),
        "incidents": queries.incidents(user, region),
        "bypasses": unfiled_bypasses(region, now),
        "now": now,
    }
