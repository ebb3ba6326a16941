"""The penetrating audit's yearly view: did the count of reports really fall after the order?

Counted from the demand items of reports and forms issued from above that fall on units in the
region: per month, the number of distinct report demands due (报表数), their occurrences (填报次数)
and their minutes. The twelve months before the order's month are compared with the months from
the order's month on (up to twelve, up to this month); the comparison takes equal windows (as many
months before the order as have passed since) by monthly average.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone

from .meter import add_months, month_start
from .models import AuditFlag, BurdenReductionOrder, DemandItem, Origin
from .services import REPORT_KINDS


def _rows(region, start: dt.date, end: dt.date):
    return DemandItem.objects.filter(
        region__path__startswith=region.path,
        on__gte=start,
        on__lt=end,
        demand__origin=Origin.HIGHER,
        demand__kind__in=list(REPORT_KINDS),
    ).values_list("on", "demand_id", "minutes")


def _bucket(rows, key) -> dict:
    out: dict = defaultdict(lambda: {"demands": set(), "items": 0, "minutes": 0})
    for on, did, minutes in rows:
        b = out[key(on)]
        b["demands"].add(did)
        b["items"] += 1
        b["minutes"] += minutes
    return out


def _avg(rows: list[dict], k: str) -> float | None:
    return round(sum(r[k] for r in rows) / len(rows), 1) if rows else None


def yearly_view(region, order: BurdenReductionOrder | None = None, *, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    this_month = month_start(today)
    pivot = month_start(order.effective_on) if order else add_months(this_month, -11)
    start = add_months(pivot, -12)
    end = min(add_months(pivot, 12), add_months(this_month, 1))
    if end <= pivot:
        end = add_months(pivot, 1)
    data = _bucket(_rows(region, start, end), month_start)
    months = []
    m = start
    while m < end:
        b = data.get(m, {"demands": set(), "items": 0, "minutes": 0})
        months.append(
            {
                "month": m.strftime("%Y-%m"),
                "after": m >= pivot,
                "reports": len(b["demands"]),
                "items": b["items"],
                "minutes": b["minutes"],
            }
        )
        m = add_months(m, 1)
    after = [r for r in months if r["after"]]
    # equal windows: as many months before the order's month as there are from it on
    before = [r for r in months if not r["after"]][-len(after) :] if after else []
    summary = {k: {"before": _avg(before, k), "after": _avg(after, k)} for k in ("reports", "items", "minutes")}
    for v in summary.values():
        b, a = v["before"], v["after"]
        v["change_pct"] = round(100 * (a - b) / b, 1) if b and a is not None else None
    change = summary["reports"]["change_pct"]
    target = order.target_cut_pct if order else 0
    if order is None or change is None:
        verdict, fell = "无减负令或数据不足，无法比较", None
    elif change <= -max(target, 0.1):
        verdict, fell = f"报表数月均下降{-change}%（目标压减{target}%），确实减少", True
    elif change < 0:
        verdict, fell = f"报表数月均仅下降{-change}%，未达到压减{target}%的目标", False
    else:
        verdict, fell = f"报表数月均不降反升{change}%，减负未落实", False
    years_data = _bucket(_rows(region, dt.date(start.year, 1, 1), dt.date(today.year + 1, 1, 1)), lambda d: d.year)
    years = [
        {"year": y, "reports": len(b["demands"]), "items": b["items"], "minutes": b["minutes"]}
        for y, b in sorted(years_data.items())
    ]
    hidden = AuditFlag.objects.filter(kind__in=AuditFlag.HIDDEN_KINDS, region__path__startswith=region.path)
    if order is not None:
        hidden = hidden.filter(order=order)
    by_kind = dict.fromkeys(AuditFlag.HIDDEN_KINDS, 0)
    for k in hidden.values_list("kind", flat=True):
        by_kind[k] += 1
    return {
        "region": region,
        "order": order,
        "months": months,
        "summary": summary,
        "verdict": verdict,
        "fell": fell,
        "years": years,
        "hidden": sum(by_kind.values()),
        "hidden_by_kind": by_kind,  # hidden (new recurring reports/traces), pledge (变相责任状), research (以调研代替检查)
    }
