"""Who may do what with a request: the request actions, by role, registered in
:mod:`gongzhi.org.permissions` (the one permission table); region-scoped actions
are decided there, and ``handle`` adds the rule for the handling unit.

- ``intake``: record a request on someone's behalf (hotline, patrol).
- ``dispatch``: accept, route, dispatch, merge, escalate, close, mark "not ours".
- ``whistle``: blow the whistle (吹哨) — street cadres (and the district).
- ``handle``: act on a request dispatched to one's own unit (or a unit below it);
  street/community staff and grid workers also handle requests dispatched to
  the community or street units of their own area.
- ``bypass``: act at once in an emergency and file the record afterwards.
- Personal data (phone, ID number) is shown unmasked only to those who may
  ``handle`` or ``dispatch`` the request, and to the reporter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from .models import PushDown

from gongzhi.core.errors import Forbidden
from gongzhi.org import permissions as perm
from gongzhi.org.kinds import StaffRoleKind as R
from gongzhi.org.kinds import UnitKind

INTAKE = "case_intake"
DISPATCH = "case_dispatch"
WHISTLE = "case_whistle"
HANDLE = "case_handle"
BYPASS = "case_bypass"

CASE_ROLE_ACTIONS: dict[str, frozenset[str]] = {
    R.DISTRICT_ADMIN: frozenset({INTAKE, DISPATCH, WHISTLE, HANDLE}),
    R.STREET_CADRE: frozenset({INTAKE, DISPATCH, WHISTLE, HANDLE}),
    R.COMMUNITY_CADRE: frozenset({INTAKE, DISPATCH, HANDLE, BYPASS}),
    R.GRID_WORKER: frozenset({INTAKE, HANDLE, BYPASS}),
    R.DEPARTMENT_STAFF: frozenset({HANDLE}),
    R.AUDITOR: frozenset(),
}

LABELS = {
    INTAKE: _("代为登记诉求"),
    DISPATCH: _("受理派单"),
    WHISTLE: _("吹哨"),
    HANDLE: _("办理"),
    BYPASS: _("紧急先行处置"),
}

# registered in the one permission table from the app's manifest (apps.py)

# Roles that handle requests of their area by region (the others only by unit).
AREA_ROLES = {R.DISTRICT_ADMIN, R.STREET_CADRE, R.COMMUNITY_CADRE, R.GRID_WORKER}


def roles(user):
    return perm._roles(user)


def can(user, action: str, req=None, *, region=None, unit=None) -> bool:
    """May ``user`` do ``action`` on request ``req`` (or in ``region`` / for ``unit``)?"""
    if perm.is_system(user):
        return True
    if req is not None:
        region = req.region
        unit = req.handling_unit if unit is None else unit
    if action != HANDLE:
        return perm.allowed(user, action, region)
    for r in roles(user):
        if action not in CASE_ROLE_ACTIONS.get(r.role, ()):
            continue
        if unit is not None and unit.path.startswith(r.unit.path):
            return True
        if (
            r.role in AREA_ROLES
            and unit is not None
            and unit.kind != UnitKind.DEPARTMENT
            and unit.region.path.startswith(r.region.path)
        ):
            return True
        if unit is None and region is not None and r.role in AREA_ROLES and region.path.startswith(r.region.path):
            return True
    return False


def require(user, action: str, req=None, **kw) -> None:
    if not can(user, action, req, **kw):
        where = f"：{req.number}不在您的职责范围内" if req is not None else ""
        raise Forbidden(f"无权{LABELS.get(action, action)}{where}", action=action)


def sees_personal(user, req) -> bool:
    if user is not None and getattr(user, "is_authenticated", False) and req.reporter_user_id == user.pk:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return can(user, HANDLE, req) or can(user, DISPATCH, req)


def masked_contact(user, req) -> dict:
    see = sees_personal(user, req)
    return {
        "reporter_name": req.reporter_name if see or not req.reporter_name else req.reporter_name[:1] + "*",
        "reporter_phone": req.reporter_phone
        if see
        else perm.mask_phone(req.reporter_phone)
        if req.reporter_phone
        else "",
        "reporter_id_number": (
            req.reporter_id_number
            if see
            else perm.mask_id_number(req.reporter_id_number)
            if req.reporter_id_number
            else ""
        ),
        "masked": not see,
    }


def street_paths(user, action: str) -> list[str] | None:
    """Region path prefixes where ``user`` may do ``action`` (None: everywhere)."""
    if perm.is_system(user):
        return None
    return [r.region.path for r in roles(user) if action in CASE_ROLE_ACTIONS.get(r.role, ())]


# ----------------------------------------------------------------- push-downs (向基层下派)
# The receiving unit's consent comes from its own staff (a role held at that unit or within it), never from
# a street cadre who may handle the community's requests by area: the one pushing down cannot consent for
# the one pushed to. A higher level's approval comes from a dispatcher whose role sits above the street of
# the request (the district or the city), never from the one who asked.

ABOVE_STREET = ("city", "district")
# Who speaks for the receiving unit: its cadres (and a department's staff), not its grid workers.
CONSENT_ROLES = frozenset({R.DISTRICT_ADMIN, R.STREET_CADRE, R.COMMUNITY_CADRE, R.DEPARTMENT_STAFF})


def may_consent(user: Any, pushdown: PushDown) -> bool:
    if perm.is_system(user):
        return True
    if getattr(user, "pk", None) is not None and user.pk == pushdown.requested_by_id:
        return False
    unit = pushdown.to_unit
    return any(r.role in CONSENT_ROLES and r.unit.path.startswith(unit.path) for r in roles(user))


def may_approve(user: Any, pushdown: PushDown) -> bool:
    if perm.is_system(user):
        return True
    if getattr(user, "pk", None) is not None and user.pk == pushdown.requested_by_id:
        return False
    path = pushdown.region.path
    return any(
        DISPATCH in CASE_ROLE_ACTIONS.get(r.role, ())
        and r.region.level in ABOVE_STREET
        and path.startswith(r.region.path)
        for r in roles(user)
    )


def may_withdraw(user: Any, pushdown: PushDown) -> bool:
    """The one who asked, or a dispatcher of the street (or above) where the matter is."""
    if perm.is_system(user):
        return True
    if getattr(user, "pk", None) is not None and user.pk == pushdown.requested_by_id:
        return True
    where = pushdown.street or pushdown.region
    return any(
        DISPATCH in CASE_ROLE_ACTIONS.get(r.role, ()) and where.path.startswith(r.region.path) for r in roles(user)
    )
