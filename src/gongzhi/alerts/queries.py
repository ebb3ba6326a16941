"""Read-side queries other modules use (the command centre)."""

from __future__ import annotations

from gongzhi.core.models import Region

from .models import ACTIVE, Alert
from .services import visible


def open_alerts(user, region: Region | None = None, limit: int = 20) -> list[Alert]:
    """Open and acknowledged alerts the user may see (scoped by region subtree), optionally within
    ``region``, newest first and, on the same day, the most severe first."""
    qs = visible(user).filter(status__in=ACTIVE)
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    return list(qs.order_by("-created_at", "-severity", "-id")[: max(0, int(limit))])
