"""Party members covering areas and linking households (党员包片联户, seed 002: 通过运用党员包片联户方式……
将党组织的触角延伸到最基层单元). Read-only: every figure is computed from the records.

- **coverage per grid and per community**: households; households linked by at least one active link
  (``HouseholdLink`` with no ``end_date``); the rate, linked / households (``None`` when there are no
  households). A household with no grid counts for its community only.
- **members**: the party members (an active full or probationary membership, the rule
  ``services.link_household`` applies) living in the community, each with the households they link.
- **gaps**: households with no active link, and members who link none.
- **visits**: ``HouseholdVisit`` rows (who, which household, which day, why); counted in a period.

Scoped to what the viewer may see (``permissions.scope``); personal fields are masked by the callers
(``api.person_out``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, QuerySet

from gongzhi.core.models import Region

from . import permissions as perm
from .kinds import MemberRole
from .models import Grid, Household, HouseholdLink, HouseholdVisit, Membership, Person

PARTY_ROLES = (MemberRole.FULL_MEMBER, MemberRole.PROBATIONARY_MEMBER)


def rate(linked: int, households: int) -> float | None:
    return round(linked / households, 4) if households else None


@dataclass
class GridRow:
    grid: Grid
    households: int = 0
    linked: int = 0
    members: int = 0  # members linking at least one household of this grid

    @property
    def rate(self) -> float | None:
        return rate(self.linked, self.households)


@dataclass
class CommunityRow:
    region: Region
    households: int = 0
    linked: int = 0
    members: int = 0  # party members living here
    members_linking: int = 0  # of them, those linking at least one household (anywhere)
    no_grid: int = 0  # households with no grid
    grids: list[GridRow] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return rate(self.linked, self.households)


def _communities(viewer: Any, region: Region | None) -> QuerySet[Region]:
    qs = perm.scope(viewer, Region.objects.filter(level=Region.Level.COMMUNITY), region_field="")
    if region is not None:
        qs = qs.filter(path__startswith=region.path)
    return qs.order_by("path")


def _active_links() -> QuerySet[HouseholdLink]:
    return HouseholdLink.objects.filter(end_date__isnull=True)


def party_members(regions: Any) -> QuerySet[Person]:
    """Party members living in ``regions`` (a queryset of communities)."""
    ids = Membership.objects.filter(end_date__isnull=True, role__in=PARTY_ROLES).values("person_id")
    return Person.objects.filter(pk__in=ids, region__in=regions)


def coverage(viewer: Any, region: Region | None = None) -> list[CommunityRow]:
    """One row per community the viewer may see (within ``region``), with a row per grid."""
    comms = list(_communities(viewer, region))
    if not comms:
        return []
    rows = {c.pk: CommunityRow(c) for c in comms}
    grids = {g.pk: GridRow(g) for g in Grid.objects.filter(region__in=comms).order_by("code")}
    for g in grids.values():
        rows[g.grid.region_id].grids.append(g)
    hh = Household.objects.filter(region__in=comms)
    for region_id, grid_id, n in (
        hh.values("region_id", "grid_id").annotate(n=Count("id")).values_list("region_id", "grid_id", "n")
    ):
        rows[region_id].households += n
        if grid_id in grids:
            grids[grid_id].households += n
        else:
            rows[region_id].no_grid += n
    linked = hh.filter(pk__in=_active_links().values("household_id"))
    for region_id, grid_id, n in (
        linked.values("region_id", "grid_id").annotate(n=Count("id")).values_list("region_id", "grid_id", "n")
    ):
        rows[region_id].linked += n
        if grid_id in grids:
            grids[grid_id].linked += n
    for grid_id, n in (
        _active_links()
        .filter(household__grid_id__in=list(grids))
        .values("household__grid_id")
        .annotate(n=Count("member_id", distinct=True))
        .values_list("household__grid_id", "n")
    ):
        grids[grid_id].members = n
    members = party_members(comms)
    linking = set(_active_links().filter(member__in=members).values_list("member_id", flat=True))
    for pk, region_id in members.values_list("pk", "region_id"):
        rows[region_id].members += 1
        if pk in linking:
            rows[region_id].members_linking += 1
    return [rows[c.pk] for c in comms]


def totals(rows: list[CommunityRow]) -> dict:
    households = sum(r.households for r in rows)
    linked = sum(r.linked for r in rows)
    return {
        "communities": len(rows),
        "households": households,
        "linked": linked,
        "rate": rate(linked, households),
        "members": sum(r.members for r in rows),
        "members_linking": sum(r.members_linking for r in rows),
    }


@dataclass
class Gaps:
    households: list[Household]
    members: list[Person]


def gaps(viewer: Any, region: Region | None = None, *, limit: int | None = None) -> Gaps:
    """Households with no active link and party members who link none, in the viewer's communities."""
    comms = _communities(viewer, region)
    hh = (
        Household.objects.filter(region__in=comms)
        .exclude(pk__in=_active_links().values("household_id"))
        .select_related("region", "grid")
        .order_by("region__path", "grid__code", "code")
    )
    members = (
        party_members(comms)
        .exclude(pk__in=_active_links().values("member_id"))
        .select_related("region")
        .prefetch_related("memberships")
        .order_by("region__path", "pk")
    )
    if limit is not None:
        return Gaps(list(hh[:limit]), list(members[:limit]))
    return Gaps(list(hh), list(members))


def member_links(member: Person) -> list[dict]:
    """The households a member links now, each with the member's visits to it (count, last day)."""
    links = list(_active_links().filter(member=member).select_related("household__grid", "household__region"))
    stats = {
        h: (n, last)
        for h, n, last in HouseholdVisit.objects.filter(member=member)
        .values("household_id")
        .annotate(n=Count("id"), last=Max("visited_on"))
        .values_list("household_id", "n", "last")
    }
    return [
        {
            "link": ln,
            "household": ln.household,
            "visits": stats.get(ln.household_id, (0, None))[0],
            "last_visit": stats.get(ln.household_id, (0, None))[1],
        }
        for ln in sorted(links, key=lambda ln: ln.household.code)
    ]


def visits(
    viewer: Any, region: Region | None = None, start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet[HouseholdVisit]:
    """Visits in the viewer's scope (within ``region``), days [start, end), newest first."""
    qs = perm.scope(viewer, HouseholdVisit.objects.select_related("member", "household", "grid", "region"))
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    if start is not None:
        qs = qs.filter(visited_on__gte=start)
    if end is not None:
        qs = qs.filter(visited_on__lt=end)
    return qs


def visits_by_purpose(qs: QuerySet[HouseholdVisit]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for purpose, n in qs.values("purpose").annotate(n=Count("id")).values_list("purpose", "n"):
        out[purpose] = n
    return dict(out)
