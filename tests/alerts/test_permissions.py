"""Who may do what with alerts: every action against every role, inside and outside the subtree."""

from __future__ import annotations

import pytest

from gongzhi.alerts import services as S
from gongzhi.alerts.models import Alert, Status
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Forbidden

from ..helpers import outcome
from .test_services import background, spike

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
    # action:                DA    SC     CC     GW     DS     AU     OSC
    "scan_district": (True, False, False, False, False, False, False),
    "scan_street_a": (True, True, False, False, False, False, False),
    "scan_community_a": (True, True, False, False, False, False, False),
    "acknowledge_in_a": (True, True, True, False, False, False, False),
    "dismiss_in_a": (True, True, True, False, False, False, False),
    "resolve_in_a": (True, True, True, False, False, False, False),
    "see_alert_in_a": (True, True, True, True, True, True, False),
    "see_alert_in_b": (True, False, False, False, True, True, True),
}


@pytest.fixture
def alerts(aworld, add):
    w = aworld
    background(w)
    background(w, grid=w.grid_b, seed=2)
    spike(w, add)
    spike(w, add, grid=w.grid_b)
    raised = S.scan(SYSTEM, None, w.at).raised
    w.alert_a = next(a for a in raised if a.grid == w.grid_a)
    w.alert_b = next(a for a in raised if a.grid == w.grid_b)
    return w


def actions(w, user):
    def see(alert):
        def go():
            if not S.visible(user).filter(pk=alert.pk).exists():
                raise Forbidden("not visible")

        return go

    return {
        "scan_district": lambda: S.scan(user, w.district, w.at),
        "scan_street_a": lambda: S.scan(user, w.street_a, w.at),
        "scan_community_a": lambda: S.scan(user, w.comm_a, w.at),
        "acknowledge_in_a": lambda: S.acknowledge(user, Alert.objects.get(pk=w.alert_a.pk)),
        "dismiss_in_a": lambda: S.dismiss(user, Alert.objects.get(pk=w.alert_a.pk), reason="误报"),
        "resolve_in_a": lambda: S.resolve(user, Alert.objects.get(pk=w.alert_a.pk)),
        "see_alert_in_a": see(w.alert_a),
        "see_alert_in_b": see(w.alert_b),
    }


@pytest.mark.parametrize("action", list(MATRIX))
def test_permission_matrix(alerts, users, action):
    got = tuple(outcome(actions(alerts, users[r])[action]) for r in ROLES)
    assert got == MATRIX[action], dict(zip(ROLES, got))


def test_a_refused_change_changes_nothing(alerts, users):
    a = alerts.alert_a
    with pytest.raises(Forbidden):
        S.dismiss(users["grid_worker"], a, reason="不是问题")
    with pytest.raises(Forbidden):
        S.acknowledge(users["other_street_cadre"], a)
    a.refresh_from_db()
    assert a.status == Status.OPEN and a.version == 1 and a.status_reason == ""
    n = Alert.objects.count()
    with pytest.raises(Forbidden):
        S.scan(users["community_cadre"], alerts.comm_a, alerts.at, days=3)
    assert Alert.objects.count() == n
