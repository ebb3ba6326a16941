"""Permission matrix: roles × actions (view results, run, manage catalogue and schemes) × inside/outside."""

import pytest
from django.utils import timezone

from gongzhi.assessment import services as A
from gongzhi.assessment.models import Indicator, Result, Run
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError, Forbidden

ROLES = [
    "district_admin",
    "street_cadre",
    "community_cadre",
    "grid_worker",
    "department_staff",
    "auditor",
    "other_street_cadre",
]

# who may see the result of: community A (street A), township B
VIEW = {
    "district_admin": (True, True),
    "street_cadre": (True, False),
    "community_cadre": (True, False),
    "grid_worker": (True, False),
    "department_staff": (True, True),
    "auditor": (True, True),
    "other_street_cadre": (False, True),
}
# who may run over: street A, township B, the whole district
RUN = {
    "district_admin": (True, True, True),
    "street_cadre": (True, False, False),
    "community_cadre": (False, False, False),
    "grid_worker": (False, False, False),
    "department_staff": (False, False, False),
    "auditor": (False, False, False),
    "other_street_cadre": (False, True, False),
}


@pytest.fixture
def run(world, scheme):
    return A.run_assessment(SYSTEM, scheme, str(timezone.localdate().year))


@pytest.mark.parametrize("role", ROLES)
def test_view_matrix(role, users, world, run):
    u = users[role]
    ra = Result.objects.get(run=run, region=world.comm_a)
    rb = Result.objects.get(run=run, region=world.street_b)
    for res, expected in zip((ra, rb), VIEW[role]):
        if expected:
            assert A.get_result(u, res.pk).pk == res.pk
        else:
            with pytest.raises(DomainError):
                A.get_result(u, res.pk)
    visible = set(A.visible_results(u, run).values_list("region__code", flat=True))
    assert (world.comm_a.code in visible, world.street_b.code in visible) == VIEW[role]
    assert A.visible_runs(u).filter(pk=run.pk).exists()


@pytest.mark.parametrize("role", ROLES)
def test_run_matrix(role, users, world, scheme):
    u = users[role]
    period = str(timezone.localdate().year)
    for region, expected in zip((world.street_a, world.street_b, world.district), RUN[role]):
        before = Run.objects.count()
        if expected:
            run = A.run_assessment(u, scheme, period, region)
            assert run.results.filter(region__path__startswith=region.path).exists()
            assert not run.results.exclude(region__path__startswith=region.path).exists()
        else:
            with pytest.raises(Forbidden):
                A.run_assessment(u, scheme, period, region)
            assert Run.objects.count() == before


@pytest.mark.parametrize("role", ROLES)
def test_manage_matrix(role, users, world, scheme):
    u = users[role]
    allowed = role == "district_admin"
    if allowed:
        A.define_indicator(u, code="t_reopen", name="重办控制", formula="1 - reopen_rate")
        assert Indicator.objects.filter(code="t_reopen").exists()
        A.set_weights(
            u,
            scheme,
            expected_version=scheme.version,
            weights={"urban": {"satisfaction": 1.0}, "rural": {"satisfaction": 1.0}},
        )
    else:
        with pytest.raises(Forbidden):
            A.define_indicator(u, code="t_reopen", name="重办控制", formula="1 - reopen_rate")
        with pytest.raises(Forbidden):
            A.set_weights(
                u,
                scheme,
                expected_version=scheme.version,
                weights={"urban": {"satisfaction": 1.0}, "rural": {"satisfaction": 1.0}},
            )
        assert not Indicator.objects.filter(code="t_reopen").exists()
        scheme.refresh_from_db()
        assert scheme.version == 1


def test_manage_outside_region(users, world, scheme):
    # a district admin of this district may not create a scheme for a region outside it
    from gongzhi.core.models import Region

    city = Region.objects.get(level="city")
    with pytest.raises(Forbidden):
        A.create_scheme(
            users["district_admin"],
            code="city",
            name="市方案",
            region=city,
            weights={"urban": {"satisfaction": 1.0}, "rural": {"satisfaction": 1.0}},
        )
