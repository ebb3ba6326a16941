"""The dispatcher's and the handling unit's steps on a request: accept, dispatch (by the
responsibility list or by hand), start, return, resolve, the reporter's confirmation and reopening,
follow-up visits, close, cancel, "not ours", escalation (by hand and when overdue) and merging.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from gongzhi.core import phrases
from gongzhi.core.actors import SYSTEM
from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.core.models import Region
from gongzhi.core.phrases import phrase
from gongzhi.org import responsibility
from gongzhi.org.kinds import UnitKind
from gongzhi.org.models import Unit

from .. import perms, sla, wording
from ..contracts import CasesError
from ..models import FollowUp, Rating, ServiceRequest, State
from . import pushdown
from .transitions import _category, _load, _move, _record, actor_label, as_reporter, now, stricter


def _dispatch_to(actor, req, unit: Unit, reason: str, routing: dict, sla_class: str, *, at=None) -> None:
    at = at or now()
    fields = {"handling_unit": unit, "routing_reason": reason, "routing": routing}
    if req.sla_started_at is None or req.state == State.REOPENED:
        fields.update(sla=sla_class, sla_started_at=at, due_at=sla.due_at(sla_class, at), overdue_escalated_at=None)
    _move(actor, req, "dispatch", reason=reason, unit=unit, at=at, data={"unit_name": unit.name}, **fields)


def route(req: ServiceRequest, category: str | None = None):
    """The responsibility-list decision for a request (without changing it)."""
    cat = _category(category) if category else req.category
    if cat is None:
        raise DomainError(gettext("请先选择事项类别"), field="category")
    return responsibility.resolve(cat.code, grid=req.grid)


@transaction.atomic
def accept(actor, req, *, expected_version=None, reason: str = "") -> ServiceRequest:
    req = _load(req)
    perms.require(actor, perms.DISPATCH, req)
    _move(actor, req, "accept", expected_version=expected_version, reason=reason)
    return req


@transaction.atomic
def dispatch(
    actor, req, *, category: str | None = None, unit: str | None = None, reason: str = "", expected_version=None
) -> ServiceRequest:
    """Dispatch to the unit the responsibility list names (or, with ``unit``, to a unit chosen by hand).

    Either way the unit must hold the powers the matter needs (the power list). By hand, a unit other than
    the listed one needs a reason, and a unit below the listed one is a push-down: recorded and left
    waiting for the receiving unit's consent or a higher approval (``req.pending_pushdown`` is set; the
    request stays with the dispatcher), see :mod:`.pushdown`."""
    req = _load(req)
    perms.require(actor, perms.DISPATCH, req)
    if expected_version is not None and req.version != expected_version:
        raise Conflict(gettext("诉求%(number)s已被他人处理，请刷新后重试") % {"number": req.number})
    waiting = pushdown.pending(req)
    if waiting is not None:
        raise DomainError(
            gettext("诉求%(number)s正等待%(unit)s同意或上级审批下派，请先撤回该下派申请")
            % {"number": req.number, "unit": waiting.to_unit.name},
            field="action",
            code=CasesError.PUSHDOWN_PENDING,
        )
    cat = _category(category) if category else req.category
    if cat is None:
        raise DomainError(gettext("请先选择事项类别再派单"), field="category")
    if cat.pk != req.category_id:
        ServiceRequest.objects.filter(pk=req.pk).update(category=cat)
        req.category = cat
    reason = (reason or "").strip()
    if unit:
        target = Unit.objects.select_related("region").filter(code=unit, status=Unit.Status.ESTABLISHED).first()
        if target is None:
            raise DomainError(gettext("承办单位%(unit)s不存在或已撤销") % {"unit": unit}, field="unit")
        d = pushdown.list_decision(req, cat)
        # the unit the list names, when the hand-picked one is another
        listed = d.unit if d is not None and d.unit.pk != target.pk else None
        if listed is not None and not reason:
            raise DomainError(
                gettext("权责清单规定由%(listed)s承办，改派%(target)s须说明理由")
                % {"listed": listed.name, "target": target.name},
                field="reason",
                code=CasesError.REASON_REQUIRED,
            )
        pushdown.check_power(target, cat, req.region)
        if req.state == State.SUBMITTED:
            _move(actor, req, "accept", reason="")
        if listed is not None and pushdown.is_pushdown(target, listed):
            req.pending_pushdown = pushdown.request_pushdown(actor, req, cat, listed, target, reason)
            return req
        parts = [phrase(wording.MANUAL, actor=actor_label(actor), unit=target.name)]
        routing = {"unit": {"code": target.code, "name": target.name}, "manual": True}
        if listed is not None:
            parts.insert(0, phrase(wording.LISTED, unit=listed.name))
            routing["listed_unit"] = {"code": listed.code, "name": listed.name}
        parts = wording.with_reason(parts, reason)
        routing["reasons"] = wording.data(parts)
        _dispatch_to(actor, req, target, phrases.render_all(parts), routing, cat.default_sla)
    else:
        d = responsibility.resolve(cat.code, grid=req.grid)
        pushdown.check_power(d.unit, cat, req.region)
        if req.state == State.SUBMITTED:
            _move(actor, req, "accept", reason="")
        parts = wording.with_reason(d.reasons, reason)
        routing = {**d.as_dict(), "reasons": wording.data(parts)}
        _dispatch_to(actor, req, d.unit, phrases.render_all(parts), routing, stricter(d.sla, cat.default_sla))
    req.pending_pushdown = None
    return req


def _acting_unit(actor, req) -> Unit | None:
    for r in perms.roles(actor):
        if req.handling_unit_id and req.handling_unit.path.startswith(r.unit.path):
            return r.unit
    return None


@transaction.atomic
def start(actor, req, *, expected_version=None, note: str = "") -> ServiceRequest:
    req = _load(req)
    perms.require(actor, perms.HANDLE, req)
    _move(actor, req, "start", expected_version=expected_version, reason=note, unit=req.handling_unit)
    return req


@transaction.atomic
def return_to_dispatcher(actor, req, *, reason: str, expected_version=None) -> ServiceRequest:
    """回退: the handling unit sends the request back to the dispatcher, saying why."""
    req = _load(req)
    perms.require(actor, perms.HANDLE, req)
    _move(actor, req, "return", reason=reason, expected_version=expected_version, unit=req.handling_unit)
    return req


@transaction.atomic
def resolve(actor, req, *, resolution: str, expected_version=None) -> ServiceRequest:
    req = _load(req)
    perms.require(actor, perms.HANDLE, req)
    resolution = (resolution or "").strip()
    if not resolution:
        raise DomainError(gettext("请填写办理结果"), field="resolution")
    at = now()
    _move(
        actor,
        req,
        "resolve",
        reason=resolution,
        expected_version=expected_version,
        unit=req.handling_unit,
        at=at,
        resolution=resolution,
        resolved_at=at,
        data={"on_time": bool(req.due_at is None or at <= req.due_at)},
    )
    return req


def _may_speak_for_reporter(actor, req, token: str | None) -> bool:
    if token and token == req.token:
        return True
    if getattr(actor, "is_authenticated", False) and req.reporter_user_id == actor.pk:
        return True
    return perms.can(actor, perms.DISPATCH, req) or perms.can(actor, perms.INTAKE, req)


@transaction.atomic
def confirm(
    actor, req, *, rating: str, fixed: bool = True, comment: str = "", token: str | None = None, expected_version=None
) -> ServiceRequest:
    """The resident rates the outcome; "not really fixed" reopens the request."""
    req = _load(req)
    if not _may_speak_for_reporter(actor, req, token):
        raise Forbidden(gettext("只有诉求人（或代为回访的工作人员）可以评价"))
    actor = as_reporter(actor, req, token)
    if rating not in Rating.values:
        raise DomainError(gettext("请选择满意、基本满意或不满意"), field="rating")
    _move(
        actor,
        req,
        "confirm",
        reason=comment,
        expected_version=expected_version,
        rating=rating,
        fixed=fixed,
        data={"rating": rating, "fixed": fixed},
    )
    if not fixed:
        _move(actor, req, "reopen", reason=comment or "居民反映问题未解决", overdue_escalated_at=None)
    return req


@transaction.atomic
def record_followup(actor, req, *, fixed: bool, rating: str = "", note: str = "") -> FollowUp:
    """A follow-up visit (回访). "Not really fixed" reopens the request."""
    req = _load(req)
    if not (perms.can(actor, perms.DISPATCH, req) or perms.can(actor, perms.HANDLE, req)):
        raise Forbidden(gettext("无权回访此诉求"))
    if req.state not in (State.RESOLVED, State.CONFIRMED, State.CLOSED):
        raise DomainError(gettext("只能回访已办结的诉求"), code=CoreError.INVALID_STATE, field="action")
    if rating and rating not in Rating.values:
        raise DomainError(gettext("请选择满意、基本满意或不满意"), field="rating")
    f = FollowUp.objects.create(
        request=req,
        by=actor if getattr(actor, "is_authenticated", False) else None,
        at=now(),
        rating=rating,
        fixed=fixed,
        note=note,
    )
    _record(actor, req, "followup", req.state, req.state, reason=note, at=f.at, data={"fixed": fixed, "rating": rating})
    if rating and not req.rating:
        ServiceRequest.objects.filter(pk=req.pk).update(rating=rating, fixed=fixed)
        req.refresh_from_db()
    if not fixed:
        _move(actor, req, "reopen", reason=note or "回访发现问题未解决", overdue_escalated_at=None, fixed=False)
    return f


@transaction.atomic
def reopen(actor, req, *, reason: str, token: str | None = None, expected_version=None) -> ServiceRequest:
    """重办: back to the dispatcher with a fresh time limit."""
    req = _load(req)
    if not _may_speak_for_reporter(actor, req, token):
        raise Forbidden(gettext("无权重办此诉求"))
    actor = as_reporter(actor, req, token)
    _move(actor, req, "reopen", reason=reason, expected_version=expected_version, overdue_escalated_at=None)
    return req


@transaction.atomic
def close(actor, req, *, reason: str = "", expected_version=None) -> ServiceRequest:
    req = _load(req)
    perms.require(actor, perms.DISPATCH, req)
    _move(actor, req, "close", reason=reason, expected_version=expected_version)
    return req


@transaction.atomic
def cancel(actor, req, *, reason: str = "", token: str | None = None, expected_version=None) -> ServiceRequest:
    req = _load(req)
    if not _may_speak_for_reporter(actor, req, token):
        raise Forbidden(gettext("无权撤销此诉求"))
    actor = as_reporter(actor, req, token)
    _move(actor, req, "cancel", reason=reason, expected_version=expected_version)
    return req


@transaction.atomic
def not_ours(actor, req, *, reason: str, expected_version=None) -> ServiceRequest:
    req = _load(req)
    perms.require(actor, perms.DISPATCH, req)
    _move(actor, req, "not_ours", reason=reason, expected_version=expected_version)
    return req


def level_above(unit: Unit, region: Region) -> Unit | None:
    """The handling unit one level up from ``unit`` (a department escalates to the district government)."""
    if unit.kind == UnitKind.DEPARTMENT:
        target = unit.region
        candidate = responsibility.handling_unit(target)
        if candidate is not None and candidate.pk != unit.pk:
            return candidate
        target = unit.region.parent
    else:
        target = unit.region.parent
    while target is not None:
        candidate = responsibility.handling_unit(target)
        if candidate is not None:
            return candidate
        target = target.parent
    return None


@transaction.atomic
def escalate(actor, req, *, reason: str, expected_version=None, auto: bool = False) -> ServiceRequest:
    req = _load(req)
    perms.require(actor, perms.DISPATCH, req)
    base = req.handling_unit
    if base is None:
        street = req.region.ancestor_at(Region.Level.STREET)
        base = responsibility.handling_unit(street) if street else None
        target = base
    else:
        target = level_above(base, req.region)
    if target is None:
        raise DomainError(
            gettext("诉求%(number)s已在最高层级，无法再升级") % {"number": req.number},
            code=CasesError.TOP_LEVEL,
            field="action",
        )
    parts = wording.with_reason(
        [phrase(wording.ESCALATED, base=base.name if base else "—", target=target.name)], reason
    )
    fields = {
        "handling_unit": target,
        "escalation_level": req.escalation_level + 1,
        "routing_reason": phrases.render_all(parts),
        "routing": {**(req.routing or {}), "reasons": wording.data(parts)},
    }
    if auto:
        fields["overdue_escalated_at"] = now()
    _move(
        actor,
        req,
        "escalate",
        reason=reason,
        expected_version=expected_version,
        unit=target,
        data={"unit_name": target.name, "auto": auto},
        **fields,
    )
    return req


@transaction.atomic
def merge(actor, dup, primary, *, reason: str = "", expected_version=None) -> ServiceRequest:
    """Merge ``dup`` into ``primary``; the reporter of ``dup`` keeps getting ``primary``'s updates."""
    dup, primary = _load(dup), _load(primary)
    perms.require(actor, perms.DISPATCH, dup)
    perms.require(actor, perms.DISPATCH, primary)
    if dup.pk == primary.pk:
        raise DomainError(gettext("不能把诉求合并到它自己"), field="primary")
    if primary.state in (State.MERGED, State.CANCELLED, State.NOT_OURS):
        raise DomainError(
            gettext("诉求%(number)s为“%(state)s”，不能作为合并目标")
            % {"number": primary.number, "state": State(primary.state).label},
            field="primary",
        )
    if ServiceRequest.objects.filter(merged_into=dup).exists():
        ServiceRequest.objects.filter(merged_into=dup).update(merged_into=primary)
    _move(
        actor,
        dup,
        "merge",
        reason=reason or f"与{primary.number}重复",
        expected_version=expected_version,
        merged_into=primary,
        data={"into": primary.number},
    )
    return dup


def effective(req: ServiceRequest) -> ServiceRequest:
    """The request whose progress a reporter sees: the one it was merged into, if any."""
    seen = set()
    while req.merged_into_id and req.pk not in seen:
        seen.add(req.pk)
        req = ServiceRequest.objects.select_related("merged_into", "handling_unit", "category").get(
            pk=req.merged_into_id
        )
    return req


def escalate_overdue(at: dt.datetime | None = None) -> int:
    """Escalate every open request past its due time to the level above (once per due time)."""
    at = at or now()
    n = 0
    ids = list(
        ServiceRequest.objects.filter(
            state__in=[State.ACCEPTED, State.DISPATCHED, State.IN_PROGRESS, State.RETURNED, State.REOPENED],
            due_at__lt=at,
            overdue_escalated_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        req = ServiceRequest.objects.select_related("handling_unit__region", "region", "grid", "category").get(pk=pk)
        try:
            escalate(
                SYSTEM,
                req,
                reason=f"超过办理时限（{timezone.localtime(req.due_at):%Y-%m-%d %H:%M}）自动升级",
                auto=True,
            )
            n += 1
        except DomainError:
            ServiceRequest.objects.filter(pk=pk).update(overdue_escalated_at=at)
        except Conflict:
            continue
    return n
