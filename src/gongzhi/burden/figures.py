"""Burden figures for other modules (the command centre's live figures)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, Sum

from gongzhi.core.models import Region

from .models import DemandItem, Origin


def summary(region: Region, start: dt.date, end: dt.date) -> dict:
    """Demands on the grassroots of ``region``'s subtree with a date in [start, end]: minutes from above and
    from the platform, items, workers concerned and minutes per worker per week."""
    qs = DemandItem.objects.filter(region__path__startswith=region.path, on__gte=start, on__lte=end)
    agg = qs.aggregate(
        total_minutes=Sum("minutes"),
        n_items=Count("id"),
        higher_minutes=Sum("minutes", filter=Q(demand__origin=Origin.HIGHER)),
        n_workers=Count("worker", distinct=True),
    )
    minutes, higher = agg["total_minutes"] or 0, agg["higher_minutes"] or 0
    weeks = max(1.0, ((end - start).days + 1) / 7)
    workers = agg["n_workers"] or 0
    return {
        "hours": round(minutes / 60, 1),
        "higher_hours": round(higher / 60, 1),
        "platform_hours": round((minutes - higher) / 60, 1),
        "items": agg["n_items"],
        "workers": workers,
        "per_worker_week_minutes": round(minutes / workers / weeks) if workers else None,
    }
