"""The permission matrix of the alliance actions: each role × action × inside / outside its subtree,
and the services refusing what the matrix refuses."""

import datetime as dt

import pytest

from gongzhi.alliances import permissions as ap
from gongzhi.alliances import rating as RT
from gongzhi.alliances import services as S
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Forbidden

EXPECTED = {
    "district_admin": set(ap.ACTIONS),
    "street_cadre": set(ap.ACTIONS),
    "community_cadre": {ap.VIEW, ap.APPLY, ap.MANAGE},
    "grid_worker": {ap.VIEW},
    "department_staff": {ap.VIEW, ap.APPLY},
    "auditor": {ap.VIEW},
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_matrix(world, users, role):
    user = users[role]
    for action in ap.ACTIONS:
        assert ap.allowed(user, action, world.comm_a) is (action in EXPECTED[role]), action
        # township B lies outside every street-A role's subtree; district roles see it
        outside = role in ("district_admin", "department_staff", "auditor") and action in EXPECTED[role]
        assert ap.allowed(user, action, world.comm_b) is outside, action
    assert ap.allowed(users["other_street_cadre"], ap.APPROVE, world.comm_a) is False
    assert ap.allowed(SYSTEM, ap.APPROVE, world.comm_a) is True


def test_services_follow_the_matrix(units, users, alliance):
    comm, grid, other, audit = (users[k] for k in ("community_cadre", "grid_worker", "other_street_cadre", "auditor"))
    with pytest.raises(Forbidden):  # a grid worker may not found an alliance
        S.apply_alliance(
            lead_unit=units.comm_party, kind="cross_domain", name="X", purpose="p", members=[units.school], actor=grid
        )
    a = S.apply_alliance(
        lead_unit=units.comm_party, kind="cross_domain", name="X", purpose="p", members=[units.school], actor=comm
    )
    with pytest.raises(Forbidden):  # the community may apply but not approve
        S.decide_application(a, approve=True, actor=comm)
    with pytest.raises(Forbidden):  # another street's cadre may not approve
        S.decide_application(a, approve=True, actor=other)
    m = alliance.meetings.get(kind="kickoff")
    with pytest.raises(Forbidden):
        S.record_meeting(
            m, held_on=dt.date(2025, 1, 20), minutes="m", attendees=[units.comm_party, units.school], actor=audit
        )
    S.record_meeting(
        m,
        held_on=dt.date(2025, 1, 20),
        minutes="m",
        attendees=[units.comm_party, units.school],
        actor=comm,
        on=dt.date(2025, 1, 20),
    )
    with pytest.raises(Forbidden):  # points are computed by the street, not the community
        RT.compute_quarter(alliance, 2025, 1, actor=comm)
    RT.compute_quarter(alliance, 2025, 1, actor=users["street_cadre"])
    assert S.visible_alliances(other).count() == 0
    assert S.visible_alliances(audit).count() == 2
    assert S.visible_alliances(grid).count() == 2  # both led from the grid worker's community
