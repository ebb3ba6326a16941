"""Where a party organisation should exist but does not (应建未建). Read-only: computed from the records.

The rule (party constitution art. 30, quoted in seed 004): 企业、农村、机关、学校、医院、科研院所、
街道社区、社会组织……凡是有正式党员三人以上的，都应当成立党的基层组织. Two kinds of gap:

- **a unit** (any non-party unit not dissolved: enterprise, social organisation, school, residents'
  committee, department …) where three or more *full* party members work (an active membership with
  a work role, ``kinds.WORK_ROLES``: staff, cadre, grid worker, mediator), and no party organisation
  (not dissolved) is set up in it (``Unit.host``);
- **an area** (a community or village) where three or more full party members live (``Person.region``)
  and no primary party organisation (not dissolved) has its seat there, so no organisation there can
  hold their relation.

Probationary members never count (the constitution says 正式党员). Each gap lists its members with the
organisation holding each one's relation (``Person.party_relation``; none recorded: 组织关系未落实).
Scoped to what the viewer may see (``permissions.scope``); personal fields are masked by the callers
(``api.person_out``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gongzhi.core.models import Region

from . import permissions as perm
from .kinds import MIN_FULL_MEMBERS, PARTY_KINDS, PRIMARY_ORG_KINDS, WORK_ROLES, PartyStatus
from .models import Membership, Person, Unit


@dataclass
class Gap:
    kind: str  # "unit" or "area"
    region: Region
    unit: Unit | None = None  # the unit without an organisation (kind "unit")
    members: list[Person] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"unit:{self.unit.code}" if self.unit is not None else f"area:{self.region.code}"

    @property
    def name(self) -> str:
        return self.unit.name if self.unit is not None else self.region.name


def _live(qs: QuerySet[Unit]) -> QuerySet[Unit]:
    return qs.exclude(status=Unit.Status.DISSOLVED)


def gaps(viewer: Any, region: Region | None = None) -> list[Gap]:
    """Every gap the viewer may see (within ``region`` when given), units first, by region then name."""
    units = perm.scope(viewer, _live(Unit.objects.exclude(kind__in=PARTY_KINDS)))
    regions = perm.scope(viewer, Region.objects.filter(level=Region.Level.COMMUNITY), region_field="")
    if region is not None:
        units = units.filter(region__path__startswith=region.path)
        regions = regions.filter(path__startswith=region.path)
    people = Person.objects.select_related("region", "party_relation", "household").prefetch_related("memberships")

    # Units: full members working there, no organisation set up in them.
    covered = _live(Unit.objects.filter(kind__in=PARTY_KINDS, host__isnull=False)).values("host_id")
    rows = (
        Membership.objects.filter(
            end_date__isnull=True,
            role__in=WORK_ROLES,
            person__party_status=PartyStatus.FULL,
            unit__in=units.exclude(pk__in=covered),
        )
        .values_list("unit_id", "person_id")
        .distinct()
    )
    by_unit: dict[int, set[int]] = defaultdict(set)
    for unit_id, person_id in rows:
        by_unit[unit_id].add(person_id)
    by_unit = {u: ps for u, ps in by_unit.items() if len(ps) >= MIN_FULL_MEMBERS}
    found: list[Gap] = []
    if by_unit:
        who = people.in_bulk({p for ps in by_unit.values() for p in ps})
        for u in Unit.objects.filter(pk__in=by_unit).select_related("region"):
            members = sorted((who[p] for p in by_unit[u.pk]), key=lambda p: p.pk)
            found.append(Gap("unit", u.region, u, members))

    # Areas: full members living in a community with no primary organisation of its own.
    seated = _live(Unit.objects.filter(kind__in=PRIMARY_ORG_KINDS)).values("region_id")
    open_regions = regions.exclude(pk__in=seated)
    by_region: dict[int, list[Person]] = defaultdict(list)
    for p in people.filter(party_status=PartyStatus.FULL, region__in=open_regions).order_by("pk"):
        by_region[p.region_id].append(p)
    for members in by_region.values():
        if len(members) >= MIN_FULL_MEMBERS:
            found.append(Gap("area", members[0].region, None, members))

    found.sort(key=lambda g: (g.kind != "unit", g.region.path, g.name))
    return found


def relation_label(p: Person) -> str:
    """The organisation holding the member's relation, as the list shows it."""
    return p.party_relation.name if p.party_relation is not None else _("组织关系未落实")
