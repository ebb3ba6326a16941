"""Who may use the command centres, by role, registered in :mod:`gongzhi.org.permissions`.

- ``command_view``: open the centre of a region in one's subtree (figures, map, wall, desk, brief).
- ``command_manage``: rebuild the rollups of a region.
"""

from __future__ import annotations

from gongzhi.org.kinds import StaffRoleKind as R

VIEW = "command_view"
MANAGE = "command_manage"

COMMAND_ROLE_ACTIONS: dict[str, frozenset[str]] = {
    R.DISTRICT_ADMIN: frozenset({VIEW, MANAGE}),
    R.STREET_CADRE: frozenset({VIEW}),
    R.COMMUNITY_CADRE: frozenset({VIEW}),
    R.GRID_WORKER: frozenset(),
    R.DEPARTMENT_STAFF: frozenset(),
    R.AUDITOR: frozenset({VIEW}),
}

LABELS = {VIEW: "查看指挥中心", MANAGE: "重算指挥中心汇总"}

# registered in the one permission table from the app's manifest (apps.py)
