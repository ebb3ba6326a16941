"""Who may do what with goals and tasks: the plan actions, by role, registered in
``gongzhi.org.permissions`` (the one place that decides). Scopes are region subtrees.

- ``plans_view``: see goals and tasks of the region subtree (every role).
- ``plans_manage``: create goals, decompose them into tasks, adjust tasks, decide adjustment
  requests, close goals, resolve supervision flags (district, street and community cadres).
- ``plans_supervise``: raise a supervision flag (quality check failed) and run the check
  (district admin, street cadre, auditor).
- ``plans_report``: act on a task *of one's own unit* (or a unit below it): report progress,
  mark done with evidence, request an adjustment. Held by every operational role; the unit rule
  is :func:`acts_for`, so a department's staff act for the department's tasks wherever they are.
- feedback: anyone who may view the goal (residents' feedback is recorded by staff on their behalf).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.org import permissions as perm
from gongzhi.org.kinds import StaffRoleKind as R

VIEW = "plans_view"
MANAGE = "plans_manage"
SUPERVISE = "plans_supervise"
REPORT = "plans_report"

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    R.DISTRICT_ADMIN: frozenset({VIEW, MANAGE, SUPERVISE, REPORT}),
    R.STREET_CADRE: frozenset({VIEW, MANAGE, SUPERVISE, REPORT}),
    R.COMMUNITY_CADRE: frozenset({VIEW, MANAGE, REPORT}),
    R.GRID_WORKER: frozenset({VIEW, REPORT}),
    R.DEPARTMENT_STAFF: frozenset({VIEW, REPORT}),
    R.AUDITOR: frozenset({VIEW, SUPERVISE}),
}
LABELS = {
    VIEW: _("查看目标任务"),
    MANAGE: _("管理目标任务"),
    SUPERVISE: _("督办目标任务"),
    REPORT: _("以责任单位身份办理任务"),
}

# registered in the one permission table from the app's manifest (apps.py)
allowed = perm.allowed
require = perm.require


def scope(user, qs, action: str = VIEW):
    return perm.scope(user, qs, action)


def report_units(user) -> list | None:
    """Units whose tasks the user acts for (roles with ``plans_report`` at them); None = the system (all)."""
    if perm.is_system(user):
        return None
    return [r.unit for r in perm._roles(user) if REPORT in ROLE_ACTIONS.get(r.role, ())]


def acts_for(user, unit) -> bool:
    units = report_units(user)
    if units is None:
        return True
    return any(unit.path.startswith(u.path) for u in units)


def acting_unit(user, unit):
    """The unit the user reports as for ``unit``'s task (the role's unit), None for the system."""
    for u in report_units(user) or []:
        if unit.path.startswith(u.path):
            return u
    return None


def tasks_acted_for(user, qs):
    """Filter a Task queryset to the tasks of the units the user acts for."""
    units = report_units(user)
    if units is None:
        return qs
    if not units:
        return qs.none()
    cond = Q(pk__in=[])
    for u in units:
        cond |= Q(unit__path__startswith=u.path)
    return qs.filter(cond)


def require_acts_for(user, task) -> None:
    if not acts_for(user, task.unit):
        from gongzhi.core.errors import Forbidden

        raise Forbidden(f"无权{LABELS[REPORT]}：任务“{task.title}”的责任单位是{task.unit.name}，不是您所在的单位")
