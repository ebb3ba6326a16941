"""The privacy module's action, in the one permission table (``org.permissions``).

Producing a copy of everything the platform holds about a person, at their written request, is
for the roles that register residents and may see full ID numbers in their area: the district
administrator and the community cadre.  Street cadres (who see ID numbers masked), grid workers,
department staff and auditors may not.  A resident needs no role to export their own data."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongzhi.org.kinds import StaffRoleKind as R

EXPORT_PERSON = "export_person_data"

# Registered in the one table from the app's manifest (privacy/apps.py).
ROLE_ACTIONS = {R.DISTRICT_ADMIN: frozenset({EXPORT_PERSON}), R.COMMUNITY_CADRE: frozenset({EXPORT_PERSON})}
LABELS = {EXPORT_PERSON: _("导出个人信息副本")}
