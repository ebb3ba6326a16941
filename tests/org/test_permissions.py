"""The permission matrix: each role × each action × inside / outside its subtree."""

import pytest

from gongzhi.core.errors import Forbidden
from gongzhi.org import permissions as perm
from gongzhi.org import services
from gongzhi.org.models import Person, Unit

A = perm
EXPECTED = {
    "district_admin": {
        A.VIEW,
        A.VIEW_PERSONAL,
        A.EDIT_UNIT,
        A.ESTABLISH,
        A.EDIT_PERSON,
        A.MANAGE_GRIDS,
        A.MANAGE_LISTS,
        A.MANAGE_ROLES,
        A.VIEW_ID_NUMBER,
    },
    "street_cadre": {A.VIEW, A.VIEW_PERSONAL, A.EDIT_UNIT, A.ESTABLISH, A.EDIT_PERSON, A.MANAGE_GRIDS, A.MANAGE_ROLES},
    "community_cadre": {A.VIEW, A.VIEW_PERSONAL, A.EDIT_UNIT, A.ESTABLISH, A.EDIT_PERSON, A.VIEW_ID_NUMBER},
    "grid_worker": {A.VIEW, A.VIEW_PERSONAL, A.EDIT_PERSON, A.VIEW_ID_NUMBER},
    "department_staff": {A.VIEW},
    "auditor": {A.VIEW},
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
@pytest.mark.parametrize("action", perm.ACTIONS)
def test_matrix(world, users, role, action):
    user = users[role]
    inside = world.comm_a  # in street A: inside every role's subtree here
    outside = world.comm_b  # in township B
    expected_inside = action in EXPECTED[role]
    assert perm.allowed(user, action, inside) is expected_inside
    # Outside the subtree only district-wide roles reach.
    district_wide = role in ("district_admin", "department_staff", "auditor")
    assert perm.allowed(user, action, outside) is (expected_inside and district_wide)


def test_street_cadres_see_only_their_street(world, users):
    a, b = users["street_cadre"], users["other_street_cadre"]
    units_a = perm.scope(a, Unit.objects.all())
    assert units_a.exists()
    assert not units_a.filter(region__path__startswith=world.street_b.path).exists()
    assert not perm.scope(b, Person.objects.all()).filter(region__path__startswith=world.street_a.path).exists()


def test_services_refuse_outside_the_scope_and_write_nothing(world, users):
    target_parent = Unit.objects.get(region=world.comm_b, kind="villagers_committee")
    before = Unit.objects.count()
    with pytest.raises(Forbidden, match="不在您的管辖范围内"):
        services.create_unit(
            users["street_cadre"], code="X-1", name="越权单位", kind="school", region=world.comm_b, parent=target_parent
        )
    assert Unit.objects.count() == before
    # The same cadre can act inside.
    services.create_unit(users["street_cadre"], code="X-2", name="本街道单位", kind="school", region=world.comm_a)


def test_user_without_roles_sees_nothing(world, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x")
    assert not perm.scope(nobody, Unit.objects.all()).exists()
    assert not perm.allowed(nobody, perm.VIEW, world.comm_a)


def test_masking():
    assert perm.mask_phone("13812345678") == "138****5678"
    assert perm.mask_id_number("11010519491231002X") == "110105********002X"
