"""Who may do what with alliances: the alliance actions, by role, registered in
``gongzhi.org.permissions`` (the one place that decides). Scopes are region subtrees."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongzhi.org import permissions as perm
from gongzhi.org.kinds import StaffRoleKind as R

VIEW = "view_alliance"
APPLY = "apply_alliance"  # found an alliance (as lead unit), join, answer invitations, report, vote
MANAGE = "manage_alliance"  # members, lists, meetings, claims, funds, activities
APPROVE = "approve_alliance"  # approve founding, goals, joins beyond 3, removals (street/township level or above)
RATE = "rate_alliance"  # compute and close quarters, corrections, run the year-end review

ACTIONS = (VIEW, APPLY, MANAGE, APPROVE, RATE)

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    R.DISTRICT_ADMIN: frozenset(ACTIONS),
    R.STREET_CADRE: frozenset(ACTIONS),
    R.COMMUNITY_CADRE: frozenset({VIEW, APPLY, MANAGE}),
    R.GRID_WORKER: frozenset({VIEW}),
    R.DEPARTMENT_STAFF: frozenset({VIEW, APPLY}),
    R.AUDITOR: frozenset({VIEW}),
}

LABELS = {
    VIEW: _("查看党建联合体"),
    APPLY: _("以成员单位身份办理"),
    MANAGE: _("管理党建联合体"),
    APPROVE: _("审批党建联合体事项"),
    RATE: _("组织星级评定"),
}


# registered in the one permission table from the app's manifest (apps.py)
scope_paths = perm.scope_paths
allowed = perm.allowed
scope = perm.scope


def require(user, action: str, *targets) -> None:
    """Allowed if the user may do ``action`` for any of ``targets`` (an alliance, a member unit)."""
    if any(allowed(user, action, t) for t in targets) or (not targets and allowed(user, action)):
        return
    perm.require(user, action, targets[0] if targets else None)
