"""Who may do what with volunteers: every action against every role, plus the volunteer themself."""

from __future__ import annotations

import pytest

from gongzhi.core.actors import SYSTEM
from gongzhi.org.models import Person, Unit
from gongzhi.volunteers import services as V

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
    # action:               DA    SC     CC     GW     DS     AU     OSC
    "register": (True, True, True, False, False, False, False),
    "certify": (True, True, True, False, False, False, False),
    "claim_for": (True, True, True, True, False, False, False),
    "confirm_street": (True, True, False, False, False, False, False),
    "confirm_department": (True, False, False, False, True, False, False),
    "redeem_for": (True, True, True, True, False, False, False),
    "publish_rule": (True, True, False, False, False, False, False),
}


@pytest.fixture
def setup(vworld):
    w = vworld
    cgj = Unit.objects.get(code=f"{w.district.code}-CGJ")
    w.rec_street = V.claim_service(
        SYSTEM, w.vol, task_type=w.general, task_ref="S", title="t", organiser=w.gov_a, date=day(w, 1), hours=1
    )
    w.rec_dept = V.claim_service(
        SYSTEM, w.vol, task_type=w.general, task_ref="D", title="t", organiser=cgj, date=day(w, 2), hours=1
    )
    V.confirm_service(
        SYSTEM,
        V.claim_service(
            SYSTEM, w.vol, task_type=w.general, task_ref="E", title="t", organiser=w.gov_a, date=day(w, 3), hours=2
        ),
    )
    w.item = V.add_item(SYSTEM, w.bank, code="I", name="理发", points=5, stock=9)
    w.other = Person.objects.filter(region=w.comm_a).exclude(pk=w.person.pk).order_by("id").first()
    return w


def actions(w):
    return {
        "register": lambda u: V.register_volunteer(u, person=w.other, bank=w.bank),
        "certify": lambda u: V.add_certificate(
            u, w.vol, field="law", level=2, number="N", issued_on=day(w, 5), expires_on=day(w, -5), verified_by=w.gov_a
        ),
        "claim_for": lambda u: V.claim_service(
            u, w.vol, task_type=w.general, task_ref="X", title="t", organiser=w.gov_a, date=day(w, 4), hours=1
        ),
        "confirm_street": lambda u: V.confirm_service(u, w.rec_street),
        "confirm_department": lambda u: V.confirm_service(u, w.rec_dept),
        "redeem_for": lambda u: V.redeem(u, w.vol, w.item),
        "publish_rule": lambda u: V.publish_rule(
            u, w.bank, effective_from=day(w, 0), points_per_hour=5, daily_cap=10, yearly_cap=100
        ),
    }


def test_volunteer_permission_matrix(users, setup):
    fns = actions(setup)
    for action, expected in MATRIX.items():
        got = tuple(outcome(lambda u=users[role], a=action: fns[a](u)) for role in ROLES)
        assert got == expected, (action, dict(zip(ROLES, got)))


def test_a_volunteer_claims_and_redeems_for_themself_but_not_for_others(users, setup):
    from django.contrib.auth import get_user_model

    w = setup
    me = get_user_model().objects.create_user("vol_self", password="x")
    Person.objects.filter(pk=w.person.pk).update(user=me)
    w.vol.person.refresh_from_db()
    assert outcome(
        lambda: V.claim_service(
            me, w.vol, task_type=w.general, task_ref="SELF", title="t", organiser=w.gov_a, date=day(w, 6), hours=1
        )
    )
    assert outcome(lambda: V.redeem(me, w.vol, w.item))
    assert not outcome(lambda: V.confirm_service(me, w.rec_street))  # no one confirms their own service
    # a cadre who is also the volunteer cannot confirm their own claim
    Person.objects.filter(pk=w.person.pk).update(user=users["street_cadre"])
    assert not outcome(lambda: V.confirm_service(users["street_cadre"], w.rec_street))
    Person.objects.filter(pk=w.person.pk).update(user=me)
    other = V.register_volunteer(SYSTEM, person=w.other, bank=w.bank)
    assert not outcome(
        lambda: V.claim_service(
            me, other, task_type=w.general, task_ref="O", title="t", organiser=w.gov_a, date=day(w, 6), hours=1
        )
    )
