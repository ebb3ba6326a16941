from collections import Counter

import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError
from shapely.geometry import shape

from gongzhi.demo.generator import DemoGenerator
from gongzhi.org.kinds import ESTABLISHED_BY_MEMBERS, MemberRole
from gongzhi.org.models import Grid, Membership, Person, Region, Unit


def snapshot(seed):
    g = DemoGenerator(seed=seed, scale="tiny")
    g.build()
    from gongzhi.org.models import Person as P
    from gongzhi.org.models import Unit as U

    return [(p.name, p.id_number) for p in g.rows[P]][:50], [u.name for u in g.rows[U]]


def test_deterministic_by_seed():
    assert snapshot(3) == snapshot(3)
    assert snapshot(3) != snapshot(4)


def test_district_demo_rules(db):
    gen = DemoGenerator(seed=1, scale="district")
    gen.build()
    gen.check()
    gen.write()
    # Every party organisation that must have three full members has them.
    counts = Counter(
        Membership.objects.filter(role=MemberRole.FULL_MEMBER, end_date__isnull=True).values_list("unit_id", flat=True)
    )
    for u in Unit.objects.filter(kind__in=ESTABLISHED_BY_MEMBERS):
        assert counts[u.pk] >= 3, u.name
    # Both chains are present, down to households.
    kinds = set(Unit.objects.values_list("kind", flat=True))
    assert {
        "party_street",
        "party_community",
        "party_compound",
        "party_building",
        "party_centre_household",
        "party_township",
        "party_village",
        "party_villager_group",
        "party_contact_household",
        "property_company",
        "owners_committee",
        "school",
        "hospital",
        "department",
        "party_grid",
    } <= kinds
    # Grids tile their district: no overlaps, and the union is the whole area.
    geoms = [shape(g) for g in Grid.objects.values_list("geometry", flat=True)]
    tree = shapely.STRtree(geoms)
    pairs = tree.query(geoms, predicate="overlaps")
    assert pairs.shape[1] == 0
    union = shapely.union_all(geoms)
    assert abs(union.area - union.envelope.area) < 1e-9
    # Codes follow district(6) + street(3) + community(3) + sequence(3).
    for code, rcode in Grid.objects.values_list("code", "region__code")[:50]:
        assert len(code) == 15 and code.startswith(rcode)
    assert Person.objects.count() >= 15000
    assert Region.objects.filter(level="street", kind="rural").count() == 3
    assert Region.objects.exclude(paired_with=None).count() == 2
    assert all(Person.objects.filter(pk__in=Person.objects.values("pk")[:100]).values_list("id_number", flat=True))


def test_command_refuses_a_non_empty_database(world):
    with pytest.raises(CommandError, match="数据库已有数据"):
        call_command("demo", "--scale", "tiny")
    call_command("demo", "--scale", "tiny", "--if-empty")  # exits quietly
