"""Alert actions by role, registered in :mod:`gongzhi.org.permissions` (the one place that decides).

- viewing alerts is the general ``view`` action, scoped to the region subtree;
- ``alert_scan``: run a scan of a region (district administrators and street cadres);
- ``alert_handle``: acknowledge, dismiss (with a reason) or resolve an alert (district, street
  and community cadres, within their subtree). Grid workers, department staff and auditors see
  alerts of their area but do not close them.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongzhi.org.kinds import StaffRoleKind as R

SCAN = "alert_scan"
HANDLE = "alert_handle"

ALERT_ACTIONS: dict[str, frozenset[str]] = {
    R.DISTRICT_ADMIN: frozenset({SCAN, HANDLE}),
    R.STREET_CADRE: frozenset({SCAN, HANDLE}),
    R.COMMUNITY_CADRE: frozenset({HANDLE}),
    R.GRID_WORKER: frozenset(),
    R.DEPARTMENT_STAFF: frozenset(),
    R.AUDITOR: frozenset(),
}
LABELS = {SCAN: _("运行预警扫描"), HANDLE: _("处理预警")}

# registered in the one permission table from the app's manifest (apps.py)
