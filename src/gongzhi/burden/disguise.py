"""Hidden assessment in disguise (seed 001: 减负政策逐步被重构为隐形考核工具，…实质上通过调研替代检查、
通过责任状强化压力传导; the remedy: 穿透式审计…重点识别并整治“隐形考核”变种，如变相责任状): two more
findings of the penetrating audit, computed when a demand is issued (:func:`gongzhi.burden.services.issue_demand`).

* **变相责任状** (disguised responsibility pledge): a pledge (责任状/承诺书) demanded of units that a
  burden-reduction order in force protects (the units lie in the order's region), carrying targets or
  penalty clauses. A pledge with neither is a plain commitment and is not flagged; nor is one outside
  every order's region.
* **以调研代替检查** (research visits acting as inspections): a research visit (调研) that asks for
  materials/figures or scores, to a unit (or grid) that already had such a visit within the last
  ``RESEARCH_WINDOW_DAYS`` days: the ``RESEARCH_MIN_VISITS``-th such visit and every later one is
  flagged. A visit that only listens is never flagged, however often.

Each finding is an :class:`~gongzhi.burden.models.AuditFlag` with a ``code`` and ``params`` (its text is
rendered in the viewer's language by :mod:`gongzhi.burden.flagtext`).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from gongzhi.org.models import Unit

from .models import AuditFlag, BurdenReductionOrder, Demand, DemandItem, DemandKind, Origin

RESEARCH_WINDOW_DAYS = 30
RESEARCH_MIN_VISITS = 2


def _suffix(a: bool, b: bool, first: str, second: str) -> str:
    return f"{first}_{second}" if a and b else (first if a else second)


def pledge_flags(demand: Demand, units: list[Unit], orders: list[BurdenReductionOrder]) -> list[AuditFlag]:
    """A pledge carrying targets or penalties on units an order in force protects: one flag (the most
    recent order)."""
    if demand.kind != DemandKind.PLEDGE or not (demand.has_targets or demand.has_penalties) or not orders:
        return []
    order = orders[0]
    protected = [u for u in units if u.region.path.startswith(order.region.path)]
    if not protected:
        return []
    return [
        AuditFlag(
            demand=demand,
            kind=AuditFlag.Kind.PLEDGE,
            order=order,
            region=demand.region,
            code="pledge_" + _suffix(demand.has_targets, demand.has_penalties, "targets", "penalties"),
            params={
                "issued_on": demand.issued_on.isoformat(),
                "title": demand.title,
                "targets": len(protected),
                "units": [u.code for u in protected],
                "issuer": order.issuer.name,
                "order": order.title,
                "order_id": order.pk,
                "effective_on": order.effective_on.isoformat(),
            },
        )
    ]


def research_flags(demand: Demand, units: list[Unit], orders: list[BurdenReductionOrder]) -> list[AuditFlag]:
    """Repeated research visits asking for materials/figures or scoring, per visited unit and grid."""
    if demand.kind != DemandKind.RESEARCH or not (demand.asks_materials or demand.scores):
        return []
    day = demand.issued_on
    since = day - dt.timedelta(days=RESEARCH_WINDOW_DAYS - 1)
    earlier = (
        Demand.objects.filter(origin=Origin.HIGHER, kind=DemandKind.RESEARCH, issued_on__gte=since, issued_on__lte=day)
        .filter(Q(asks_materials=True) | Q(scores=True))
        .exclude(pk=demand.pk)
    )
    targets: list[tuple[str, str, list[dt.date]]] = []  # (kind, name, earlier visit days)
    by_unit: dict[int, set[tuple[int, dt.date]]] = {}
    for did, uid, on in DemandItem.objects.filter(demand__in=earlier, unit_id__in=[u.pk for u in units]).values_list(
        "demand_id", "unit_id", "demand__issued_on"
    ):
        by_unit.setdefault(uid, set()).add((did, on))
    for u in units:
        visits = sorted(on for _d, on in by_unit.get(u.pk, ()))
        targets.append(("unit", u.name, visits))
    if demand.grid is not None:
        visits = sorted(earlier.filter(grid=demand.grid).values_list("issued_on", flat=True))
        targets.append(("grid", demand.grid.name, visits))
    flags = []
    code = "research_" + _suffix(demand.asks_materials, demand.scores, "materials", "scores")
    for kind, name, visits in targets:
        n = len(visits) + 1
        if n < RESEARCH_MIN_VISITS:
            continue
        flags.append(
            AuditFlag(
                demand=demand,
                kind=AuditFlag.Kind.RESEARCH,
                order=orders[0] if orders else None,
                region=demand.region,
                code=code,
                params={
                    "target": name,
                    "target_kind": kind,
                    "visits": n,
                    "window": RESEARCH_WINDOW_DAYS,
                    "first_on": (visits[0] if visits else day).isoformat(),
                    "issued_on": day.isoformat(),
                },
            )
        )
    return flags
