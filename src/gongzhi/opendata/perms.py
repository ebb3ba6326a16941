"""The open data module's actions, in the one permission table (``org.permissions``).

Reading the catalogue and downloading a dataset needs no log-in. Publishing a new snapshot by hand
(the daily job publishes as the platform) is the district administrator's; importing units, people
and households from a spreadsheet is for the roles that register them (district administrator, street
and community cadres): each row is still checked against the actor's area by the org app's service."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongzhi.org.kinds import StaffRoleKind as R

from .services import IMPORT, PUBLISH

ROLE_ACTIONS = {
    R.DISTRICT_ADMIN: frozenset({PUBLISH, IMPORT}),
    R.STREET_CADRE: frozenset({IMPORT}),
    R.COMMUNITY_CADRE: frozenset({IMPORT}),
}
LABELS = {PUBLISH: _("发布开放数据"), IMPORT: _("从表格导入单位、人员和户")}
