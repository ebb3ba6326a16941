"""The four boards of "141" (一中心四板块一网格, seed 004): every request, plan task, alert and pool need is
tagged to a board by its category (or its kind of record), the rules are data overridable per region, and
the board figures are computed from the records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError, Forbidden

pytestmark = pytest.mark.django_db


def _counts():
    from gongzhi.command.models import BoardRule
    from gongzhi.core.models import Event

    return BoardRule.objects.count(), Event.objects.count()


def test_request_tagged_by_category_and_major_class(world, submit):
    from gongzhi.command import boards

    garbage = submit(category="01001")
    assert boards.board_of(garbage) == "livelihood"
    dispute = submit(description="楼上邻居噪音扰民多次协商无果", category="05001")
    assert boards.board_of(dispute) == "safety"
    fire = submit(description="小区消防通道被车辆堵塞", category="04080")  # a minor class overrides its major
    assert boards.board_of(fire) == "safety"
    land = submit(description="土地承包合同纠纷", category="10001")
    assert boards.board_of(land) == "economy"


def test_task_alert_and_need_tagged(world, submit):
    from gongzhi.alerts.models import Alert
    from gongzhi.command import boards
    from gongzhi.org.models import MatterCategory
    from gongzhi.plans.models import Goal, Task
    from gongzhi.resources.models import PoolNeed

    def task(source, **params):
        return Task(goal=Goal(source_kind=source), indicator_params=params, region=world.comm_a)

    assert boards.board_of(task("alliance")) == "party"
    assert boards.board_of(task("consultation")) == "livelihood"
    assert boards.board_of(task("directive")) == "economy"
    assert boards.board_of(task("directive", category="07001")) == "safety"  # a task naming its category
    hazard = MatterCategory.objects.get(code="07001")
    assert boards.board_of(Alert(kind="repeat", category=hazard, region=world.comm_a)) == "safety"
    assert boards.board_of(Alert(kind="arrivals", region=world.comm_a)) == "livelihood"
    assert boards.board_of(PoolNeed(source="alliance", region=world.comm_a)) == "party"
    assert boards.board_of(PoolNeed(source="emergency", region=world.comm_a)) == "safety"
    req = submit(description="邻里纠纷需要调解", category="05001")
    need = PoolNeed(source="request", source_ref=f"request:{req.number}", region=world.comm_a)
    assert boards.board_of(need) == "safety"  # a need raised by a request takes the request's category


def test_rules_override_per_region(world, users, submit):
    from gongzhi.command import boards, services

    req = submit(category="09001")
    assert boards.board_of(req) == "economy"
    services.set_board_rule(users["district_admin"], world.street_a, key="09", board="livelihood")
    assert boards.board_of(req) == "livelihood"
    # street B keeps the default; a rule of the district reaches it, street A's stays more specific
    assert boards.Resolver(world.street_b).category("09001") == "economy"
    services.set_board_rule(SYSTEM, world.district, key="09", board="safety")
    assert boards.Resolver(world.street_b).category("09001") == "safety"
    assert boards.Resolver(world.comm_a).category("09001") == "livelihood"


def test_bad_rule_refused_and_nothing_written(world, users):
    from gongzhi.command import services

    before = _counts()
    with pytest.raises(DomainError) as e:
        services.set_board_rule(users["district_admin"], world.street_a, key="77", board="economy")
    assert e.value.field == "key"
    with pytest.raises(DomainError) as e:
        services.set_board_rule(users["district_admin"], world.street_a, key="01", board="culture")
    assert e.value.field == "board"
    with pytest.raises(Forbidden):
        services.set_board_rule(users["street_cadre"], world.street_a, key="01", board="economy")
    assert _counts() == before


def test_board_figures_from_records(world, submit):
    from gongzhi.alerts.models import Alert
    from gongzhi.command import boards, rollups
    from gongzhi.org.models import MatterCategory, Unit
    from gongzhi.plans import services as PS
    from gongzhi.resources import services as RS

    today = timezone.localdate()
    for cat in ("01001", "01002", "05001", "07001", "10001"):
        submit(description="诉求内容描述足够长一些", category=cat)
    rollups.rebuild(None)
    gov_a = Unit.objects.get(code=f"{world.street_a.code}-GOV")
    goal = PS.create_goal(
        SYSTEM,
        title="产业项目",
        source_kind="directive",
        directive_ref="区发〔2026〕1号",
        directive_issuer=Unit.objects.get(code=f"{world.district.code}-GOV"),
        region=world.street_a,
        lead_unit=gov_a,
        starts_on=today - dt.timedelta(days=30),
        due_on=today + dt.timedelta(days=60),
    )
    PS.add_task(
        SYSTEM,
        goal,
        title="招商",
        unit=gov_a,
        deadline=today + dt.timedelta(days=10),
        quality_standard="签约",
        indicator_name="签约数",
        target=1,
    )
    now = timezone.now()
    Alert.objects.create(
        kind="repeat",
        key="t-board",
        title="t",
        region=world.comm_a,
        category=MatterCategory.objects.get(code="07001"),
        window_start=today,
        window_end=today,
        expected=1,
        observed=5,
        p_value=0.01,
        score=2,
        explanation="t",
        created_at=now,
        updated_at=now,
    )
    g = world.comm_a
    from gongzhi.org.models import Grid

    grid = Grid.objects.filter(region=g).first()
    RS.raise_need(
        SYSTEM,
        title="应急物资",
        kind="material",
        quantity=1,
        priority=0,
        lon=grid.centroid_lon,
        lat=grid.centroid_lat,
        source="emergency",
        source_ref="t:1",
    )
    figs = {b["board"]: b for b in boards.figures(world.street_a, today - dt.timedelta(days=1), today)}
    assert list(figs) == ["party", "economy", "safety", "livelihood"]
    assert figs["livelihood"]["requests"] == 2 and figs["livelihood"]["open"] >= 2
    assert figs["safety"]["requests"] == 2
    assert figs["economy"]["requests"] == 1
    assert figs["economy"]["tasks_open"] >= 1
    assert figs["safety"]["alerts"] == 1
    assert figs["safety"]["needs_open"] >= 1
    recs = boards.records(world.street_a, "safety")
    assert {r.category.code for r in recs["requests"]} == {"05001", "07001"}
    assert recs["alerts"] and recs["needs"]
    # street B sees none of street A's
    figs_b = {b["board"]: b for b in boards.figures(world.street_b, today - dt.timedelta(days=1), today)}
    assert figs_b["safety"]["requests"] == 0 and figs_b["safety"]["alerts"] == 0
