"""Helpers shared by the alliance use cases: dates, text input, the alliance reference in
event payloads, the approving party organisation, and the checks that an alliance is established
and a unit is on its roll.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from gongzhi.consult.contracts import ConsultError
from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import DomainError
from gongzhi.org.models import Unit

from ..contracts import AllianceError
from ..models import APPROVING_PARTY_KINDS, Alliance, AllianceMember

M = AllianceMember.Status


def _today(on: dt.date | None) -> dt.date:
    return on or timezone.localdate()


def _text(value, field: str, label: str, max_len: int = 300, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"请填写{label}", field=field)
    if len(value) > max_len:
        raise DomainError(f"{label}过长（最多{max_len}个字）", field=field)
    return value


def _alliance_ref(a: Alliance) -> dict:
    return {"code": a.code, "name": a.name, "kind": a.kind}


def approving_unit_for(region) -> Unit | None:
    """The township/street party committee of ``region`` (the default approver)."""
    street = region.ancestor_at("street")
    if street is None:
        return None
    return Unit.objects.filter(region=street, kind__in=["party_street", "party_township"]).first()


def _check_approver(approver_unit: Unit, alliance_region, what: str) -> None:
    if approver_unit.kind not in APPROVING_PARTY_KINDS:
        raise DomainError(
            f"{approver_unit.name}不是乡镇(街道)党(工)委或更高一级党组织，无权审批{what}",
            field="approver_unit",
            code=AllianceError.APPROVER_LEVEL,
        )
    if not alliance_region.path.startswith(approver_unit.region.path):
        raise DomainError(
            f"{approver_unit.name}不是{alliance_region.name}的上级党组织，无权审批{what}",
            field="approver_unit",
            code=AllianceError.APPROVER_LEVEL,
        )


def _require_active(alliance: Alliance) -> None:
    if alliance.status != Alliance.Status.ESTABLISHED:
        raise DomainError(
            f"{alliance.name}尚未成立或已撤销（{alliance.get_status_display()}）", code=CoreError.INVALID_STATE
        )


def is_member(alliance: Alliance, unit: Unit) -> bool:
    return AllianceMember.objects.filter(alliance=alliance, unit=unit, status=M.ACTIVE).exists()


def _require_member(alliance: Alliance, unit: Unit, field: str = "unit") -> None:
    if not is_member(alliance, unit):
        raise DomainError(f"{unit.name}不是{alliance.name}的在册成员单位", field=field, code=ConsultError.NOT_MEMBER)
