"""Consult actions, registered in :mod:`gongzhi.org.permissions` (same role kinds, same region scopes):

* ``consult_manage`` — raise topics, moderate statements, set up and close formal votes:
  district admin, street cadre, community cadre;
* ``consult_officer`` — enter in-person ballots at a polling station: the above and grid workers.

Taking part — submitting a statement, taking a stance on one, casting a ballot online — is open to
any signed-in resident or staff member except an account holding a read-only role
(:data:`READ_ONLY_ROLES`: the auditor reads topics, votes and results and never takes part).
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import Forbidden
from gongzhi.org import permissions as perm
from gongzhi.org.kinds import StaffRoleKind as R

from .contracts import ConsultError

MANAGE = "consult_manage"
OFFICER = "consult_officer"

ROLE_ACTIONS = {
    R.DISTRICT_ADMIN: frozenset({MANAGE, OFFICER}),
    R.STREET_CADRE: frozenset({MANAGE, OFFICER}),
    R.COMMUNITY_CADRE: frozenset({MANAGE, OFFICER}),
    R.GRID_WORKER: frozenset({OFFICER}),
}
LABELS = {MANAGE: _("管理议题与表决"), OFFICER: _("录入现场选票")}

# registered in the one permission table from the app's manifest (apps.py)

#: Roles that read and never take part.
READ_ONLY_ROLES = frozenset({R.AUDITOR})
paths = perm.scope_paths
allowed = perm.allowed
require = perm.require


def visible(user, queryset, region_field: str = "region"):
    """Topics / votes a user may see: staff within their view scope; a resident, those whose region
    contains their community (or lies within it)."""
    ps = perm.scope_paths(user, perm.VIEW)
    if ps is None:
        return queryset
    conds = [Q(**{f"{region_field}__path__startswith": p}) for p in ps]
    person = getattr(user, "person", None) if getattr(user, "is_authenticated", False) else None
    if person is not None:
        home = person.region.path
        ancestors = [home[: i + 1] for i, ch in enumerate(home) if ch == "/" and i > 0]
        conds.append(Q(**{f"{region_field}__path__in": ancestors}))
        conds.append(Q(**{f"{region_field}__path__startswith": home}))
    if not conds:
        return queryset.none()
    return queryset.filter(reduce(or_, conds))


def takes_part(user) -> bool:
    """May ``user`` take part (statements, stances, online ballots)? Signed in and holding no read-only role."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return not any(r.role in READ_ONLY_ROLES for r in perm._roles(user))


def require_participant(user, what: str) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise Forbidden(f"请先登录再{what}", field="voter")
    if not takes_part(user):
        raise Forbidden(f"审计等只读账号只能查看，不能{what}", field="voter", code=ConsultError.READ_ONLY)
