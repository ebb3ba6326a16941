"""What a unit owes its alliances, and which alliances a user may see."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from gongzhi.org.models import Unit

from .. import permissions as ap
from ..models import (
    MAX_ALLIANCES,
    MAX_ALLIANCES_SPECIAL,
    Alliance,
    AllianceMember,
    Rectification,
    Task,
    UnitReview,
    YearReview,
)
from .common import M, _today


def unit_duties(unit: Unit, *, today: dt.date | None = None) -> dict:
    """A unit's alliances and what it owes them: open tasks, pending invitations, reports due, open
    rectification plans (整顿)."""
    today = _today(today)
    memberships = list(AllianceMember.objects.filter(unit=unit).select_related("alliance").order_by("-joined_on"))
    return {
        "unit": unit,
        "active": [m for m in memberships if m.status == M.ACTIVE],
        "pending": [m for m in memberships if m.status == M.PENDING],
        "history": [m for m in memberships if m.status not in (M.ACTIVE, M.PENDING)],
        "open_tasks": list(
            Task.objects.filter(owner_unit=unit, completed_on__isnull=True).select_related("alliance", "item")
        ),
        "overdue_tasks": Task.objects.filter(owner_unit=unit, completed_on__isnull=True, deadline__lt=today).count(),
        "reports_due": list(
            UnitReview.objects.filter(
                unit=unit, review__stage=YearReview.Stage.REPORTS, reported_on__isnull=True
            ).select_related("review__alliance")
        ),
        "rectifications": list(
            Rectification.objects.filter(unit=unit, status=Rectification.Status.OPEN)
            .select_related("alliance")
            .prefetch_related("tasks")
            .order_by("deadline")
        ),
        "cap": MAX_ALLIANCES,
        "special_cap": MAX_ALLIANCES_SPECIAL,
    }


def visible_alliances(user):
    """Alliances the user may see: located in the user's scope, or having a member unit there."""
    paths = ap.scope_paths(user, ap.VIEW)
    qs = Alliance.objects.all()
    if paths is None:
        return qs
    if not paths:
        return qs.none()
    q = Q()
    for p in paths:
        q |= Q(region__path__startswith=p) | Q(members__unit__region__path__startswith=p)
    return qs.filter(q).distinct()
