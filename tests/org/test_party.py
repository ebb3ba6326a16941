"""The three-member rule as the party constitution says (issue 20, item 3).

Seed 004 quotes the party constitution (art. 30): 企业、农村、机关、学校、医院、科研院所、街道社区、
社会组织……凡是有正式党员三人以上的，都应当成立党的基层组织. So: a primary organisation is founded by
at least three people who are *already* full members (正式党员; probationary members do not count,
nobody's standing changes); a party group (党小组) is a division of its branch, formed from the
branch's members; and a unit or area with three or more full members and no organisation is a gap
(应建未建) the street sees, with each member's party relation.
"""

import pytest
from django.core.management import call_command
from django.test import Client

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.core.models import Event
from gongzhi.org import party, services
from gongzhi.org.kinds import PRIMARY_ORG_KINDS, MemberRole, PartyStatus
from gongzhi.org.models import Membership, Person, Unit


def full_members(region, n, exclude=()):
    qs = Person.objects.filter(region=region, party_status=PartyStatus.FULL).exclude(pk__in=[p.pk for p in exclude])
    return list(qs.order_by("id")[:n])


def non_members(region, n):
    return list(Person.objects.filter(region=region, party_status="").order_by("id")[:n])


def probationary(region):
    p = non_members(region, 1)[0]
    c_party = Unit.objects.get(region=region, kind__in=PRIMARY_ORG_KINDS, parent__kind="party_street")
    return services.record_party_standing(SYSTEM, p, status=PartyStatus.PROBATIONARY, relation=c_party)


def community_party(world):
    return Unit.objects.get(region=world.comm_a, kind="party_community")


def standings(people):
    return {p.pk: Person.objects.get(pk=p.pk).party_status for p in people}


# ----------------------------------------------------------------- founding


def test_a_primary_organisation_needs_three_founders_who_are_already_full_members(world):
    full = full_members(world.comm_a, 2)
    prob = probationary(world.comm_a)
    before, n_members = Unit.objects.count(), Membership.objects.count()
    with pytest.raises(DomainError) as e:
        services.create_unit(
            SYSTEM,
            code="B-1",
            name="新支部",
            kind="party_compound",
            region=world.comm_a,
            parent=community_party(world),
            founding_members=[*full, prob],
        )
    # Refused, naming who is not a full member; the probationary member does not count.
    assert e.value.code == "not_full_members" and e.value.field == "founding_members"
    assert "至少3名正式党员" in e.value.message and "只有2名" in e.value.message
    assert prob.name in e.value.message and "预备党员" in e.value.message
    assert Unit.objects.count() == before and Membership.objects.count() == n_members
    assert standings([prob]) == {prob.pk: PartyStatus.PROBATIONARY}  # never promoted


def test_residents_are_never_made_party_members_by_founding(world):
    people = non_members(world.comm_a, 3)
    with pytest.raises(DomainError) as e:
        services.create_unit(
            SYSTEM,
            code="B-2",
            name="新支部",
            kind="party_compound",
            region=world.comm_a,
            parent=community_party(world),
            founding_members=people,
        )
    assert e.value.code == "not_full_members" and "只有0名" in e.value.message
    assert all(p.name in e.value.message for p in people)
    assert set(standings(people).values()) == {""}
    assert not Membership.objects.filter(person__in=people, role=MemberRole.FULL_MEMBER).exists()


def test_three_full_members_found_an_organisation_and_keep_their_standing_and_relation(world):
    people = full_members(world.comm_a, 3)
    relations = {p.pk: p.party_relation_id for p in people}
    u = services.create_unit(
        SYSTEM,
        code="B-3",
        name="新支部",
        kind="party_compound",
        region=world.comm_a,
        parent=community_party(world),
        founding_members=people,
    )
    assert services.full_member_count(u) == 3 and not u.needs_rectification
    for p in Person.objects.filter(pk__in=relations):
        assert p.party_status == PartyStatus.FULL and p.party_relation_id == relations[p.pk]
    assert Event.objects.get(type="org.unit_established", aggregate_id="B-3").payload["founding_members"] == 3


def test_two_full_members_are_too_few(world):
    with pytest.raises(DomainError) as e:
        services.create_unit(
            SYSTEM,
            code="B-4",
            name="新支部",
            kind="party_branch",
            region=world.street_a,
            parent=Unit.objects.get(code=f"{world.street_a.code}-PARTY"),
            founding_members=full_members(world.comm_a, 2),
        )
    assert e.value.code == "too_few_members"


def test_non_party_units_take_no_founders(world):
    with pytest.raises(DomainError, match="不是党组织"):
        services.create_unit(
            SYSTEM, code="E-9", name="某公司", kind="enterprise_private", region=world.comm_a,
            founding_members=full_members(world.comm_a, 3),
        )  # fmt: skip


# ----------------------------------------------------------------- party groups


def compound_branch(world):
    return community_party(world).children.filter(kind="party_compound").order_by("pk").first()


def branch_members(branch, role=MemberRole.FULL_MEMBER):
    ids = Membership.objects.filter(unit=branch, role=role, end_date__isnull=True).values("person_id")
    return list(Person.objects.filter(pk__in=ids).order_by("pk"))


def test_a_party_group_is_formed_from_its_branchs_members_without_the_three_member_rule(world):
    branch = compound_branch(world)
    prob = probationary(world.comm_a)
    services.add_member(SYSTEM, branch, prob, MemberRole.PROBATIONARY_MEMBER)
    one = branch_members(branch)[0]
    g = services.create_unit(
        SYSTEM,
        code="G-1",
        name="9号楼党小组",
        kind="party_building",
        region=world.comm_a,
        parent=branch,
        founding_members=[one, prob],
    )
    roles = dict(Membership.objects.filter(unit=g).values_list("person_id", "role"))
    assert roles == {one.pk: MemberRole.FULL_MEMBER, prob.pk: MemberRole.PROBATIONARY_MEMBER}
    assert Person.objects.get(pk=prob.pk).party_status == PartyStatus.PROBATIONARY


def test_a_party_group_refuses_members_of_other_organisations(world):
    branch = compound_branch(world)
    inside = {p.pk for p in branch_members(branch)}
    outsider = Person.objects.filter(party_status=PartyStatus.FULL, region=world.comm_a).exclude(pk__in=inside).first()
    with pytest.raises(DomainError) as e:
        services.create_unit(
            SYSTEM,
            code="G-2",
            name="10号楼党小组",
            kind="party_building",
            region=world.comm_a,
            parent=branch,
            founding_members=[branch_members(branch)[0], outsider],
        )
    assert e.value.code == "not_branch_members" and outsider.name in e.value.message
    with pytest.raises(DomainError, match="至少指定一名"):
        services.create_unit(
            SYSTEM, code="G-3", name="空党小组", kind="party_building", region=world.comm_a, parent=branch
        )
    g = services.create_unit(
        SYSTEM,
        code="G-4",
        name="11号楼党小组",
        kind="party_building",
        region=world.comm_a,
        parent=branch,
        founding_members=branch_members(branch)[:1],
    )
    with pytest.raises(DomainError) as e:
        services.add_member(SYSTEM, g, outsider, MemberRole.FULL_MEMBER)
    assert e.value.code == "not_branch_members"


def test_falling_below_three_flags_a_primary_organisation_not_a_party_group(world):
    branch = compound_branch(world)
    members = branch_members(branch)
    g = services.create_unit(
        SYSTEM,
        code="G-5",
        name="12号楼党小组",
        kind="party_building",
        region=world.comm_a,
        parent=branch,
        founding_members=members[:3],
    )
    services.end_membership(SYSTEM, Membership.objects.filter(unit=g).first(), reason="调离")
    g.refresh_from_db()
    assert not g.needs_rectification
    u = services.create_unit(
        SYSTEM,
        code="B-5",
        name="新支部",
        kind="party_compound",
        region=world.comm_a,
        parent=community_party(world),
        founding_members=full_members(world.comm_a, 3),
    )
    services.end_membership(SYSTEM, Membership.objects.filter(unit=u).first(), reason="调离")
    u.refresh_from_db()
    assert u.needs_rectification and "仅2名" in u.rectification_reason
    assert u.status == Unit.Status.ESTABLISHED


# ----------------------------------------------------------------- standing


def test_joining_never_changes_a_standing_it_is_recorded_first(world):
    u = community_party(world)
    p = non_members(world.comm_a, 1)[0]
    with pytest.raises(DomainError) as e:
        services.add_member(SYSTEM, u, p, MemberRole.FULL_MEMBER)
    assert e.value.code == "not_party_member"
    services.record_party_standing(SYSTEM, p, status=PartyStatus.FULL, relation=u)
    services.add_member(SYSTEM, u, p, MemberRole.FULL_MEMBER)
    ev = Event.objects.get(type="org.party_standing_recorded", aggregate_id=str(p.pk))
    assert not ev.public and ev.payload["relation"] == u.code
    group = Unit.objects.filter(kind="party_building").first()
    with pytest.raises(DomainError, match="基层组织"):
        services.record_party_standing(SYSTEM, p, status=PartyStatus.FULL, relation=group)


# ----------------------------------------------------------------- 应建未建


def enterprise_with_staff(world, code, people):
    ent = services.create_unit(SYSTEM, code=code, name=f"{code}公司", kind="enterprise_private", region=world.comm_a)
    for p in people:
        services.add_member(SYSTEM, ent, p, MemberRole.STAFF)
    return ent


def test_a_unit_with_three_full_members_working_and_no_organisation_is_a_gap(world):
    people = full_members(world.comm_a, 3)
    ent = enterprise_with_staff(world, "GAP-1", people)
    gap = next(g for g in party.gaps(SYSTEM) if g.unit == ent)
    assert gap.kind == "unit" and [p.pk for p in gap.members] == [p.pk for p in people]
    assert all(p.party_relation_id for p in gap.members)  # each with its relation
    # Setting up an organisation in it closes the gap.
    services.create_unit(
        SYSTEM,
        code="GAP-1-PB",
        name="GAP-1公司支部",
        kind="party_branch",
        region=world.street_a,
        parent=Unit.objects.get(code=f"{world.street_a.code}-PARTY"),
        founding_members=people,
        host=ent,
    )
    assert not any(g.unit == ent for g in party.gaps(SYSTEM))


def test_probationary_members_and_residents_do_not_make_a_gap(world):
    ent = enterprise_with_staff(world, "GAP-2", [*full_members(world.comm_a, 2), probationary(world.comm_a)])
    services.add_member(SYSTEM, ent, full_members(world.comm_a, 3)[2], MemberRole.RESIDENT)
    assert not any(g.unit == ent for g in party.gaps(SYSTEM))


def test_a_community_without_a_primary_organisation_is_an_area_gap(world):
    assert not any(g.kind == "area" for g in party.gaps(SYSTEM))
    Unit.objects.filter(region=world.comm_b, kind__in=PRIMARY_ORG_KINDS).update(status=Unit.Status.DISSOLVED)
    gap = next(g for g in party.gaps(SYSTEM) if g.kind == "area")
    assert gap.region == world.comm_b and len(gap.members) >= 3
    assert {p.party_status for p in gap.members} == {PartyStatus.FULL}


def test_the_demo_district_has_gaps_for_the_street(world, users):
    found = party.gaps(users["street_cadre"])
    units = [g for g in found if g.kind == "unit"]
    assert units and all(len(g.members) >= 3 and g.region == world.street_a for g in units)
    assert all("数码科技有限公司" in g.name for g in units)  # the two-member company (连锁超市) is not one
    assert party.gaps(users["other_street_cadre"]) == []  # the rural township has none, A's are out of scope
    assert Person.objects.filter(party_status=PartyStatus.PROBATIONARY).exists()
    assert not any(p.party_status != PartyStatus.FULL for g in found for p in g.members)


def test_the_list_page_and_api_mask_personal_data_by_the_rule(world, users):
    c = Client()
    c.force_login(users["street_cadre"])
    r = c.get("/party/gaps/")
    html = r.content.decode()
    gap = party.gaps(users["street_cadre"])[0]
    assert r.status_code == 200 and gap.name in html and gap.members[0].name in html
    assert gap.members[0].party_relation.name in html
    d = Client()
    d.force_login(users["department_staff"])  # reads the district, may not see phones
    html = d.get("/party/gaps/").content.decode()
    p = gap.members[0]
    assert p.phone not in html and p.phone[:3] + "****" + p.phone[-4:] in html
    r = c.get("/api/v1/party/gaps", {"region": world.street_a.code})
    body = r.json()
    assert r.status_code == 200 and body[0]["unit"] == gap.unit.code
    m = body[0]["members"][0]
    assert m["phone"] == p.phone and not m["masked"] and m["relation"] == p.party_relation.code
    r = d.get("/api/v1/party/gaps")
    assert r.json()[0]["members"][0]["masked"] is True
    o = Client()
    o.force_login(users["other_street_cadre"])
    assert o.get("/api/v1/party/gaps", {"region": world.street_a.code}).status_code == 403


def test_command_lists_the_gaps(world, capsys):
    call_command("party_gaps", "--region", world.street_a.code)
    out = capsys.readouterr().out
    assert "数码科技有限公司" in out and "组织关系" in out


def test_founding_on_the_unit_page_with_its_host_closes_the_gap(world, users):
    gap = next(g for g in party.gaps(users["street_cadre"]) if g.kind == "unit")
    street_party = Unit.objects.get(code=f"{world.street_a.code}-PARTY")
    c = Client()
    c.force_login(users["street_cadre"])
    form = {
        "code": "GAP-PB",
        "name": f"中共{gap.name}支部委员会",
        "kind": "party_branch",
        "founding_members": ",".join(str(p.pk) for p in gap.members),
        "host": "NO-SUCH-UNIT",
    }
    r = c.post(f"/org/unit/{street_party.code}/", form)
    assert r.status_code == 200 and 'aria-invalid="true"' in r.content.decode()
    assert not Unit.objects.filter(code="GAP-PB").exists()
    r = c.post(f"/org/unit/{street_party.code}/", {**form, "host": gap.unit.code})
    assert r.status_code == 302
    assert Unit.objects.get(code="GAP-PB").host == gap.unit
    assert not any(g.unit == gap.unit for g in party.gaps(users["street_cadre"]))


def test_the_api_records_a_standing_only_for_those_who_edit_people(world, users):
    import json

    p = non_members(world.comm_a, 1)[0]
    body = json.dumps({"status": "probationary", "relation": community_party(world).code})

    def post(user):
        c = Client()
        c.force_login(user)
        return c.post(f"/api/v1/people/{p.pk}/party-standing", body, content_type="application/json")

    assert post(users["department_staff"]).status_code == 403
    assert post(users["other_street_cadre"]).status_code == 404
    r = post(users["community_cadre"])
    assert r.status_code == 200 and r.json()["party_status"] == "probationary"
    p.refresh_from_db()
    assert p.party_status == PartyStatus.PROBATIONARY and p.party_relation == community_party(world)
