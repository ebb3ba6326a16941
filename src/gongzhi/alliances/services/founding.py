"""Founding an alliance: a lead unit applies, the township/street party committee (or a higher one)
approves or rejects.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from gongzhi.core.errors import Conflict, DomainError
from gongzhi.core.events import emit
from gongzhi.org.models import Unit

from .. import contracts
from .. import permissions as ap
from ..models import Alliance, AllianceKind, AllianceMember
from .common import M, _alliance_ref, _check_approver, _text, _today, approving_unit_for
from .meetings import generate_meetings
from .membership import _cap_check


def _next_code(region) -> str:
    prefix = f"LHT-{region.code}-"
    n = Alliance.objects.filter(code__startswith=prefix).count() + 1
    while Alliance.objects.filter(code=f"{prefix}{n:03d}").exists():
        n += 1
    return f"{prefix}{n:03d}"


@transaction.atomic
def apply_alliance(
    *,
    lead_unit: Unit,
    kind: str,
    name: str,
    purpose: str,
    members: list[Unit],
    initial_needs: str = "",
    partner_province: str = "",
    partner_unit_name: str = "",
    actor,
    on: dt.date | None = None,
) -> Alliance:
    """A lead unit applies to found an alliance."""
    ap.require(actor, ap.APPLY, lead_unit)
    if kind not in AllianceKind.values:
        raise DomainError(f"联合体类型必须是：{'、'.join(str(label) for label in AllianceKind.labels)}", field="kind")
    name = _text(name, "name", "联合体名称", 120)
    purpose = _text(purpose, "purpose", "组建目的", 1000)
    initial_needs = _text(initial_needs, "initial_needs", "初步需求", 1000, required=False)
    members = [u for u in dict.fromkeys(members) if u.pk != lead_unit.pk]
    if not members:
        raise DomainError("请至少提出一个拟加入的成员单位（联合体由两个以上单位组成）", field="members")
    if kind == AllianceKind.CROSS_REGION:
        partner_province = _text(partner_province, "partner_province", "外省结对单位所在省份", 40)
        partner_unit_name = _text(partner_unit_name, "partner_unit_name", "外省结对单位名称", 120)
    for u in [lead_unit, *members]:
        if u.status != Unit.Status.ESTABLISHED:
            raise DomainError(f"{u.name}尚未成立或已撤销，不能加入联合体", field="members")
        # A unit already at 3 alliances cannot be proposed: the special approval is for individual joins.
        _cap_check(u, actor=actor)
    on = _today(on)
    alliance = Alliance.objects.create(
        code=_next_code(lead_unit.region),
        name=name,
        kind=kind,
        purpose=purpose,
        initial_needs=initial_needs,
        lead_unit=lead_unit,
        region=lead_unit.region,
        partner_province=partner_province.strip(),
        partner_unit_name=partner_unit_name.strip(),
        applied_on=on,
        applied_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    alliance.proposed_members.set(members)
    emit(
        contracts.APPLIED,
        aggregate_type="alliance",
        aggregate_id=alliance.code,
        region=alliance.region,
        actor=actor,
        payload={**_alliance_ref(alliance), "lead_unit": lead_unit.code, "members": [u.code for u in members]},
    )
    return alliance


@transaction.atomic
def decide_application(
    alliance: Alliance,
    *,
    approve: bool,
    reason: str = "",
    approver_unit: Unit | None = None,
    actor,
    on: dt.date | None = None,
) -> Alliance:
    """The township/street party committee (or a higher one) approves or rejects, with a reason."""
    ap.require(actor, ap.APPROVE, alliance)
    alliance = Alliance.objects.select_for_update(of=("self",), no_key=True).get(pk=alliance.pk)
    if alliance.status != Alliance.Status.APPLIED:
        raise Conflict(f"该申请已处理（{alliance.get_status_display()}），不能重复审批")
    approver_unit = approver_unit or approving_unit_for(alliance.region)
    if approver_unit is None:
        raise DomainError("请选择审批党组织", field="approver_unit")
    _check_approver(approver_unit, alliance.region, "成立党建联合体")
    reason = _text(reason, "reason", "不予批准的理由" if not approve else "审批意见", 300, required=not approve)
    on = _today(on)
    members = list(alliance.proposed_members.all())
    if approve:
        for u in [alliance.lead_unit, *members]:
            _cap_check(u, actor=actor)
    alliance.status = Alliance.Status.ESTABLISHED if approve else Alliance.Status.REJECTED
    alliance.approver_unit = approver_unit
    alliance.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    alliance.decided_on = on
    alliance.decision_reason = reason
    if approve:
        alliance.established_on = on
        AllianceMember.objects.create(
            alliance=alliance,
            unit=alliance.lead_unit,
            role=AllianceMember.Role.LEAD,
            via=AllianceMember.Via.FOUNDING,
            status=M.ACTIVE,
            requested_on=alliance.applied_on,
            joined_on=on,
        )
        for u in members:
            AllianceMember.objects.create(
                alliance=alliance,
                unit=u,
                via=AllianceMember.Via.FOUNDING,
                status=M.ACTIVE,
                requested_on=alliance.applied_on,
                joined_on=on,
            )
    alliance.version += 1
    alliance.save()
    emit(
        contracts.APPROVED if approve else contracts.REJECTED,
        aggregate_type="alliance",
        aggregate_id=alliance.code,
        region=alliance.region,
        actor=actor,
        payload={
            **_alliance_ref(alliance),
            "approver": approver_unit.name,
            "reason": reason,
            "decided_on": on.isoformat(),
            "members": [alliance.lead_unit.code, *[u.code for u in members]] if approve else [],
        },
    )
    if approve:
        generate_meetings(alliance, on.year)
    return alliance
