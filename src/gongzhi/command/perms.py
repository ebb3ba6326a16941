"""Who may use the command centres, by role, registered in :mod:`gongzhi.org.permissions`.

- ``command_view``: open the centre of a region in one's subtree (figures, boards, map, wall, desk, brief,
  the mechanisms' sessions and their outcomes).
- ``command_manage``: rebuild the rollups of a region.
- ``command_mechanism_hold``: hold a due session of a mechanism ("885", 五项机制) in one's subtree: record
  attendance, statements, decisions and follow-ups, close follow-ups.
- ``command_mechanism_define``: define a region's mechanisms and set its board rules ("141").
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongzhi.org.kinds import StaffRoleKind as R

VIEW = "command_view"
MANAGE = "command_manage"
HOLD = "command_mechanism_hold"
DEFINE = "command_mechanism_define"

COMMAND_ROLE_ACTIONS: dict[str, frozenset[str]] = {
    R.DISTRICT_ADMIN: frozenset({VIEW, MANAGE, HOLD, DEFINE}),
    R.STREET_CADRE: frozenset({VIEW, HOLD}),
    R.COMMUNITY_CADRE: frozenset({VIEW}),
    R.GRID_WORKER: frozenset(),
    R.DEPARTMENT_STAFF: frozenset(),
    R.AUDITOR: frozenset({VIEW}),
}

LABELS = {
    VIEW: _("查看指挥中心"),
    MANAGE: _("重算指挥中心汇总"),
    HOLD: _("召开机制会议(五项机制)"),
    DEFINE: _("设置工作机制和板块归类"),
}

# registered in the one permission table from the app's manifest (apps.py)
