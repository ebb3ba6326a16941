"""How far the public record trails the platform: the time from a public event to the first signed
checkpoint whose tree holds its leaf (the moment anyone can verify it), over a recent window.

Measured from the event's ``occurred_at`` (stamped inside the transaction that commits it, so the
figure errs on the long side by the rest of that transaction) to ``SignedCheckpoint.signed_at``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math

from django.utils import timezone

from .models import Leaf, SignedCheckpoint


def percentile(values: list[float], q: float) -> float | None:
    """The q-quantile (0..1) of ``values`` by the nearest-rank method; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q * len(ordered))))
    return ordered[rank - 1]


def lags(since: dt.datetime, until: dt.datetime | None = None, limit: int | None = None) -> list[float]:
    """Seconds from each leaf's event to the first checkpoint covering it, for the leaves of events that
    occurred in [since, until) (the newest ``limit`` of them); leaves no checkpoint covers yet are left out
    (``ops.health.ledger_backlog`` counts what still waits)."""
    leaves = Leaf.objects.filter(occurred_at__gte=since)
    if until is not None:
        leaves = leaves.filter(occurred_at__lt=until)
    newest = leaves.order_by("-index").values_list("index", "occurred_at")
    rows = list(newest[:limit] if limit else newest)
    if not rows:
        return []
    lowest = min(index for index, _ in rows)
    checkpoints = list(
        SignedCheckpoint.objects.filter(size__gt=lowest).order_by("size").values_list("size", "signed_at")
    )
    sizes = [size for size, _ in checkpoints]
    out = []
    for index, occurred in rows:
        at = bisect.bisect_right(sizes, index)  # the first checkpoint with size > index holds leaf `index`
        if at < len(checkpoints):
            out.append(max(0.0, (checkpoints[at][1] - occurred).total_seconds()))
    return out


def summary(window: dt.timedelta = dt.timedelta(minutes=10), now: dt.datetime | None = None, limit: int = 5000) -> dict:
    """The lag over the last ``window``: leaves counted, p50, p95 and max in seconds (None without leaves)."""
    now = now or timezone.now()
    values = lags(now - window, limit=limit)
    return {
        "window_s": int(window.total_seconds()),
        "leaves": len(values),
        "p50_s": _round(percentile(values, 0.5)),
        "p95_s": _round(percentile(values, 0.95)),
        "max_s": _round(max(values) if values else None),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
