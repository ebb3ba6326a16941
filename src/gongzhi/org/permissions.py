"""The one place that decides permissions.

A user holds roles (``StaffRole``) at units; each role allows a set of actions
within the region subtree of the unit it is held at. Every query for a place
goes through :func:`scope` and every change through :func:`require`.
The platform itself is the explicit actor ``core.actors.SYSTEM`` (the demo generator, migrations,
scheduled jobs, subscribers, operator commands) and is always allowed; ``None`` is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gongzhi.core import actors
from gongzhi.core.errors import Forbidden
from gongzhi.core.models import Region

from .kinds import StaffRoleKind as R

if TYPE_CHECKING:
    from .models import StaffRole

VIEW = "view"
VIEW_PERSONAL = "view_personal"
EDIT_UNIT = "edit_unit"
ESTABLISH = "establish_party_org"
EDIT_PERSON = "edit_person"
MANAGE_GRIDS = "manage_grids"
MANAGE_LISTS = "manage_lists"
MANAGE_ROLES = "manage_roles"
# Issue 17: a full ID number is shown only to roles that register and verify residents (the rest,
# street cadres included, see it masked even where they see phones); every unmasked view is logged.
VIEW_ID_NUMBER = "view_id_number"
# The security audit log is read by auditors only (separation of duties: administrators do not
# audit themselves).
VIEW_AUDIT_LOG = "view_audit_log"

ACTIONS = (
    VIEW,
    VIEW_PERSONAL,
    EDIT_UNIT,
    ESTABLISH,
    EDIT_PERSON,
    MANAGE_GRIDS,
    MANAGE_LISTS,
    MANAGE_ROLES,
    VIEW_ID_NUMBER,
)

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    R.DISTRICT_ADMIN: frozenset(ACTIONS),
    R.STREET_CADRE: frozenset({VIEW, VIEW_PERSONAL, EDIT_UNIT, ESTABLISH, EDIT_PERSON, MANAGE_GRIDS, MANAGE_ROLES}),
    R.COMMUNITY_CADRE: frozenset({VIEW, VIEW_PERSONAL, EDIT_UNIT, ESTABLISH, EDIT_PERSON, VIEW_ID_NUMBER}),
    R.GRID_WORKER: frozenset({VIEW, VIEW_PERSONAL, EDIT_PERSON, VIEW_ID_NUMBER}),
    R.DEPARTMENT_STAFF: frozenset({VIEW}),
    R.AUDITOR: frozenset({VIEW, VIEW_AUDIT_LOG}),
}

ACTION_LABELS: dict[str, str | Promise] = {
    VIEW: _("查看"),
    VIEW_PERSONAL: _("查看个人信息"),
    EDIT_UNIT: _("编辑单位"),
    ESTABLISH: _("成立党组织"),
    EDIT_PERSON: _("编辑人员"),
    MANAGE_GRIDS: _("管理网格"),
    MANAGE_LISTS: _("管理权责清单"),
    MANAGE_ROLES: _("分配角色"),
    VIEW_ID_NUMBER: _("查看完整身份证号"),
    VIEW_AUDIT_LOG: _("查看安全审计日志"),
}


def register(role_actions: dict[str, frozenset[str]], labels: Mapping[str, str | Promise]) -> None:
    """An app adds its own actions, by role, to the one permission table (called at import)."""
    for role, actions in role_actions.items():
        ROLE_ACTIONS[role] = ROLE_ACTIONS.get(role, frozenset()) | frozenset(actions)
    ACTION_LABELS.update(labels)


def _roles(user: Any) -> list[StaffRole]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_gz_roles", None)
    if cached is None:
        from .models import StaffRole

        cached = list(StaffRole.objects.filter(user=user, active=True).select_related("region", "unit"))
        user._gz_roles = cached
    return cached


def is_system(user: Any) -> bool:
    return actors.is_system(user) or getattr(user, "is_superuser", False)


def scope_paths(user: Any, action: str) -> list[str] | None:
    """Region path prefixes within which ``user`` may do ``action``; None means everywhere."""
    if is_system(user):
        return None
    return [r.region.path for r in _roles(user) if action in ROLE_ACTIONS.get(r.role, ())]


def region_of(target: Any) -> Region | None:
    if isinstance(target, Region):
        return target
    return getattr(target, "region", None)


def allowed(user: Any, action: str, target: Any = None) -> bool:
    paths = scope_paths(user, action)
    if paths is None:
        return True
    if target is None:
        return bool(paths)
    region = region_of(target)
    return region is not None and any(region.path.startswith(p) for p in paths)


def require(user: Any, action: str, target: Any = None) -> None:
    if not allowed(user, action, target):
        where = region_of(target)
        what = ACTION_LABELS.get(action, action)
        raise Forbidden(
            _("无权%(action)s：%(place)s不在您的管辖范围内") % {"action": what, "place": where.name}
            if where is not None
            else _("无权%(action)s") % {"action": what},
            action=action,
        )


def scope(
    user: Any, queryset: QuerySet, action: str = VIEW, region_field: str | tuple[str, ...] = "region"
) -> QuerySet:
    """Filter ``queryset`` to the rows whose region lies in the user's scope for ``action``.

    ``region_field`` may name several region paths (a row is in scope when any of them is, e.g. an
    incident's own region or any of its grids'); rows reached through a to-many join appear once."""
    paths = scope_paths(user, action)
    if paths is None:
        return queryset
    if not paths:
        return queryset.none()
    fields = region_field if isinstance(region_field, tuple) else (region_field,)
    keys = [f"{f}__path__startswith" if f else "path__startswith" for f in fields]
    cond = reduce(or_, (Q(**{k: p}) for p in paths for k in keys))
    if len(keys) == 1:
        return queryset.filter(cond)
    return queryset.filter(pk__in=queryset.model.objects.filter(cond).values("pk"))


def home_region(user: Any) -> Region | None:
    """The widest region the user can see (for a start page)."""
    if is_system(user):
        return Region.objects.filter(parent__isnull=True).order_by("code").first()
    roles = _roles(user)
    if not roles:
        return None
    return min((r.region for r in roles), key=lambda reg: len(reg.path))


def mask_phone(phone: str) -> str:
    """A mobile (or a number with its area code) keeps its first 3 and last 4 digits; a shorter number
    (a local landline) only its last 2, so that most of it is always hidden."""
    if len(phone) >= 11:
        return phone[:3] + "****" + phone[-4:]
    return "****" + phone[-2:] if len(phone) >= 7 else "****"


def mask_id_number(idn: str) -> str:
    return idn[:6] + "********" + idn[-4:] if len(idn) >= 10 else "****"


# A phone-, ID- or account-like number inside free text: a run of at least 7 digits, allowing
# the separators people type inside phone numbers ("139-1234-5678", "010 6512 3456") and a final X
# of an ID number. Letters may touch it ("Tel13912345678" is masked too).
_NUMBER_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[- ]?)?\d(?:[- ]?\d){6,}[Xx]?(?!\d)")


def mask_text(text: str) -> str:
    """Free text with every phone-, ID- or account-like number masked the way the contact fields are
    (:func:`mask_phone`, :func:`mask_id_number`): the one masking rule for descriptions, notes and
    reasons shown to someone who may not see the person's details."""
    if not text:
        return text or ""

    def one(m: re.Match) -> str:
        digits = re.sub(r"[^0-9Xx]", "", m.group(0))
        return mask_id_number(digits) if len(digits) >= 15 else mask_phone(digits)

    return _NUMBER_IN_TEXT.sub(one, text)
