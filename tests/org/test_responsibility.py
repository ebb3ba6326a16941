import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.org import responsibility, services
from gongzhi.org.models import Grid, MatterCategory, ResponsibilityRule, Unit


def at(day: str):
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def grid_a(world):
    return Grid.objects.filter(region=world.comm_a).order_by("code").first()


@pytest.fixture
def grid_b(world):
    return Grid.objects.filter(region=world.comm_b).order_by("code").first()


def test_department_line(world, grid_a):
    d = responsibility.resolve("01005", grid=grid_a, at=at("2026-03-01"))
    assert d.unit.code == f"{world.district.code}-CGJ"
    assert d.fallback is None and d.rule.category.code == "01005"
    assert "城市管理综合执法局" in d.explanation and "《城市市容和环境卫生管理条例》第十四条" in d.explanation


def test_level_line_resolves_to_the_locations_unit(world, grid_a, grid_b):
    # 05 (neighbour disputes) is handled by the community: each location gets its own committee.
    da = responsibility.resolve("05002", grid=grid_a, at=at("2026-03-01"))
    db_ = responsibility.resolve("05002", grid=grid_b, at=at("2026-03-01"))
    assert da.unit.region == world.comm_a and da.unit.kind == "residents_committee"
    assert db_.unit.region == world.comm_b and db_.unit.kind == "villagers_committee"
    assert "适用大类05" in da.explanation


def test_more_specific_region_wins(world, grid_a, grid_b):
    # Street A has its own line for noise (05001): the street handles it there; elsewhere the community.
    assert responsibility.resolve("05001", grid=grid_a, at=at("2026-03-01")).unit.code == f"{world.street_a.code}-GOV"
    assert responsibility.resolve("05001", grid=grid_b, at=at("2026-03-01")).unit.kind == "villagers_committee"


def test_versions_by_effective_date(world, grid_a):
    before = responsibility.resolve("04004", grid=grid_a, at=at("2026-06-30"))
    after = responsibility.resolve("04004", grid=grid_a, at=at("2026-07-01"))
    assert before.rule.version == 1 and before.unit.kind == "residents_committee"
    assert after.rule.version == 2 and after.unit.code == f"{world.street_a.code}-GOV"


def test_new_version_closes_the_previous_one(world, grid_a):
    cat = MatterCategory.objects.get(code="02003")
    dept = Unit.objects.get(code=f"{world.district.code}-ZJJ")
    services.add_responsibility_rule(
        SYSTEM,
        category=cat,
        region=world.district,
        handler_level="department",
        department=dept,
        effective_from=dt.date(2027, 1, 1),
        legal_basis="新规",
    )
    old = ResponsibilityRule.objects.get(category=cat, region=world.district, version=1)
    assert old.effective_to == dt.date(2027, 1, 1)
    assert responsibility.resolve("02003", grid=grid_a, at=at("2026-12-31")).unit.code.endswith("-CGW")
    assert responsibility.resolve("02003", grid=grid_a, at=at("2027-01-01")).unit == dept
    with pytest.raises(DomainError, match="须晚于"):
        services.add_responsibility_rule(
            SYSTEM, category=cat, region=world.district, handler_level="street", effective_from=dt.date(2026, 1, 1)
        )


def test_no_line_falls_back_to_first_receiver_then_street(world, grid_a):
    services.create_category(SYSTEM, code="11", name="新大类")
    services.create_category(SYSTEM, code="11001", name="新事项")
    school = Unit.objects.filter(kind="school").first()
    d = responsibility.resolve("11001", grid=grid_a, first_receiver=school)
    assert d.unit == school and d.fallback == "first_receiver" and "首接负责" in d.explanation
    d = responsibility.resolve("11001", grid=grid_a)
    assert d.unit.code == f"{world.street_a.code}-GOV" and d.fallback == "street"
    assert "没有" in d.explanation


def test_missing_handler_falls_back_to_district(world, grid_a):
    services.create_category(SYSTEM, code="12", name="大类")
    services.create_category(SYSTEM, code="12001", name="事项")
    Unit.objects.filter(region=world.street_a, kind__in=["government", "party_street"]).update(status="dissolved")
    d = responsibility.resolve("12001", grid=grid_a)
    assert d.fallback == "district" and d.unit.code == f"{world.district.code}-GOV"


def test_unknown_category_and_missing_location(world, grid_a):
    with pytest.raises(DomainError) as e:
        responsibility.resolve("99999", grid=grid_a)
    assert e.value.code == "unknown_category" and e.value.field == "category"
    with pytest.raises(DomainError, match="位置"):
        responsibility.resolve("01001")
    with pytest.raises(DomainError) as e:
        responsibility.resolve("01001", lon=0.0, lat=0.0)
    assert e.value.code == "outside_grids"


def test_lookup_by_point(world, grid_a):
    d = responsibility.resolve("01005", lon=grid_a.centroid_lon, lat=grid_a.centroid_lat)
    assert d.grid == grid_a


def test_category_codes(world):
    with pytest.raises(DomainError, match="2位大类或5位小类"):
        services.create_category(SYSTEM, code="1234", name="x")
    with pytest.raises(DomainError, match="大类13不存在"):
        services.create_category(SYSTEM, code="13001", name="x")
    assert MatterCategory.objects.get(code="04080").is_local_extension
    assert not MatterCategory.objects.get(code="04001").is_local_extension
