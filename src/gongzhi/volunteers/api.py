"""Volunteer endpoints of the JSON API (mounted at /api/v1/volunteers/)."""

import datetime as dt
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from gongzhi.core.apischema import ERRORS
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.idempotency import idempotent
from gongzhi.core.validation import Limit
from gongzhi.org.models import Unit

from . import services as V
from .models import CatalogueItem, ServiceRecord, TaskType, TimeBank

PREFIX = "volunteers"
router = Router(tags=["volunteers"])


class ClaimIn(Schema):
    task_type: str = Field(..., description="task type code")
    task_ref: str = Field(..., description="activity reference; one claim per volunteer and activity")
    title: str = ""
    organiser: str = Field(..., description="organising unit code")
    date: dt.date
    hours: Decimal


class ConfirmIn(Schema):
    accept: bool = True
    reason: str = ""


class RedeemIn(Schema):
    item: str = Field(..., description="catalogue item code")
    quantity: int = 1


class TransferIn(Schema):
    from_bank: str
    to_bank: str
    points: int


def volunteer_out(v) -> dict:
    today = dt.date.today()
    return {
        "id": v.pk,
        "name": v.person.name,
        "region": v.region.code,
        "bank": v.bank.code,
        "skills": v.skills,
        "status": v.status,
        "joined_on": v.joined_on,
        "certificates": [
            {
                "field": c.field,
                "level": c.level,
                "number": c.number,
                "expires_on": c.expires_on,
                "verified_by": c.verified_by.code,
                "valid": c.valid_on(today),
            }
            for c in v.certificates.select_related("verified_by")
        ],
        "balances": V.balances(v),
    }


def record_out(r: ServiceRecord) -> dict:
    return {
        "id": r.pk,
        "volunteer": r.volunteer_id,
        "task_type": r.task_type.code,
        "task_ref": r.task_ref,
        "title": r.title,
        "organiser": r.organiser.code,
        "date": r.date,
        "hours": str(r.hours),
        "points": r.points,
        "rule_version": r.rule.version if r.rule_id else None,
        "status": r.status,
        "reason": r.reason,
    }


@router.get("/", response={200: list[dict]})
def list_volunteers(request, limit: Limit = 200):
    return [volunteer_out(v) for v in V.visible_volunteers(request.user)[: max(1, min(limit, 1000))]]


@router.get("/{vid}", response={200: dict, **ERRORS})
def get_volunteer(request, vid: int):
    v = V.get_volunteer(request.user, vid)
    d = volunteer_out(v)
    d["movements"] = [
        {
            "entry": m.entry_id,
            "kind": m.entry.kind,
            "bank": m.account.bank.code,
            "amount": m.amount,
            "memo": m.entry.memo,
            "at": m.entry.created_at,
        }
        for m in V.movements_of(v)
    ]
    return 200, d


@router.post("/{vid}/claims", response={201: dict, **ERRORS})
@idempotent
def claim(request, vid: int, data: ClaimIn):
    v = V.get_volunteer(request.user, vid)
    tt = TaskType.objects.filter(code=data.task_type).first()
    if tt is None:
        raise DomainError(f"未知的服务类型：{data.task_type}", field="task_type")
    org = Unit.objects.filter(code=data.organiser).first()
    if org is None:
        raise DomainError(f"没有编码为{data.organiser}的单位", field="organiser")
    r = V.claim_service(
        request.user,
        v,
        task_type=tt,
        task_ref=data.task_ref,
        title=data.title,
        organiser=org,
        date=data.date,
        hours=data.hours,
    )
    return 201, record_out(r)


@router.post("/records/{rid}/confirm", response={200: dict, **ERRORS})
def confirm(request, rid: int, data: ConfirmIn):
    r = V.confirm_service(
        request.user, get_object_or_404(ServiceRecord, pk=rid), accept=data.accept, reason=data.reason
    )
    return 200, record_out(r)


@router.get("/catalogue/items", response={200: list[dict]})
def catalogue(request):
    return [
        {
            "code": i.code,
            "name": i.name,
            "bank": i.bank.code,
            "points": i.points,
            "stock": i.stock,
            "description": i.description,
        }
        for i in CatalogueItem.objects.filter(active=True).select_related("bank")
    ]


@router.post("/{vid}/redemptions", response={201: dict, **ERRORS})
@idempotent
def redeem(request, vid: int, data: RedeemIn):
    v = V.get_volunteer(request.user, vid)
    item = CatalogueItem.objects.filter(code=data.item).first()
    if item is None:
        raise NotFound(f"没有编码为{data.item}的兑换项目")
    r = V.redeem(request.user, v, item, quantity=data.quantity)
    return 201, {
        "id": r.pk,
        "item": item.code,
        "quantity": r.quantity,
        "points": r.points,
        "entry": r.entry_id,
        "balances": V.balances(v),
    }


@router.post("/{vid}/transfers", response={201: dict, **ERRORS})
@idempotent
def transfer(request, vid: int, data: TransferIn):
    v = V.get_volunteer(request.user, vid)
    banks = {b.code: b for b in TimeBank.objects.filter(code__in=[data.from_bank, data.to_bank])}
    for f in ("from_bank", "to_bank"):
        if getattr(data, f) not in banks:
            raise DomainError(f"没有编码为{getattr(data, f)}的时间银行", field=f)
    e = V.transfer(request.user, v, from_bank=banks[data.from_bank], to_bank=banks[data.to_bank], points=data.points)
    return 201, {"entry": e.pk, "balances": V.balances(v)}
