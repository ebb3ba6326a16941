"""The request's state machine and what every use case shares: which action is allowed from which
state (:data:`ACTIONS`), the one way a request changes state (:func:`_move`, an ``UPDATE … WHERE
version = v``) and the transition row and domain event each change leaves (:func:`_record`); reading
a request; the lookups of intake and dispatch (category, grid).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError, NotFound
from gongzhi.core.events import emit
from gongzhi.org import responsibility
from gongzhi.org.kinds import SlaClass
from gongzhi.org.models import MatterCategory, Unit

from .. import contracts
from ..models import ServiceRequest, State, Transition

ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({State.SUBMITTED}), State.ACCEPTED),
    "dispatch": (frozenset({State.ACCEPTED, State.RETURNED, State.REOPENED, State.ESCALATED}), State.DISPATCHED),
    "start": (frozenset({State.DISPATCHED}), State.IN_PROGRESS),
    "return": (frozenset({State.DISPATCHED, State.IN_PROGRESS}), State.RETURNED),
    "resolve": (frozenset({State.DISPATCHED, State.IN_PROGRESS}), State.RESOLVED),
    "confirm": (frozenset({State.RESOLVED}), State.CONFIRMED),
    "close": (frozenset({State.RESOLVED, State.CONFIRMED}), State.CLOSED),
    "reopen": (frozenset({State.RESOLVED, State.CONFIRMED, State.CLOSED}), State.REOPENED),
    "escalate": (
        frozenset(
            {State.ACCEPTED, State.DISPATCHED, State.IN_PROGRESS, State.RETURNED, State.REOPENED, State.ESCALATED}
        ),
        State.ESCALATED,
    ),
    "merge": (frozenset({State.SUBMITTED, State.ACCEPTED, State.DISPATCHED, State.RETURNED}), State.MERGED),
    "not_ours": (frozenset({State.SUBMITTED, State.ACCEPTED, State.RETURNED}), State.NOT_OURS),
    "cancel": (frozenset({State.SUBMITTED, State.ACCEPTED}), State.CANCELLED),
}


# Each action's label (the request page's buttons, the timeline), in the reader's language.
ACTION_LABELS = {
    "submit": _("提交"),
    "accept": _("受理"),
    "dispatch": _("派单"),
    "start": _("开始办理"),
    "return": _("回退"),
    "resolve": _("办结"),
    "confirm": _("评价"),
    "close": _("关闭"),
    "reopen": _("重办"),
    "escalate": _("升级"),
    "merge": _("合并"),
    "not_ours": _("非本级职责"),
    "cancel": _("撤销"),
    "whistle": _("吹哨"),
    "report": _("报到"),
    "followup": _("回访"),
    "file_bypass": _("事后备案"),
}


REASON_REQUIRED = {"return", "escalate", "not_ours", "reopen", "merge"}


def now() -> dt.datetime:
    return timezone.now()


REPORTER_LABEL = "反映人"


class Reporter:
    """The resident who raised a request, speaking through its receipt token without logging in
    (rating, reopening, withdrawing): recorded as the reporter, never as the system."""

    is_authenticated = False
    is_reporter = True

    def __init__(self, req: ServiceRequest) -> None:
        self.request_id = req.pk


def as_reporter(actor: Any, req: ServiceRequest, token: str | None) -> Any:
    """``actor``, or :class:`Reporter` when an anonymous visitor holds the request's token."""
    if not getattr(actor, "is_authenticated", False) and token and token == req.token:
        return Reporter(req)
    return actor


def actor_label(actor) -> str:
    if getattr(actor, "is_reporter", False):
        return REPORTER_LABEL
    if not getattr(actor, "is_authenticated", False):  # the system
        return "系统"
    return actor.get_full_name() or actor.username


def get_request(number: str) -> ServiceRequest:
    req = (
        ServiceRequest.objects.select_related(
            "category", "region", "grid", "handling_unit", "handling_unit__region", "merged_into"
        )
        .filter(number=number)
        .first()
    )
    if req is None:
        raise NotFound(_("诉求%(number)s不存在") % {"number": number}, field="number")
    return req


def followers(req: ServiceRequest) -> list[str]:
    """Request numbers whose reporters follow ``req``: itself and every request merged into it."""
    return [req.number, *ServiceRequest.objects.filter(merged_into=req).values_list("number", flat=True)]


def _load(req: ServiceRequest | str) -> ServiceRequest:
    return get_request(req) if isinstance(req, str) else req


def _public_payload(req: ServiceRequest, **extra) -> dict:
    return {
        "number": req.number,
        "state": req.state,
        "category": req.category.code if req.category_id else None,
        "region": req.region.code,
        "grid": req.grid.code,
        "unit": req.handling_unit.code if req.handling_unit_id else None,
        **extra,
    }


def _record(
    actor,
    req: ServiceRequest,
    action: str,
    from_state: str,
    to_state: str,
    *,
    reason: str = "",
    unit: Unit | None = None,
    at: dt.datetime | None = None,
    data: dict | None = None,
) -> Transition:
    """Write the transition row and its domain event."""
    t = Transition.objects.create(
        request=req,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label(actor),
        unit=unit,
        reason=reason,
        at=at or now(),
        data=data or {},
    )
    emit(
        contracts.REQUEST_EVENTS[action],
        aggregate_type="service_request",
        aggregate_id=req.number,
        payload=_public_payload(
            req,
            action=action,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            followers=followers(req) if req.has_followers else [req.number],
            **(data or {}),
        ),
        region=req.region,
        actor=actor,
    )
    return t


def _move(
    actor,
    req: ServiceRequest,
    action: str,
    *,
    reason: str = "",
    expected_version: int | None = None,
    unit: Unit | None = None,
    data: dict | None = None,
    at: dt.datetime | None = None,
    **fields,
) -> None:
    """Apply a state transition (refused with the reason when not allowed from the current state)."""
    allowed_from, to_state = ACTIONS[action]
    if req.state not in allowed_from:
        ok = "、".join(str(State(s).label) for s in sorted(allowed_from))
        raise DomainError(
            _("诉求%(number)s当前为“%(state)s”，不能%(action)s（只能在以下状态%(action)s：%(states)s）")
            % {"number": req.number, "state": State(req.state).label, "action": ACTION_LABELS[action], "states": ok},
            code=CoreError.INVALID_STATE,
            field="action",
        )
    reason = (reason or "").strip()
    if action in REASON_REQUIRED and not reason:
        raise DomainError(_("%(action)s须说明原因") % {"action": ACTION_LABELS[action]}, field="reason")
    version = req.version if expected_version is None else expected_version
    at = at or now()
    n = ServiceRequest.objects.filter(pk=req.pk, version=version, state=req.state).update(
        state=to_state, version=F("version") + 1, updated_at=at, **fields
    )
    if n == 0:
        raise Conflict(_("诉求%(number)s已被他人处理，请刷新后重试") % {"number": req.number})
    from_state = req.state
    req.state, req.version, req.updated_at = to_state, version + 1, at
    for k, v in fields.items():
        setattr(req, k, v)
    _record(actor, req, action, from_state, to_state, reason=reason, unit=unit, at=at, data=data)


def _locate(lon, lat, grid_code):
    """(grid, lon, lat) from a grid code or a point; the grid (with its region) comes from the routing
    snapshot, so no query."""
    if grid_code:
        grid = responsibility.grid_by_code(grid_code)
        if grid is None:
            raise DomainError(_("网格%(code)s不存在") % {"code": grid_code}, field="grid", code=CoreError.INVALID)
        if lon is None or lat is None:
            lon, lat = grid.centroid_lon, grid.centroid_lat
        return grid, lon, lat
    if lon is None or lat is None:
        raise DomainError(_("请在地图上点选位置、填写经纬度或选择网格"), field="location")
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise DomainError(_("经纬度须为数字"), field="location") from None
    return responsibility.locate(lon, lat), lon, lat


def _category(code: str | None) -> MatterCategory | None:
    if not code:
        return None
    return responsibility.category(code)


SLA_ORDER = [SlaClass.EMERGENCY, SlaClass.UTILITIES, SlaClass.GENERAL, SlaClass.COMPLEX]


def stricter(a: str, b: str) -> str:
    """The shorter of two SLA classes (a list line for a major class must not loosen an emergency category)."""
    return min(a, b, key=SLA_ORDER.index)
