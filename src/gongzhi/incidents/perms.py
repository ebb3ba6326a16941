"""Incident actions by role, added to the one permission table (``gongzhi.org.permissions``).

A street cadre declares (and stands down) in their street, a district admin anywhere in the
district; desk work (assigning tasks, raising needs, notes) is for district, street and community
cadres; grid workers may also check people in; everyone else with a view role views. A mobilised
person may check themselves in.
"""

from django.utils.translation import gettext_lazy as _

from gongzhi.org import permissions as perm
from gongzhi.org.kinds import StaffRoleKind as R

DECLARE = "incident_declare"  # declare an incident, stand it down
OPERATE = "incident_operate"  # desk work: assign tasks, raise needs, log notes, publish counts
CHECK_IN = "incident_check_in"  # check a mobilised person in

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    R.DISTRICT_ADMIN: frozenset({DECLARE, OPERATE, CHECK_IN}),
    R.STREET_CADRE: frozenset({DECLARE, OPERATE, CHECK_IN}),
    R.COMMUNITY_CADRE: frozenset({OPERATE, CHECK_IN}),
    R.GRID_WORKER: frozenset({CHECK_IN}),
    R.DEPARTMENT_STAFF: frozenset(),
    R.AUDITOR: frozenset(),
}
ACTION_LABELS = {DECLARE: _("宣布/终止应急"), OPERATE: _("应急指挥席操作"), CHECK_IN: _("登记应急报到")}

# registered in the one permission table from the app's manifest (apps.py)

can = perm.allowed
require = perm.require
