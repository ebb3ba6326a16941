"""Consult actions, registered in :mod:`gongzhi.org.permissions` (same role kinds, same region scopes):

* ``consult_manage`` — raise topics, moderate statements, set up and close formal votes:
  district admin, street cadre, community cadre;
* ``consult_officer`` — enter in-person ballots at a polling station: the above and grid workers.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q

from gongzhi.org import permissions as perm
from gongzhi.org.kinds import StaffRoleKind as R

MANAGE = "consult_manage"
OFFICER = "consult_officer"

ROLE_ACTIONS = {
    R.DISTRICT_ADMIN: frozenset({MANAGE, OFFICER}),
    R.STREET_CADRE: frozenset({MANAGE, OFFICER}),
    R.COMMUNITY_CADRE: frozenset({MANAGE, OFFICER}),
    R.GRID_WORKER: frozenset({OFFICER}),
}
LABELS = {MANAGE: "管理议题与表决", OFFICER: "录入现场选票"}

perm.register(ROLE_ACTIONS, LABELS)
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
