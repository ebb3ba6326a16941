"""Who may do what in the pool: every pool action against every role, by real service calls."""

from __future__ import annotations

import pytest

from gongzhi.core.actors import SYSTEM
from gongzhi.org.models import Grid, Unit
from gongzhi.resources import services as S

from ..helpers import outcome

ROLES = [
    "district_admin",
    "street_cadre",
    "community_cadre",
    "grid_worker",
    "department_staff",
    "auditor",
    "other_street_cadre",
]


def pt(region):
    g = Grid.objects.filter(region__path__startswith=region.path).order_by("code")[0]
    return g.centroid_lon, g.centroid_lat


MATRIX = {
    # action:                 DA    SC     CC     GW     DS     AU     OSC
    "offer_street_unit": (True, True, False, False, False, False, False),
    "offer_department_unit": (True, False, False, False, True, False, False),
    "raise_in_community": (True, True, True, True, False, False, False),
    "match_street": (True, True, False, False, False, False, False),
    "respond_street_unit": (True, True, False, False, False, False, False),
    "respond_department": (True, False, False, False, True, False, False),
    "receive_in_community": (True, True, True, True, False, False, False),
    "withdraw_street_unit": (True, True, False, False, False, False, False),
}


@pytest.fixture
def pool(world):
    lon, lat = pt(world.comm_a)
    gov_a = Unit.objects.get(code=f"{world.street_a.code}-GOV")
    cgj = Unit.objects.get(code=f"{world.district.code}-CGJ")
    r_street = S.offer_resource(SYSTEM, owner=gov_a, name="街道物资", kind="material", quantity=5, lon=lon, lat=lat)
    r_dept = S.offer_resource(SYSTEM, owner=cgj, name="部门车辆", kind="vehicle", quantity=2, lon=lon, lat=lat)
    n1 = S.raise_need(SYSTEM, title="物资", kind="material", quantity=2, lon=lon, lat=lat)
    n2 = S.raise_need(SYSTEM, title="车辆", kind="vehicle", quantity=1, lon=lon, lat=lat)
    S.run_matching(SYSTEM, region=world.district)
    a_street = n1.assignments.get()
    a_dept = n2.assignments.get()
    S.respond(SYSTEM, a_dept, accept=True)
    committed = S.respond(SYSTEM, a_street, accept=True)
    # a fresh proposal to answer
    n3 = S.raise_need(SYSTEM, title="物资2", kind="material", quantity=1, lon=lon, lat=lat)
    S.run_matching(SYSTEM, region=world.district)
    return dict(
        lon=lon,
        lat=lat,
        gov_a=gov_a,
        cgj=cgj,
        r_street=r_street,
        r_dept=r_dept,
        proposal=n3.assignments.get(status="proposed"),
        committed=committed,
        dept_proposal=None,
    )


def actions(world, p):
    lon, lat = p["lon"], p["lat"]
    return {
        "offer_street_unit": lambda u: S.offer_resource(
            u, owner=p["gov_a"], name="x", kind="funds", quantity=1, lon=lon, lat=lat
        ),
        "offer_department_unit": lambda u: S.offer_resource(
            u, owner=p["cgj"], name="x", kind="funds", quantity=1, lon=lon, lat=lat
        ),
        "raise_in_community": lambda u: S.raise_need(u, title="x", kind="funds", quantity=1, lon=lon, lat=lat),
        "match_street": lambda u: S.run_matching(u, region=world.street_a),
        "respond_street_unit": lambda u: S.respond(u, p["proposal"], accept=True),
        "respond_department": lambda u: S.withdraw_resource(u, p["r_dept"], reason="检修"),
        "receive_in_community": lambda u: S.confirm_delivery(u, p["committed"], received=1),
        "withdraw_street_unit": lambda u: S.withdraw_resource(u, p["r_street"], reason="x"),
    }


def test_pool_permission_matrix(world, users, pool):
    fns = actions(world, pool)
    for action, expected in MATRIX.items():
        got = tuple(outcome(lambda u=users[role], a=action: fns[a](u)) for role in ROLES)
        assert got == expected, (action, dict(zip(ROLES, got)))


def test_inbox_lists_only_what_the_user_answers_for(world, users, pool):
    street = {a.pk for a in S.inbox(users["street_cadre"])}
    assert pool["proposal"].pk in street and pool["committed"].pk in street
    assert not S.inbox(users["auditor"]).exists()
    assert not S.inbox(users["other_street_cadre"]).exists()
    dept = list(S.inbox(users["department_staff"]))
    assert dept and all(a.resource.owner == pool["cgj"] for a in dept)
