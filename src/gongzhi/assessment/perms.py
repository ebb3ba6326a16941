"""Assessment actions by role, registered in gongzhi.org.permissions (the one place that decides)."""

from django.utils.translation import gettext_lazy as _

from gongzhi.org.kinds import StaffRoleKind as R

VIEW = "assess_view"  # see results and drill-downs in the role's subtree
RUN = "assess_run"  # run a scheme over a region in the role's subtree
MANAGE = "assess_manage"  # define indicators and schemes

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    R.DISTRICT_ADMIN: frozenset({VIEW, RUN, MANAGE}),
    R.STREET_CADRE: frozenset({VIEW, RUN}),
    R.COMMUNITY_CADRE: frozenset({VIEW}),
    R.GRID_WORKER: frozenset({VIEW}),
    R.DEPARTMENT_STAFF: frozenset({VIEW}),
    R.AUDITOR: frozenset({VIEW}),
}
LABELS = {VIEW: _("查看考核结果"), RUN: _("开展考核"), MANAGE: _("管理考核指标和方案")}

# registered in the one permission table from the app's manifest (apps.py)
