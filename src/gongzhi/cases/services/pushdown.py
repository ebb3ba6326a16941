"""Push-downs (向基层下派) and the power check on every dispatch.

Seed 001 names the mismatch this guards against — "权小责大", "权力上收、责任下移" — and asks for
power/responsibility lists that fix who answers for what; seed 002 asks for street power and
responsibility lists "防止向基层增加负担、转嫁责任". So:

* a matter may be assigned (by the list or by hand) only to a unit that holds, where the matter is, every
  power its category needs (the power list, :func:`gongzhi.org.responsibility.missing_powers`); a unit
  lacking one is refused (``CasesError.LACKS_POWER``), whatever anyone consents to;
* a manual dispatch to a unit other than the one the responsibility list names needs a reason
  (``CasesError.REASON_REQUIRED``);
* when that unit stands lower than the listed one (a community below a street or a district department,
  a street below a department), it is a **push-down**: recorded (:class:`~gongzhi.cases.models.PushDown`,
  event ``cases.pushdown.requested``) and the request stays with the dispatcher until the receiving
  unit's own staff consent (:func:`consent`) or a dispatcher above the street approves (:func:`approve`);
  declined, refused or withdrawn, the request stays where it was. Each is counted per street
  (``cases.pushdowns``, :mod:`gongzhi.cases.figures`).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext

from gongzhi.core import phrases
from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.events import emit
from gongzhi.core.models import Region
from gongzhi.core.phrases import phrase
from gongzhi.org import responsibility
from gongzhi.org.models import MatterCategory, Unit

from .. import contracts, perms, wording
from ..contracts import CasesError
from ..models import PushDown, ServiceRequest, State
from .transitions import ACTIONS, actor_label, now


def check_power(unit: Unit, category: MatterCategory, region: Region) -> None:
    """Refuse ``unit`` for a matter of ``category`` in ``region`` when it lacks a power the matter needs."""
    missing = responsibility.missing_powers(unit, category, region)
    if missing:
        names = "、".join(p.name for p in missing)
        raise DomainError(
            gettext(
                "%(unit)s在%(region)s不具有“%(category)s”所需的%(powers)s权力（权力清单），不能承办此事项；"
                "权小责大的事项不得派给无权处置的单位，即使其同意"
            )
            % {"unit": unit.name, "region": region.name, "category": category.name, "powers": names},
            field="unit",
            code=CasesError.LACKS_POWER,
        )


def list_decision(req: ServiceRequest, category: MatterCategory) -> responsibility.Decision | None:
    """What the responsibility list says for the request (None when no unit can be found at all)."""
    try:
        return responsibility.resolve(category.code, grid=req.grid)
    except DomainError:
        return None


def is_pushdown(target: Unit, listed: Unit) -> bool:
    """A push-down: the chosen unit stands at a lower level than the one the list names."""
    return responsibility.unit_rank(target) > responsibility.unit_rank(listed)


def pending(req: ServiceRequest) -> PushDown | None:
    return PushDown.objects.filter(request=req, status=PushDown.Status.PENDING).first()


def _payload(pd: PushDown, **extra: object) -> dict:
    return {
        "number": pd.request.number,
        "region": pd.region.code,
        "street": pd.street.code if pd.street is not None else None,
        "category": pd.category.code,
        "listed_unit": pd.listed_unit.code,
        "to_unit": pd.to_unit.code,
        "pushdown": pd.pk,
        **extra,
    }


def request_pushdown(
    actor: Any, req: ServiceRequest, category: MatterCategory, listed: Unit, target: Unit, reason: str
) -> PushDown:
    """Record a push-down waiting for consent or approval (inside the dispatch's transaction)."""
    if not reason:
        raise DomainError(
            gettext("权责清单规定由%(listed)s承办，向下派至%(target)s须说明理由")
            % {"listed": listed.name, "target": target.name},
            field="reason",
            code=CasesError.REASON_REQUIRED,
        )
    pd = PushDown.objects.create(
        request=req,
        region=req.region,
        street=req.region.ancestor_at(Region.Level.STREET),
        category=category,
        listed_unit=listed,
        to_unit=target,
        reason=reason,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        requested_label=actor_label(actor),
        requested_at=now(),
    )
    emit(
        contracts.PUSHDOWN_REQUESTED,
        aggregate_type="service_request",
        aggregate_id=req.number,
        payload=_payload(pd, reason=reason),
        region=req.region,
        actor=actor,
    )
    return pd


def _load(pd: PushDown | int) -> PushDown:
    if isinstance(pd, PushDown):
        pk = pd.pk
    else:
        pk = pd
    found = (
        PushDown.objects.select_related(
            "request__grid",
            "request__region",
            "request__category",
            "region",
            "street",
            "category",
            "listed_unit",
            "to_unit__region",
            "listed_unit__region",
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound(gettext("下派记录%(pk)s不存在") % {"pk": pk}, field="pushdown")
    return found


def _decide(actor: Any, pd: PushDown, status: str, decision: str, note: str, expected_version: int | None) -> PushDown:
    if expected_version is not None and pd.version != expected_version:
        raise Conflict(gettext("此下派已被他人处理，请刷新后重试"))
    if pd.status != PushDown.Status.PENDING:
        raise DomainError(
            gettext("此下派已是“%(status)s”，不能再处理") % {"status": PushDown.Status(pd.status).label},
            field="action",
            code=CoreError.INVALID_STATE,
        )
    version = pd.version if expected_version is None else expected_version
    at = now()
    n = PushDown.objects.filter(pk=pd.pk, version=version, status=PushDown.Status.PENDING).update(
        status=status,
        decided_by=actor if getattr(actor, "is_authenticated", False) else None,
        decided_label=actor_label(actor),
        decided_at=at,
        decision_note=note,
        version=F("version") + 1,
    )
    if n == 0:
        raise Conflict(gettext("此下派已被他人处理，请刷新后重试"))
    pd.status, pd.decided_at, pd.decision_note, pd.version = status, at, note, version + 1
    pd.decided_label = actor_label(actor)
    emit(
        contracts.PUSHDOWN_DECIDED,
        aggregate_type="service_request",
        aggregate_id=pd.request.number,
        payload=_payload(pd, status=status, decision=decision, note=note),
        region=pd.region,
        actor=actor,
    )
    if status in (PushDown.Status.CONSENTED, PushDown.Status.APPROVED):
        _hand_over(actor, pd, decision)
    return pd


def _hand_over(actor: Any, pd: PushDown, decision: str) -> None:
    from .lifecycle import _dispatch_to

    req = ServiceRequest.objects.select_related("category", "region", "grid", "handling_unit").get(pk=pd.request_id)
    if req.state not in ACTIONS["dispatch"][0]:
        raise DomainError(
            gettext("诉求%(number)s当前为“%(state)s”，不能再派单")
            % {"number": req.number, "state": State(req.state).label},
            field="action",
            code=CoreError.INVALID_STATE,
        )
    # The power may have been withdrawn while the push-down waited.
    check_power(pd.to_unit, pd.category, pd.region)
    parts = [
        phrase(wording.LISTED, unit=pd.listed_unit.name),
        phrase(
            wording.PUSHDOWN,
            requester=pd.requested_label,
            unit=pd.to_unit.name,
            reason=pd.reason,
            how="consent" if decision == "consent" else "approve",
            decider=pd.decided_label,
        ),
    ]
    routing = {
        "unit": {"code": pd.to_unit.code, "name": pd.to_unit.name},
        "manual": True,
        "pushdown": pd.pk,
        "listed_unit": {"code": pd.listed_unit.code, "name": pd.listed_unit.name},
        "reasons": wording.data(parts),
    }
    _dispatch_to(actor, req, pd.to_unit, phrases.render_all(parts), routing, pd.category.default_sla)


@transaction.atomic
def consent(
    actor: Any, pd: PushDown | int, *, agree: bool, note: str = "", expected_version: int | None = None
) -> PushDown:
    """The receiving unit's own staff agree (the request is dispatched to it) or decline (it stays)."""
    pd = _load(pd)
    if not perms.may_consent(actor, pd):
        raise Forbidden(
            gettext("只有%(name)s本单位的工作人员可以表示是否同意接收") % {"name": pd.to_unit.name}, action=perms.HANDLE
        )
    note = (note or "").strip()
    if not agree and not note:
        raise DomainError(gettext("不同意接收须说明原因"), field="note")
    status = PushDown.Status.CONSENTED if agree else PushDown.Status.DECLINED
    return _decide(actor, pd, status, "consent", note, expected_version)


@transaction.atomic
def approve(
    actor: Any, pd: PushDown | int, *, approve: bool, note: str = "", expected_version: int | None = None
) -> PushDown:
    """A dispatcher above the street approves (the request is dispatched down) or refuses (it stays)."""
    pd = _load(pd)
    if not perms.may_approve(actor, pd):
        raise Forbidden(
            gettext("只有街道以上（区、市）的派单人员可以审批向基层下派，且不能审批自己的申请"),
            action=perms.DISPATCH,
        )
    note = (note or "").strip()
    if not approve and not note:
        raise DomainError(gettext("不批准须说明原因"), field="note")
    status = PushDown.Status.APPROVED if approve else PushDown.Status.REFUSED
    return _decide(actor, pd, status, "approval", note, expected_version)


@transaction.atomic
def withdraw(actor: Any, pd: PushDown | int, *, note: str = "", expected_version: int | None = None) -> PushDown:
    """The dispatcher takes a pending push-down back (the request stays with them, to dispatch by the list)."""
    pd = _load(pd)
    if not perms.may_withdraw(actor, pd):
        raise Forbidden(gettext("只有提出下派的人员或所在街道（及以上）的派单人员可以撤回"), action=perms.DISPATCH)
    return _decide(actor, pd, PushDown.Status.WITHDRAWN, "withdrawal", (note or "").strip(), expected_version)


def inbox(user: Any) -> dict[str, list[PushDown]]:
    """Pending push-downs ``user`` may consent to (as the receiving unit) or approve (above the street)."""
    qs = PushDown.objects.filter(status=PushDown.Status.PENDING).select_related(
        "request", "region", "street", "category", "listed_unit", "to_unit", "to_unit__region"
    )
    if not perms.perm.is_system(user):
        cond = Q(pk__in=[])
        for r in perms.roles(user):
            cond |= Q(to_unit__path__startswith=r.unit.path) | Q(region__path__startswith=r.region.path)
        qs = qs.filter(cond)
    rows = list(qs.order_by("requested_at")[:200])
    return {
        "consent": [p for p in rows if perms.may_consent(user, p)],
        "approve": [p for p in rows if perms.may_approve(user, p)],
    }
