"""The burden meter: minutes of demands per worker per week, per unit per month, per street.

Read-only. Every figure is a sum of :class:`DemandItem` minutes (one row per target and
occurrence of a demand), split by origin (上级下达 / 平台自动记录) and by kind.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Sum
from django.utils import timezone

from gongzhi.cases import figures as case_figures
from gongzhi.core.models import Region

from .models import DemandItem, DemandKind, Origin


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, n: int) -> dt.date:
    m = day.year * 12 + day.month - 1 + n
    return dt.date(m // 12, m % 12 + 1, 1)


def parse_period(period: str) -> tuple[dt.date, dt.date]:
    """'2026-10' → (2026-10-01, 2026-11-01)."""
    try:
        y, m = (int(x) for x in period.split("-"))
        start = dt.date(y, m, 1)
    except (ValueError, AttributeError):
        raise ValueError(period) from None
    return start, add_months(start, 1)


def _series(qs, buckets: list[dt.date], bucket_of) -> list[dict]:
    rows = {
        b: {
            "start": b,
            "minutes": 0,
            "higher": 0,
            "platform": 0,
            "items": 0,
            "by_kind": {k: 0 for k in DemandKind.values},
        }
        for b in buckets
    }
    for on, origin, kind, minutes, n in (
        qs.values("on", "demand__origin", "demand__kind")
        .annotate(m=Sum("minutes"), n=Count("id"))
        .values_list("on", "demand__origin", "demand__kind", "m", "n")
    ):
        r = rows.get(bucket_of(on))
        if r is None:
            continue
        r["minutes"] += minutes
        r["items"] += n
        r["higher" if origin == Origin.HIGHER else "platform"] += minutes
        r["by_kind"][kind] += minutes
    return [rows[b] for b in buckets]


def worker_weeks(person, *, weeks: int = 12, today: dt.date | None = None) -> list[dict]:
    """Minutes per ISO week (Monday start) for the last ``weeks`` weeks, this week included."""
    today = today or timezone.localdate()
    last = week_start(today)
    buckets = [last - dt.timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]
    qs = DemandItem.objects.filter(worker=person, on__gte=buckets[0], on__lt=last + dt.timedelta(days=7))
    return _series(qs, buckets, week_start)


def unit_months(unit, *, months: int = 12, today: dt.date | None = None) -> list[dict]:
    today = today or timezone.localdate()
    last = month_start(today)
    buckets = [add_months(last, -k) for k in range(months - 1, -1, -1)]
    qs = DemandItem.objects.filter(unit=unit, on__gte=buckets[0], on__lt=add_months(last, 1))
    return _series(qs, buckets, month_start)


def region_months(region: Region, *, months: int = 12, today: dt.date | None = None) -> list[dict]:
    today = today or timezone.localdate()
    last = month_start(today)
    buckets = [add_months(last, -k) for k in range(months - 1, -1, -1)]
    qs = DemandItem.objects.filter(region__path__startswith=region.path, on__gte=buckets[0], on__lt=add_months(last, 1))
    return _series(qs, buckets, month_start)


def street_view(region: Region, start: dt.date, end: dt.date) -> dict:
    """Per unit and per worker of ``region`` in [start, end): minutes, items, from above vs platform."""
    qs = DemandItem.objects.filter(region__path__startswith=region.path, on__gte=start, on__lt=end)
    units: dict = defaultdict(lambda: {"minutes": 0, "higher": 0, "platform": 0, "items": 0})
    workers: dict = defaultdict(lambda: {"minutes": 0, "higher": 0, "platform": 0, "items": 0})
    names: dict = {}
    for uid, uname, ucode, wid, wname, origin, m, n in (
        qs.values("unit_id", "unit__name", "unit__code", "worker_id", "worker__name", "demand__origin")
        .annotate(m=Sum("minutes"), n=Count("id"))
        .values_list("unit_id", "unit__name", "unit__code", "worker_id", "worker__name", "demand__origin", "m", "n")
    ):
        key = "higher" if origin == Origin.HIGHER else "platform"
        for bucket, k in ((units, uid), (workers, wid)):
            if k is None:
                continue
            row = bucket[k]
            row["minutes"] += m
            row["items"] += n
            row[key] += m
        names[("u", uid)] = (uname, ucode)
        if wid is not None:
            names[("w", wid)] = (wname, uname)
    weeks = max(1.0, (end - start).days / 7)
    unit_rows = sorted(
        (
            {"id": k, "name": names[("u", k)][0], "code": names[("u", k)][1], **v, "hours": round(v["minutes"] / 60, 1)}
            for k, v in units.items()
        ),
        key=lambda r: (-r["minutes"], r["code"]),
    )
    worker_rows = sorted(
        (
            {
                "id": k,
                "name": names[("w", k)][0],
                "unit": names[("w", k)][1],
                **v,
                "per_week": round(v["minutes"] / weeks),
            }
            for k, v in workers.items()
        ),
        key=lambda r: (-r["minutes"], r["id"]),
    )
    total = {k: sum(r[k] for r in unit_rows) for k in ("minutes", "higher", "platform", "items")}
    # Matters pushed down below the unit the responsibility list names (seeds 001, 002: 防止向基层转嫁责任),
    # per street, from the push-down records (gongzhi.cases.figures, the one definition).
    pushdowns = case_figures.pushdowns_by_street(region, start, end)
    total["pushdowns"] = sum(r["took_effect"] for r in pushdowns)
    return {
        "region": region,
        "start": start,
        "end": end,
        "units": unit_rows,
        "workers": worker_rows,
        "total": total,
        "pushdowns": pushdowns,
    }
