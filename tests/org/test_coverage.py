"""Party members covering areas and linking households (包片联户, seed 002: 通过运用党员包片联户方式……
将党组织的触角延伸到最基层单元): coverage per grid and community computed from the links, the gaps,
visits as records (no photo, no check-in) that the burden meter counts, a matter raised on a visit
filed as a request, scope and masking."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.events import dispatch_pending
from gongzhi.core.figures import compute
from gongzhi.org import coverage, services
from gongzhi.org.kinds import MemberRole
from gongzhi.org.models import Grid, Household, HouseholdLink, HouseholdVisit, Membership, Person


@pytest.fixture
def cov(world):
    """Community A with every demo link ended, then known links: grid 1 two households (one linked by two
    members), grid 2 one household; one more link that has ended (it does not count)."""
    w = world
    today = timezone.localdate()
    HouseholdLink.objects.filter(region__path__startswith=w.comm_a.path).update(end_date=today)
    g1, g2 = list(Grid.objects.filter(region=w.comm_a).order_by("code"))[:2]
    h1 = list(Household.objects.filter(grid=g1).order_by("code"))
    h2 = list(Household.objects.filter(grid=g2).order_by("code"))
    party = list(
        Person.objects.filter(
            region=w.comm_a,
            memberships__end_date__isnull=True,
            memberships__role__in=[MemberRole.FULL_MEMBER, MemberRole.PROBATIONARY_MEMBER],
        )
        .distinct()
        .order_by("pk")
    )
    m1, m2, m3 = party[:3]
    services.link_household(SYSTEM, m1, h1[0])
    services.link_household(SYSTEM, m2, h1[0])
    services.link_household(SYSTEM, m1, h1[1])
    services.link_household(SYSTEM, m2, h2[0])
    ended = services.link_household(SYSTEM, m3, h2[1])
    HouseholdLink.objects.filter(pk=ended.pk).update(end_date=today)
    w.g1, w.g2, w.h1, w.h2, w.m1, w.m2, w.m3, w.party = g1, g2, h1, h2, m1, m2, m3, party
    w.today = today
    return w


def test_coverage_rate_per_grid_and_community_from_the_links(cov):
    (row,) = coverage.coverage(SYSTEM, cov.comm_a)
    total = Household.objects.filter(region=cov.comm_a).count()
    assert (row.households, row.linked) == (total, 3)
    assert row.rate == round(3 / total, 4)
    grids = {g.grid.pk: g for g in row.grids}
    assert (grids[cov.g1.pk].households, grids[cov.g1.pk].linked) == (len(cov.h1), 2)
    assert grids[cov.g1.pk].rate == round(2 / len(cov.h1), 4)
    assert (grids[cov.g2.pk].linked, grids[cov.g2.pk].members) == (1, 1)  # the ended link does not count
    assert grids[cov.g1.pk].members == 2
    assert (row.members, row.members_linking) == (len(cov.party), 2)
    fig = compute("org.household_coverage", cov.comm_a, cov.today, cov.today + dt.timedelta(days=1))
    assert (fig["num"], fig["den"]) == (3, total)


def test_gaps_list_unlinked_households_and_members(cov):
    found = coverage.gaps(SYSTEM, cov.comm_a)
    linked = {cov.h1[0].pk, cov.h1[1].pk, cov.h2[0].pk}
    assert {h.pk for h in found.households} == set(
        Household.objects.filter(region=cov.comm_a).exclude(pk__in=linked).values_list("pk", flat=True)
    )
    assert cov.h2[1].pk in {h.pk for h in found.households}  # its only link ended
    assert {p.pk for p in found.members} == {p.pk for p in cov.party} - {cov.m1.pk, cov.m2.pk}


def test_a_visit_is_a_record_counted_by_the_burden_meter(cov):
    from gongzhi.burden.models import DemandItem

    v = services.record_visit(SYSTEM, cov.m1, cov.h1[0], purpose="care", visited_on=cov.today, note="独居老人")
    assert not hasattr(v, "photo") and {f.name for f in HouseholdVisit._meta.fields}.isdisjoint(
        {"photo", "lon", "lat", "check_in", "checked_in_at"}
    )
    dispatch_pending()
    item = DemandItem.objects.get(source_ref=f"visit:{v.pk}")
    assert (item.worker_id, item.on, item.minutes) == (cov.m1.pk, cov.today, 5)
    assert item.demand.platform_key == "household_visit"
    from gongzhi.burden import platform

    assert platform.backfill(SYSTEM, cov.comm_a) == 0 or not DemandItem.objects.filter(
        source_ref=f"visit:{v.pk}"
    ).exclude(pk=item.pk)  # counted once
    assert DemandItem.objects.filter(source_ref=f"visit:{v.pk}").count() == 1
    assert compute("org.household_visits", cov.comm_a, cov.today, cov.today + dt.timedelta(days=1)) == 1


def test_a_matter_raised_on_a_visit_becomes_a_request(cov, users):
    from gongzhi.cases.models import ServiceRequest

    v = services.record_visit(
        users["grid_worker"], cov.m1, cov.h1[0], purpose="matter", matter="楼道灯坏了，晚上看不见"
    )
    assert v.matter_raised and v.request_number
    req = ServiceRequest.objects.get(number=v.request_number)
    assert req.channel == "grid" and req.grid_id == cov.h1[0].grid_id


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"purpose": "selfie"}, "purpose"),
        ({"purpose": "routine", "visited_on": "2026-13-01"}, "visited_on"),
        ({"purpose": "routine", "visited_on": "2999-01-01"}, "visited_on"),
        ({"purpose": "routine", "note": "x" * 301}, "note"),
        ({"purpose": "matter", "matter": "   "}, None),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(cov, kwargs, field):
    from gongzhi.cases.models import ServiceRequest

    n, r = HouseholdVisit.objects.count(), ServiceRequest.objects.count()
    if field is None:  # blank matter: a plain visit, no request
        services.record_visit(SYSTEM, cov.m1, cov.h1[0], **kwargs)
        assert ServiceRequest.objects.count() == r and HouseholdVisit.objects.count() == n + 1
        return
    with pytest.raises(DomainError) as e:
        services.record_visit(SYSTEM, cov.m1, cov.h1[0], **kwargs)
    assert e.value.field == field
    assert HouseholdVisit.objects.count() == n and ServiceRequest.objects.count() == r


def test_visits_only_to_linked_households_once_a_day(cov):
    with pytest.raises(DomainError) as e:
        services.record_visit(SYSTEM, cov.m3, cov.h2[1], purpose="routine")  # link ended
    assert e.value.code == "not_linked"
    services.record_visit(SYSTEM, cov.m1, cov.h1[0], purpose="routine")
    with pytest.raises(DomainError) as e:
        services.record_visit(SYSTEM, cov.m1, cov.h1[0], purpose="policy")
    assert e.value.code == "duplicate"
    # a failed matter filing leaves no visit either
    n = HouseholdVisit.objects.count()
    with pytest.raises(DomainError):
        services.record_visit(SYSTEM, cov.m1, cov.h1[1], purpose="matter", matter="x", category="99999")
    assert HouseholdVisit.objects.count() == n


def test_scope(cov, users):
    with pytest.raises(Forbidden):
        services.record_visit(users["other_street_cadre"], cov.m1, cov.h1[0], purpose="routine")
    assert coverage.coverage(users["other_street_cadre"], None)
    assert cov.comm_a.pk not in {r.region.pk for r in coverage.coverage(users["other_street_cadre"])}
    assert [r.region.pk for r in coverage.coverage(users["community_cadre"])] == [cov.comm_a.pk]
    from django.contrib.auth.models import AnonymousUser

    assert coverage.coverage(AnonymousUser()) == []


def test_pages_api_and_command(cov, users, capsys):
    c = Client()
    c.force_login(users["community_cadre"])
    r = c.get("/party/coverage/")
    assert r.status_code == 200 and cov.g1.name in r.content.decode()
    r = c.get(f"/party/coverage/members/{cov.m1.pk}/")
    assert r.status_code == 200 and cov.h1[0].code in r.content.decode()
    r = c.post(
        f"/party/coverage/members/{cov.m1.pk}/",
        {"household": cov.h1[0].pk, "purpose": "policy", "visited_on": cov.today.isoformat()},
    )
    assert r.status_code == 302 and HouseholdVisit.objects.filter(member=cov.m1, purpose="policy").exists()
    r = c.post(f"/party/coverage/members/{cov.m1.pk}/", {"household": cov.h1[1].pk, "purpose": "nope"})
    assert r.status_code == 200 and 'aria-invalid="true"' in r.content.decode()
    other = Client()
    other.force_login(users["other_street_cadre"])
    assert other.get(f"/party/coverage/members/{cov.m1.pk}/").status_code == 404
    # API
    from gongzhi.core.services import issue_api_token

    token = issue_api_token(SYSTEM, users["community_cadre"], "t")
    h = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    r = c.get(f"/api/v1/coverage?region={cov.comm_a.code}", **h)
    body = r.json()
    assert r.status_code == 200 and body["linked"] == 3
    r = c.get("/api/v1/coverage/gaps", **h)
    assert r.status_code == 200 and cov.h2[1].code in {x["code"] for x in r.json()["households"]}
    r = c.post(
        "/api/v1/coverage/visits",
        {"member": cov.m2.pk, "household": cov.h2[0].code, "purpose": "safety"},
        content_type="application/json",
        **h,
    )
    assert r.status_code == 201 and r.json()["purpose"] == "safety"
    r = c.post(
        "/api/v1/coverage/visits",
        {"member": cov.m2.pk, "household": cov.h2[0].code, "purpose": "bad"},
        content_type="application/json",
        **h,
    )
    assert r.status_code == 400 and r.json()["field"] == "purpose"
    r = c.get(f"/api/v1/coverage/members/{cov.m2.pk}", **h)
    assert r.status_code == 200 and r.json()["visits"][0]["purpose"] == "safety"
    call_command("coverage", "--region", cov.comm_a.code, "--gaps")
    out = capsys.readouterr().out
    assert f"3/{Household.objects.filter(region=cov.comm_a).count()}户" in out and "[未联系户]" in out


def test_masking_of_members_outside_personal_scope(cov, users):
    from gongzhi.org.api import person_out

    assert Membership.objects.filter(person=cov.m3).exists()
    out = person_out(users["department_staff"], cov.m3)
    assert out["masked"]


def test_demo_visits_feed_the_burden_meter(world):
    import gongzhi.cases.demo
    from gongzhi.burden.models import DemandItem
    from gongzhi.org import demo_visits

    def quiet(*a, **k):
        return None

    gongzhi.cases.demo.generate(seed=1, scale="tiny", progress=quiet)
    out = demo_visits.generate(seed=1, scale="tiny", progress=quiet)
    assert out["household_visits"] == HouseholdVisit.objects.count() > 0
    assert out["visit_matters"] == HouseholdVisit.objects.exclude(request_number="").count() >= 1
    dispatch_pending()
    assert DemandItem.objects.filter(source_ref__startswith="visit:").count() == HouseholdVisit.objects.count()
