"""Funds: income by source (党费补、部门扶、企业帮、收益提), spending by project within the balance, the
public summary.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum

from gongzhi.core import approvals
from gongzhi.core.errors import DomainError
from gongzhi.core.events import emit
from gongzhi.org.models import Unit

from .. import contracts
from .. import permissions as ap
from ..contracts import AllianceError
from ..models import Alliance, FundEntry, ListItem
from .common import _alliance_ref, _require_active, _text, _today


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError("金额必须是数字（元，最多两位小数）", field="amount") from None
    if amount <= 0:
        raise DomainError("金额必须大于0", field="amount")
    if amount >= Decimal("1e10"):
        raise DomainError("金额过大", field="amount")
    return amount


def balance(alliance: Alliance) -> Decimal:
    sums = dict(FundEntry.objects.filter(alliance=alliance).values_list("direction").annotate(s=Sum("amount")))
    return _q2((sums.get("income") or Decimal("0")) - (sums.get("spending") or Decimal("0")))


def _q2(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


@transaction.atomic
def record_income(
    alliance: Alliance,
    *,
    source: str,
    amount,
    on: dt.date | None = None,
    unit: Unit | None = None,
    note: str = "",
    actor,
) -> FundEntry:
    ap.require(actor, ap.MANAGE, alliance)
    _require_active(alliance)
    if source not in FundEntry.Source.values:
        raise DomainError("经费来源必须是党费补、部门扶、企业帮或收益提", field="source")
    entry = FundEntry.objects.create(
        alliance=alliance,
        direction=FundEntry.Direction.INCOME,
        source=source,
        amount=_amount(amount),
        entered_on=_today(on),
        unit=unit,
        note=_text(note, "note", "摘要", 200, False),
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _emit_fund(entry, actor)
    return entry


@transaction.atomic
def record_spending(
    alliance: Alliance, *, project: ListItem, amount, on: dt.date | None = None, note: str, actor
) -> FundEntry:
    """Spending is by project and within means: never beyond the balance."""
    ap.require(actor, ap.MANAGE, alliance)
    _require_active(alliance)
    Alliance.objects.select_for_update(of=("self",), no_key=True).filter(pk=alliance.pk).first()
    if project is None or project.alliance_id != alliance.pk or project.kind != ListItem.Kind.PROJECT:
        raise DomainError("支出须列支到本联合体项目清单中的项目", field="project")
    amount = _amount(amount)
    bal = balance(alliance)
    if amount > bal:
        raise DomainError(
            f"余额不足：当前余额{bal}元，支出{amount}元（量力而行，不得超支）",
            field="amount",
            code=AllianceError.INSUFFICIENT_FUNDS,
        )
    # 三重一大: a spending above the threshold needs an approved large-spending matter (gongzhi.councils)
    approvals.require_approved(
        "large_spending", ("alliance_fund", alliance.code), amount, actor=actor, region=alliance.region
    )
    entry = FundEntry.objects.create(
        alliance=alliance,
        direction=FundEntry.Direction.SPENDING,
        project=project,
        amount=amount,
        entered_on=_today(on),
        note=_text(note, "note", "用途摘要", 200),
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _emit_fund(entry, actor)
    return entry


def _emit_fund(entry: FundEntry, actor) -> None:
    a = entry.alliance
    emit(
        contracts.FUND_RECORDED,
        aggregate_type="alliance",
        aggregate_id=a.code,
        region=a.region,
        actor=actor,
        payload={
            **_alliance_ref(a),
            "direction": entry.direction,
            "source": entry.source,
            "project": entry.project.title if entry.project_id else "",
            "amount": str(entry.amount),
            "on": entry.entered_on.isoformat(),
            "balance": str(balance(a)),
        },
    )


def fund_summary(alliance: Alliance) -> dict:
    """The public summary: income by source, spending by project, balance."""
    income = {s: Decimal("0.00") for s in FundEntry.Source.values}
    for source, total in (
        FundEntry.objects.filter(alliance=alliance, direction="income").values_list("source").annotate(t=Sum("amount"))
    ):
        income[source] = _q2(total)
    spending = list(
        FundEntry.objects.filter(alliance=alliance, direction="spending")
        .values("project__title")
        .annotate(total=Sum("amount"))
        .order_by("-total")
    )
    for r in spending:
        r["total"] = _q2(r["total"])
    total_in = sum(income.values(), Decimal("0"))
    total_out = sum((r["total"] for r in spending), Decimal("0"))
    labels = dict(FundEntry.Source.choices)
    return {
        "income": [{"source": s, "label": str(labels[s]), "total": income[s]} for s in FundEntry.Source.values],
        "spending": [{"project": r["project__title"], "total": r["total"]} for r in spending],
        "total_income": total_in,
        "total_spending": total_out,
        "balance": total_in - total_out,
    }
