import pytest

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Conflict, DomainError
from gongzhi.core.models import Event
from gongzhi.org import services
from gongzhi.org.models import Membership, Person, Unit


def people(world, n):
    # Founders are people who are already full party members (issue 20: nobody is made one by founding).
    return list(Person.objects.filter(region=world.comm_a, party_status="full").order_by("id")[:n])


def community_party(world):
    return Unit.objects.get(region=world.comm_a, kind="party_community")


def test_party_org_needs_three_full_members(world):
    parent = community_party(world)
    before = Unit.objects.count()
    with pytest.raises(DomainError) as e:
        services.create_unit(
            SYSTEM,
            code="NEW-1",
            name="新支部",
            kind="party_compound",
            region=world.comm_a,
            parent=parent,
            founding_members=people(world, 2),
        )
    assert e.value.field == "founding_members"
    assert "至少3名正式党员" in e.value.message and "只有2名" in e.value.message
    assert Unit.objects.count() == before  # nothing half-written
    u = services.create_unit(
        SYSTEM,
        code="NEW-1",
        name="新支部",
        kind="party_compound",
        region=world.comm_a,
        parent=parent,
        founding_members=people(world, 3),
    )
    assert u.status == Unit.Status.ESTABLISHED and services.full_member_count(u) == 3
    assert u.path == parent.path + f"{u.pk}/"
    assert Event.objects.filter(type="org.unit_established", aggregate_id="NEW-1").exists()


def test_non_party_units_need_no_members(world):
    u = services.create_unit(SYSTEM, code="SCH-9", name="第九小学", kind="school", region=world.comm_a)
    assert u.status == Unit.Status.ESTABLISHED


def test_falling_below_three_flags_for_rectification_never_changes_status(world):
    u = services.create_unit(
        SYSTEM,
        code="NEW-2",
        name="新支部",
        kind="party_compound",
        region=world.comm_a,
        parent=community_party(world),
        founding_members=people(world, 3),
    )
    m = Membership.objects.filter(unit=u).first()
    services.end_membership(SYSTEM, m, reason="调离")
    u.refresh_from_db()
    assert u.needs_rectification and "仅2名" in u.rectification_reason
    assert u.status == Unit.Status.ESTABLISHED
    assert Event.objects.filter(type="org.party_org_flagged", aggregate_id="NEW-2").count() == 1
    newcomer = Person.objects.filter(region=world.comm_a, party_status="full").exclude(memberships__unit=u).first()
    services.add_member(SYSTEM, u, newcomer, "full_member")
    u.refresh_from_db()
    assert not u.needs_rectification
    assert Event.objects.filter(type="org.party_org_rectified", aggregate_id="NEW-2").exists()


def test_duplicate_codes_and_bad_chain_refused(world):
    parent = community_party(world)
    with pytest.raises(DomainError, match="已被使用"):
        services.create_unit(SYSTEM, code=parent.code, name="x", kind="school", region=world.comm_a)
    with pytest.raises(DomainError, match="不能设在") as e:
        services.create_unit(
            SYSTEM,
            code="BAD-1",
            name="村党支部",
            kind="party_village",
            region=world.comm_a,
            parent=parent,
            founding_members=people(world, 3),
        )
    assert e.value.code == "bad_chain"


def test_moving_a_unit_under_its_own_descendant_is_a_cycle(world):
    street_party = Unit.objects.get(code=f"{world.street_a.code}-PARTY")
    comm_party = community_party(world)
    with pytest.raises(DomainError) as e:
        services.move_unit(SYSTEM, street_party, comm_party)
    assert e.value.code in ("cycle", "bad_chain")
    gov = Unit.objects.get(code=f"{world.street_a.code}-GOV")
    school = services.create_unit(SYSTEM, code="SCH-1", name="学校", kind="school", region=world.comm_a, parent=gov)
    with pytest.raises(DomainError, match="形成环"):
        services.move_unit(SYSTEM, gov, school)
    with pytest.raises(DomainError, match="形成环"):
        services.move_unit(SYSTEM, gov, gov)


def test_move_rewrites_subtree_paths(world):
    comm_party = community_party(world)
    compound = comm_party.children.filter(kind="party_compound").first()
    building = compound.children.first()
    other = (
        Unit.objects.filter(kind="party_community")
        .exclude(pk=comm_party.pk)
        .filter(region__parent=world.street_a)
        .first()
    )
    services.move_unit(SYSTEM, compound, other)
    building.refresh_from_db()
    compound.refresh_from_db()
    assert compound.path.startswith(other.path)
    assert building.path.startswith(compound.path)
    assert building.depth == compound.depth + 1


def test_concurrent_edits_one_wins_the_other_conflicts(world):
    u = community_party(world)
    v = u.version
    services.update_unit(SYSTEM, u, expected_version=v, name="新名称A")
    with pytest.raises(Conflict):
        services.update_unit(SYSTEM, Unit.objects.get(pk=u.pk), expected_version=v, name="新名称B")
    assert Unit.objects.get(pk=u.pk).name == "新名称A"


def test_person_validation(world):
    with pytest.raises(DomainError, match="身份证号"):
        services.create_person(SYSTEM, name="张三", region=world.comm_a, id_number="110101199003074512")
    p = services.create_person(SYSTEM, name="张三", region=world.comm_a, id_number="11010519491231002x")
    assert p.id_number == "11010519491231002X"
    with pytest.raises(DomainError, match="电话号码"):
        services.create_person(SYSTEM, name="李四", region=world.comm_a, phone="12345")


def test_id_number_checksum():
    # GB 11643 example structure: the check character is computed, not guessed.
    assert services.id_number_valid("11010519491231002X")
    assert not services.id_number_valid("110105194912310021")
