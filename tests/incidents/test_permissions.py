"""The permission matrix: roles × actions × inside / outside the role's subtree. A refusal changes nothing."""

from __future__ import annotations

import pytest

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.incidents import services as S
from gongzhi.incidents.models import Incident, LogEntry, Mobilisation

from .conftest import declare_a

pytestmark = pytest.mark.django_db

ROLES = [
    "district_admin",
    "street_cadre",
    "community_cadre",
    "grid_worker",
    "department_staff",
    "auditor",
    "other_street_cadre",
]
# Incident in street A (community A's first grid); the person mobilised lives/covers in community A.
EXPECTED = {
    "declare_in_a": {"district_admin", "street_cadre"},
    "declare_in_b": {"district_admin", "other_street_cadre"},
    "stand_down": {"district_admin", "street_cadre"},
    "check_in": {"district_admin", "street_cadre", "community_cadre", "grid_worker"},
    "assign": {"district_admin", "street_cadre", "community_cadre"},
    "raise_need": {"district_admin", "street_cadre"},
    "view": {"district_admin", "street_cadre", "community_cadre", "grid_worker", "department_staff", "auditor"},
}


def _attempt(w, action, user):
    if action == "declare_in_a":
        declare_a(w, user, grids=[w.grids_a[1].code])
    elif action == "declare_in_b":
        declare_a(w, user, name="乡镇山洪", grids=[w.grids_b[0].code])
    elif action == "stand_down":
        S.stand_down(user, w.inc)
    elif action == "check_in":
        S.check_in(user, w.mob)
    elif action == "assign":
        S.check_in(SYSTEM, w.mob)
        S.assign(
            user, Mobilisation.objects.select_related("incident", "person", "region").get(pk=w.mob.pk), task="值守路口"
        )
    elif action == "raise_need":
        S.raise_need(user, w.inc, title="沙袋", kind="material", quantity=1)
    elif action == "view":
        S.get_incident(user, w.inc.pk)


@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_matrix(iworld, role, action):
    w = iworld
    w.inc = declare_a(w, None)
    w.mob = (
        Mobilisation.objects.filter(incident=w.inc, region=w.comm_a)
        .select_related("incident", "person", "region", "grid")
        .order_by("id")
        .first()
    )
    assert w.mob is not None
    user = w.users[role]
    before = (Incident.objects.count(), LogEntry.objects.count())
    if role in EXPECTED[action]:
        _attempt(w, action, user)
    else:
        with pytest.raises((Forbidden, NotFound)):
            _attempt(w, action, user)
        if action != "assign":  # assign's own check-in (by the system) is a separate transaction
            assert (Incident.objects.count(), LogEntry.objects.count()) == before


def test_anonymous_sees_nothing(iworld):
    from django.contrib.auth.models import AnonymousUser

    w = iworld
    inc = declare_a(w)
    assert not S.visible_incidents(AnonymousUser()).exists()
    with pytest.raises(Forbidden):
        S.declare(AnonymousUser(), name="x", kind="flood", grids=[w.grids_a[2].code])
    with pytest.raises(Forbidden):
        S.stand_down(AnonymousUser(), inc)
