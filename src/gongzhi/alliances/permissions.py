"""Who may do what with alliances: a small mapping on the org roles, to be folded into
``gongzhi.org.permissions`` later. Scopes are region subtrees, as everywhere."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q

from gongzhi.core.errors import Forbidden
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

LABELS = {VIEW: "查看党建联合体", APPLY: "以成员单位身份办理", MANAGE: "管理党建联合体",
          APPROVE: "审批党建联合体事项", RATE: "组织星级评定"}


def scope_paths(user, action: str) -> list[str] | None:
    if perm.is_system(user):
        return None
    return [r.region.path for r in perm._roles(user) if action in ROLE_ACTIONS.get(r.role, ())]


def allowed(user, action: str, target=None) -> bool:
    paths = scope_paths(user, action)
    if paths is None:
        return True
    if target is None:
        return bool(paths)
    region = perm.region_of(target)
    return region is not None and any(region.path.startswith(p) for p in paths)


def require(user, action: str, *targets) -> None:
    """Allowed if the user may do ``action`` for any of ``targets`` (an alliance, a member unit)."""
    if any(allowed(user, action, t) for t in targets) or (not targets and allowed(user, action)):
        return
    where = perm.region_of(targets[0]) if targets else None
    raise Forbidden(f"无权{LABELS.get(action, action)}" + (f"：{where.name}不在您的管辖范围内" if where else ""))


def scope(user, queryset, action: str = VIEW, region_field: str = "region"):
    paths = scope_paths(user, action)
    if paths is None:
        return queryset
    if not paths:
        return queryset.none()
    key = f"{region_field}__path__startswith"
    return queryset.filter(reduce(or_, (Q(**{key: p}) for p in paths)))
