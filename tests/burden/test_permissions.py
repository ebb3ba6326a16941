"""Who may do what with the burden meter: every action against every role, inside and outside the
actor's region subtree; a refused request writes nothing."""

from __future__ import annotations

import pytest

from gongzhi.burden import perms
from gongzhi.burden import services as S
from gongzhi.burden.models import (
    AuditFlag,
    BurdenReductionOrder,
    Demand,
    DemandItem,
    ReportDefinition,
)
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Forbidden

from ..helpers import outcome
from .conftest import day

ROLES = [
    "district_admin",
    "street_cadre",
    "community_cadre",
    "grid_worker",
    "department_staff",
    "auditor",
    "other_street_cadre",
]


MATRIX = {
    # action:                 DA     SC     CC     GW     DS     AU     OSC
    "issue_comm_a": (True, True, True, False, False, False, False),
    "issue_comm_b": (True, False, False, False, False, False, True),
    "complete_comm_a": (True, True, True, False, False, False, False),
    "complete_own": (True, True, True, True, False, False, False),
    "order_street_a": (True, True, False, False, False, False, False),
    "order_district": (True, False, False, False, False, False, False),
    "define_report": (True, False, False, False, False, False, False),
    "generate_street_a": (True, True, False, False, False, True, False),
    "generate_comm_a": (True, True, True, False, False, True, False),
    "generate_street_b": (True, False, False, False, False, True, True),
}

VIEW_MATRIX = {
    # where:                  DA     SC     CC     GW     DS     AU     OSC
    "view_comm_a": (True, True, True, False, False, True, False),
    "view_street_b": (True, False, False, False, False, True, True),
    "audit_street_a": (True, True, False, False, False, True, False),
}


@pytest.fixture
def setup(bworld):
    w = bworld
    w.item_a = S.issue_demand(
        SYSTEM, issuer=w.gov, title="A表", kind="form", minutes=30, units=[w.comm_a_unit]
    ).items.get()
    w.item_own = S.issue_demand(
        SYSTEM, issuer=w.gov, title="我的表", kind="form", minutes=30, workers=[w.worker]
    ).items.get()
    return w


def own_unit(user):
    from gongzhi.org.models import StaffRole

    return StaffRole.objects.get(user=user).unit


def actions(w):
    return {
        # each in the name of the unit the actor holds their role at
        "issue_comm_a": lambda u: S.issue_demand(
            u, issuer=own_unit(u), title="表", kind="form", minutes=10, units=[w.comm_a_unit]
        ),
        "issue_comm_b": lambda u: S.issue_demand(
            u, issuer=own_unit(u), title="表", kind="form", minutes=10, units=[w.comm_b_unit]
        ),
        "complete_comm_a": lambda u: S.complete_item(u, w.item_a),
        "complete_own": lambda u: S.complete_item(u, w.item_own),
        "order_street_a": lambda u: S.issue_order(
            u, issuer=w.gov_a, title="令", region=w.street_a, effective_on=day(w, 1)
        ),
        "order_district": lambda u: S.issue_order(
            u, issuer=w.gov, title="令", region=w.district, effective_on=day(w, 1)
        ),
        "define_report": lambda u: S.define_report(
            u, code="NEW", name="新表", fields=[{"code": "x", "label": "受理数", "source": "cases.requests"}]
        ),
        "generate_street_a": lambda u: S.generate_report(u, w.definition, w.street_a, "2026-10"),
        "generate_comm_a": lambda u: S.generate_report(u, w.definition, w.comm_a, "2026-10"),
        "generate_street_b": lambda u: S.generate_report(u, w.definition, w.street_b, "2026-10"),
    }


def test_burden_permission_matrix(users, setup):
    w = setup
    w.definition = S.define_report(
        SYSTEM, code="R", name="表", fields=[{"code": "x", "label": "受理数", "source": "cases.requests"}]
    )
    fns = actions(w)
    for action, expected in MATRIX.items():
        got = tuple(outcome(lambda u=users[role], a=action: fns[a](u)) for role in ROLES)
        assert got == expected, (action, dict(zip(ROLES, got)))


def test_view_and_audit_scopes(users, setup):
    w = setup
    where = {
        "view_comm_a": (perms.VIEW, w.comm_a),
        "view_street_b": (perms.VIEW, w.street_b),
        "audit_street_a": (perms.AUDIT, w.street_a),
    }
    for key, expected in VIEW_MATRIX.items():
        action, region = where[key]
        got = tuple(perms.allowed(users[role], action, region) for role in ROLES)
        assert got == expected, (key, dict(zip(ROLES, got)))


def test_visible_items_are_scoped_and_a_worker_sees_their_own(users, setup):
    w = setup
    b = S.issue_demand(SYSTEM, issuer=w.gov, title="B表", kind="form", minutes=30, units=[w.comm_b_unit]).items.get()
    assert set(S.visible_items(users["grid_worker"])) == {w.item_own}
    assert {w.item_a, w.item_own} <= set(S.visible_items(users["community_cadre"]))
    assert b not in set(S.visible_items(users["street_cadre"]))
    assert set(S.visible_items(users["other_street_cadre"])) == {b}
    assert not S.visible_items(users["department_staff"]).exists()


def test_a_refused_demand_writes_nothing(users, setup):
    w = setup
    counts = (Demand.objects.count(), DemandItem.objects.count(), AuditFlag.objects.count())
    S.issue_order(SYSTEM, issuer=w.gov, title="令", region=w.district, effective_on=day(w, 30))
    with pytest.raises(Forbidden):  # one target outside the cadre's street: nothing at all is recorded
        S.issue_demand(
            users["street_cadre"],
            issuer=w.gov_a,
            title="周报",
            kind="report",
            minutes=10,
            recurrence="weekly",
            units=[w.comm_a_unit, w.comm_b_unit],
        )
    with pytest.raises(Forbidden):  # not in the name of a unit above one's own
        S.issue_demand(
            users["community_cadre"], issuer=w.gov, title="表", kind="form", minutes=10, units=[w.comm_a_unit]
        )
    assert (Demand.objects.count(), DemandItem.objects.count(), AuditFlag.objects.count()) == counts
    assert BurdenReductionOrder.objects.count() == 1 and not ReportDefinition.objects.exists()
