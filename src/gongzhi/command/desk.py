"""The desk view: what needs action now in a region — overdue requests, requests due soon,
open alerts, active incidents, emergency bypasses not filed in time; optionally one board's only ("141").

Reads the open requests through the (state, due_at) index with a limit: the open set, not history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone

from gongzhi.cases.models import OPEN_STATES, Bypass, ServiceRequest
from gongzhi.core.models import Region

from . import boards, queries

LIMIT = 50
DUE_SOON_HOURS = 24


def _board_q(region: Region, board: str | None) -> Q:
    """Rows whose matter category belongs to ``board`` ("141"; all when None)."""
    if not board:
        return Q()
    resolver = boards.Resolver(region)
    q = Q(category_id__in=[pk for pk, b in resolver.boards_of_categories().items() if b == board])
    if resolver.key("request") == board:
        q |= Q(category__isnull=True)
    return q


def _open(region: Region, board: str | None = None) -> Any:
    return (
        ServiceRequest.objects.filter(state__in=OPEN_STATES, region__path__startswith=region.path, due_at__isnull=False)
        .filter(_board_q(region, board))
        .select_related("category", "grid", "handling_unit")
    )


def overdue(
    region: Region, now: dt.datetime | None = None, limit: int = LIMIT, board: str | None = None
) -> list[ServiceRequest]:
    now = now or timezone.now()
    return list(_open(region, board).filter(due_at__lt=now).order_by("due_at")[:limit])


def due_soon(
    region: Region, now: dt.datetime | None = None, limit: int = LIMIT, board: str | None = None
) -> list[ServiceRequest]:
    now = now or timezone.now()
    return list(
        _open(region, board)
        .filter(due_at__gte=now, due_at__lt=now + dt.timedelta(hours=DUE_SOON_HOURS))
        .order_by("due_at")[:limit]
    )


def unfiled_bypasses(
    region: Region, now: dt.datetime | None = None, limit: int = LIMIT, board: str | None = None
) -> list[Bypass]:
    now = now or timezone.now()
    return list(
        Bypass.objects.filter(region__path__startswith=region.path, filed_at__isnull=True, filing_due__lt=now)
        .filter(_board_q(region, board))
        .select_related("grid", "category", "worker")
        .order_by("filing_due")[:limit]
    )


def desk(user: Any, region: Region, now: dt.datetime | None = None, board: str | None = None) -> dict:
    """What needs action now; with ``board`` ("141"), only that board's requests, alerts and bypasses."""
    now = now or timezone.now()
    alerts = queries.alerts(user, region)
    if board:
        resolver = boards.Resolver(region)
        alerts = [a for a in alerts if resolver.alert(a) == board]
    return {
        "overdue": overdue(region, now, board=board),
        "due_soon": due_soon(region, now, board=board),
        "alerts": alerts,
        "incidents": queries.incidents(user, region),
        "bypasses": unfiled_bypasses(region, now, board=board),
        "now": now,
        "board": board or "",
        "boards": [(b, boards.label(b)) for b in boards.BOARDS],
    }
