"""Mediation (老马工作室): a dispute between residents, its sessions and its outcome."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext

from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.core.events import emit
from gongzhi.core.models import Region
from gongzhi.org.models import Person

from .. import contracts, perms
from ..models import MediationCase, MediationParty, MediationSession, ServiceRequest
from .transitions import now


def _person(pid) -> Person:
    p = Person.objects.filter(pk=pid).first()
    if p is None:
        raise DomainError(gettext("人员%(pid)s不存在") % {"pid": pid}, field="lead")
    return p


@transaction.atomic
def open_mediation(
    actor,
    *,
    region: Region,
    title: str,
    lead: int,
    volunteers: list[int] = (),
    parties: list[dict] = (),
    request: ServiceRequest | None = None,
) -> MediationCase:
    if not perms.can(actor, perms.DISPATCH, region=region) and not perms.can(actor, perms.HANDLE, region=region):
        raise Forbidden(gettext("无权在%(name)s登记调解案件") % {"name": region.name})
    if not (title or "").strip():
        raise DomainError(gettext("请填写纠纷事由"), field="title")
    if len([p for p in parties if (p.get("name") or "").strip()]) < 2:
        raise DomainError(gettext("调解案件至少需要两方当事人"), field="parties")
    case = MediationCase.objects.create(
        request=request, region=region, title=title.strip()[:120], lead=_person(lead), opened_at=now()
    )
    if volunteers:
        case.volunteers.set([_person(v) for v in volunteers])
    for p in parties:
        if (p.get("name") or "").strip():
            MediationParty.objects.create(
                case=case, name=p["name"].strip()[:40], phone=p.get("phone", "")[:20], role=p.get("role", "")[:20]
            )
    emit(
        contracts.MEDIATION_OPENED,
        aggregate_type="mediation",
        aggregate_id=case.pk,
        payload={"title": case.title, "region": region.code, "personal": {"parties": [p.get("name") for p in parties]}},
        region=region,
        actor=actor,
    )
    return case


@transaction.atomic
def add_session(actor, case: MediationCase, *, at: dt.datetime, place: str = "", notes: str = "") -> MediationSession:
    if not perms.can(actor, perms.HANDLE, region=case.region):
        raise Forbidden(gettext("无权记录调解"))
    if case.closed_at:
        raise DomainError(gettext("调解案件已结案"), code=CoreError.INVALID_STATE)
    return MediationSession.objects.create(case=case, at=at, place=place, notes=notes)


@transaction.atomic
def close_mediation(
    actor, case: MediationCase, *, outcome: str, agreement: str = "", expected_version=None
) -> MediationCase:
    if not perms.can(actor, perms.HANDLE, region=case.region):
        raise Forbidden(gettext("无权结案"))
    if outcome not in (MediationCase.Outcome.AGREEMENT, MediationCase.Outcome.PARTIAL, MediationCase.Outcome.FAILED):
        raise DomainError(gettext("调解结果须为达成协议、部分达成或调解不成"), field="outcome")
    if outcome != MediationCase.Outcome.FAILED and not (agreement or "").strip():
        raise DomainError(gettext("达成协议时须填写协议内容"), field="agreement")
    version = case.version if expected_version is None else expected_version
    if (
        MediationCase.objects.filter(pk=case.pk, version=version, closed_at__isnull=True).update(
            version=F("version") + 1, outcome=outcome, agreement=agreement.strip(), closed_at=now()
        )
        == 0
    ):
        raise Conflict(gettext("调解案件已被他人更新或已结案，请刷新后重试"))
    case.refresh_from_db()
    emit(
        contracts.MEDIATION_CLOSED,
        aggregate_type="mediation",
        aggregate_id=case.pk,
        payload={"outcome": outcome, "region": case.region.code},
        region=case.region,
        actor=actor,
    )
    return case
