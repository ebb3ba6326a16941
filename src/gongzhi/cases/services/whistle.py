"""Whistle and report (吹哨报到): the street summons the departments a request needs; each
acknowledges (报到) within its time limit and then reports what it did.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.models import Region
from gongzhi.org.kinds import SlaClass, UnitKind
from gongzhi.org.models import Unit

from .. import perms, sla
from ..models import OPEN_STATES, State, Summons, Whistle
from .transitions import _load, _record, now

# A department summoned by a whistle must acknowledge (报到) within these hours.
WHISTLE_ACK_HOURS = {SlaClass.EMERGENCY: 1, SlaClass.UTILITIES: 4, SlaClass.GENERAL: 24, SlaClass.COMPLEX: 24}


@transaction.atomic
def blow_whistle(actor, req, *, departments: list[str], reason: str) -> Whistle:
    """The street summons the departments concerned; each must report within its time limit."""
    req = _load(req)
    perms.require(actor, perms.WHISTLE, req)
    if req.state not in OPEN_STATES:
        raise DomainError(
            gettext("诉求%(number)s当前为“%(state)s”，不能吹哨")
            % {"number": req.number, "state": State(req.state).label},
            code=CoreError.INVALID_STATE,
            field="action",
        )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(gettext("吹哨须说明事由"), field="reason")
    codes = [c for c in dict.fromkeys(departments or []) if c]
    if not codes:
        raise DomainError(gettext("请选择至少一个需要报到的部门"), field="departments")
    units = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in units]
    if missing:
        raise DomainError(gettext("部门不存在：%(codes)s") % {"codes": "、".join(missing)}, field="departments")
    not_dept = [u.name for u in units.values() if u.kind != UnitKind.DEPARTMENT]
    if not_dept:
        raise DomainError(
            gettext("只能召集政府部门报到：%(names)s不是部门") % {"names": "、".join(not_dept)}, field="departments"
        )
    street = req.region.ancestor_at(Region.Level.STREET)
    at = now()
    w = Whistle.objects.create(
        request=req,
        street=street,
        blown_by=actor if getattr(actor, "is_authenticated", False) else None,
        blown_at=at,
        reason=reason,
    )
    act_due = req.due_at or sla.due_at(req.sla, at)
    ack = dt.timedelta(hours=WHISTLE_ACK_HOURS.get(req.sla, 24))
    for c in codes:
        Summons.objects.create(whistle=w, department=units[c], ack_due=at + ack, act_due=max(act_due, at + ack))
    _record(
        actor,
        req,
        "whistle",
        req.state,
        req.state,
        reason=reason,
        at=at,
        data={"departments": codes, "street": street.code if street else None},
    )
    return w


@transaction.atomic
def report(actor, summons_id: int, *, step: str, note: str = "", expected_version=None) -> Summons:
    """报到: a summoned department acknowledges (``step="acknowledge"``), then acts (``step="act"``)."""
    s = Summons.objects.select_related("whistle__request__region", "department").filter(pk=summons_id).first()
    if s is None:
        raise NotFound(gettext("召集记录%(summons_id)s不存在") % {"summons_id": summons_id})
    if not perms.can(actor, perms.HANDLE, unit=s.department, region=s.department.region):
        raise Forbidden(gettext("只有%(name)s的工作人员可以报到") % {"name": s.department.name})
    at = now()
    if step == "acknowledge":
        if s.acknowledged_at:
            raise DomainError(
                gettext("%(unit)s已于%(at)s报到")
                % {"unit": s.department.name, "at": f"{timezone.localtime(s.acknowledged_at):%m-%d %H:%M}"},
                code=CoreError.INVALID_STATE,
                field="step",
            )
        fields = {"acknowledged_at": at}
    elif step == "act":
        if not s.acknowledged_at:
            raise DomainError(
                gettext("请先报到（确认接收），再反馈处置情况"), code=CoreError.INVALID_STATE, field="step"
            )
        if s.acted_at:
            raise DomainError(gettext("已反馈过处置情况"), code=CoreError.INVALID_STATE, field="step")
        if not (note or "").strip():
            raise DomainError(gettext("请填写处置情况"), field="note")
        fields = {"acted_at": at, "note": note.strip()}
    else:
        raise DomainError(gettext("step 须为 acknowledge 或 act"), field="step")
    version = s.version if expected_version is None else expected_version
    if Summons.objects.filter(pk=s.pk, version=version).update(version=F("version") + 1, **fields) == 0:
        raise Conflict(gettext("报到记录已被他人更新，请刷新后重试"))
    s.refresh_from_db()
    req = s.whistle.request
    late = at > (s.ack_due if step == "acknowledge" else s.act_due)
    _record(
        actor,
        req,
        "report",
        req.state,
        req.state,
        reason=note,
        unit=s.department,
        at=at,
        data={"department": s.department.code, "step": step, "late": late},
    )
    return s
