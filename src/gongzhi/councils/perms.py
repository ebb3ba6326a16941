"""Council actions by role, added to the one permission table (``gongzhi.org.permissions``).

A district admin and a street cadre run the platforms of their area (set up, members, meetings,
decisions, 三重一大 matters); a community cadre those of their community. Everyone with a view
role reads (``view``).
"""

from gongzhi.org import permissions as perm
from gongzhi.org.kinds import StaffRoleKind as R

MANAGE = "council_manage"  # set up platforms, members; hold meetings, record decisions and matters

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    R.DISTRICT_ADMIN: frozenset({MANAGE}),
    R.STREET_CADRE: frozenset({MANAGE}),
    R.COMMUNITY_CADRE: frozenset({MANAGE}),
    R.GRID_WORKER: frozenset(),
    R.DEPARTMENT_STAFF: frozenset(),
    R.AUDITOR: frozenset(),
}
ACTION_LABELS = {MANAGE: "管理议事平台与三重一大事项"}

can = perm.allowed
require = perm.require
