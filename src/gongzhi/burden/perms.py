"""Burden actions by role, registered in :mod:`gongzhi.org.permissions` (the one permission table).

- ``burden_view``: see the burden of workers and units in one's region subtree (a worker always sees
  their own burden).
- ``burden_issue``: record a demand made of the units and workers below (a higher level's form,
  report, check-in, photo or meeting).
- ``burden_complete``: mark a demand item done for a worker or unit of one's area (a worker may
  always complete their own).
- ``burden_order``: issue a burden-reduction order (减负令) for one's region.
- ``burden_audit``: see the penetrating audit (flags, yearly view).
- ``report_define``: define reports and problem lists as data.
- ``report_generate``: generate and download reports for one's region.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongzhi.org import permissions as perm
from gongzhi.org.kinds import StaffRoleKind as R

VIEW = "burden_view"
ISSUE = "burden_issue"
COMPLETE = "burden_complete"
ORDER = "burden_order"
AUDIT = "burden_audit"
DEFINE = "report_define"
GENERATE = "report_generate"

BURDEN_ACTIONS: dict[str, frozenset[str]] = {
    R.DISTRICT_ADMIN: frozenset({VIEW, ISSUE, COMPLETE, ORDER, AUDIT, DEFINE, GENERATE}),
    R.STREET_CADRE: frozenset({VIEW, ISSUE, COMPLETE, ORDER, AUDIT, GENERATE}),
    R.COMMUNITY_CADRE: frozenset({VIEW, ISSUE, COMPLETE, GENERATE}),
    R.GRID_WORKER: frozenset(),
    R.DEPARTMENT_STAFF: frozenset(),
    R.AUDITOR: frozenset({VIEW, AUDIT, GENERATE}),
}
LABELS = {
    VIEW: _("查看工作负担"),
    ISSUE: _("下达工作要求"),
    COMPLETE: _("办结工作要求"),
    ORDER: _("发布减负令"),
    AUDIT: _("查看穿透式审计"),
    DEFINE: _("定义报表"),
    GENERATE: _("生成报表"),
}

# registered in the one permission table from the app's manifest (apps.py)

allowed = perm.allowed
require = perm.require
scope = perm.scope
