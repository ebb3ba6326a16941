"""Read-only queries other apps use (the command centre)."""

from __future__ import annotations

from gongzhi.core.models import Region

from .models import Incident
from .services import visible_incidents


def active_incidents(user, region: Region | None = None) -> list[Incident]:
    """The active incidents the user may view, optionally only those overlapping ``region``'s subtree
    (declared inside it, or declared above it for an area that includes it). Each has ``name``,
    ``geometry`` (GeoJSON of the affected area), ``region``, ``declared_at``, ``get_absolute_url()``."""
    qs = visible_incidents(user).filter(status=Incident.Status.ACTIVE).order_by("-declared_at", "-id")
    out = list(qs)
    if region is not None:
        out = [i for i in out if i.region.path.startswith(region.path) or region.path.startswith(i.region.path)]
    return out
