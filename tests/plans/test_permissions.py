"""Who may do what with goals and tasks: every action against every role, inside and outside the subtree."""

from __future__ import annotations

import pytest

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.plans import services as PS

from ..helpers import outcome as _outcome
from .conftest import days

ROLES = [
    "district_admin",
    "street_cadre",
    "community_cadre",
    "grid_worker",
    "department_staff",
    "auditor",
    "other_street_cadre",
]


def outcome(fn) -> bool:
    return _outcome(fn, refused=(Forbidden, NotFound))


MATRIX = {
    # action:                    DA     SC     CC     GW     DS     AU     OSC
    "create_goal_street_a": (True, True, False, False, False, False, False),
    "create_goal_community_a": (True, True, True, False, False, False, False),
    "create_goal_street_b": (True, False, False, False, False, False, True),
    "add_task": (True, True, False, False, False, False, False),
    "report_community_task": (True, True, True, True, False, False, False),
    "report_department_task": (True, True, False, False, True, False, False),
    "complete_community_task": (True, True, True, True, False, False, False),
    "request_adjustment": (True, True, True, True, False, False, False),
    "decide_adjustment": (True, True, False, False, False, False, False),
    "adjust_directly": (True, True, False, False, False, False, False),
    "raise_quality_flag": (True, True, False, False, False, True, False),
    "resolve_flag": (True, True, False, False, False, False, False),
    "feedback": (True, True, True, True, True, True, False),
    "view_goal": (True, True, True, True, True, True, False),
    "link_record": (True, True, False, False, False, False, False),
    "close_goal": (True, True, False, False, False, False, False),
    "run_check_district": (True, False, False, False, False, True, False),
}


@pytest.fixture
def setup(pw):
    from tests.plans.test_services import _request

    w = pw
    w.req = _request(w, w.comm_a)
    w.adj = PS.request_adjustment(SYSTEM, w.t_comm, kind="deadline", deadline=days(w, 70), reason="r")
    w.flag = PS.raise_flag(SYSTEM, w.t_street, kind="quality", detail="d")
    return w


def actions(w):
    def goal(region, lead):
        return lambda u: PS.create_goal(
            u,
            title="g",
            source_kind="directive",
            directive_ref="文",
            directive_issuer=w.dgov,
            region=region,
            lead_unit=lead,
            starts_on=w.today,
            due_on=days(w, 10),
        )

    return {
        "create_goal_street_a": goal(w.street_a, w.gov_a),
        "create_goal_community_a": goal(w.comm_a, w.rc_a),
        "create_goal_street_b": goal(w.street_b, w.gov_b),
        "add_task": lambda u: PS.add_task(
            u, w.goal, title="t", unit=w.rc_a, deadline=days(w, 5), quality_standard="q", indicator_name="i", target=1
        ),
        "report_community_task": lambda u: PS.report_progress(u, fresh(w.t_comm), value=5),
        "report_department_task": lambda u: PS.report_progress(u, fresh(w.t_dept), value=5),
        "complete_community_task": lambda u: PS.complete_task(
            u, fresh(w.t_comm), evidence_kind="request", evidence_id=w.req.pk
        ),
        "request_adjustment": lambda u: PS.request_adjustment(
            u, _fresh_comm_task(w), kind="scope", target=77, reason="r"
        ),
        "decide_adjustment": lambda u: PS.decide_adjustment(u, fresh(w.adj), approve=True),
        "adjust_directly": lambda u: PS.adjust_task(
            u, fresh(w.t_dept), kind="deadline", deadline=days(w, 95), reason="r"
        ),
        "raise_quality_flag": lambda u: PS.raise_flag(u, fresh(w.t_comm), kind="quality", detail="d"),
        "resolve_flag": lambda u: PS.resolve_flag(u, fresh(w.flag), resolution="ok"),
        "feedback": lambda u: PS.add_feedback(u, w.goal, source="resident", text="好"),
        "view_goal": lambda u: PS.get_goal(u, w.goal.pk),
        "link_record": lambda u: PS.link_record(u, w.goal, kind="request", object_id=w.req.pk),
        "close_goal": lambda u: PS.close_goal(u, fresh(w.goal), cancel=True, reason="r"),
        "run_check_district": lambda u: PS.check(u, region=w.district),
    }


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def _fresh_comm_task(w):
    return PS.add_task(
        SYSTEM,
        w.goal,
        title="另一项",
        unit=w.rc_a,
        deadline=days(w, 9),
        quality_standard="q",
        indicator_name="i",
        target=10,
    )


@pytest.mark.parametrize("action", list(MATRIX))
def test_permission_matrix(setup, users, action):
    fn = actions(setup)[action]
    got = tuple(outcome(lambda u=users[r]: fn(u)) for r in ROLES)
    assert got == MATRIX[action], dict(zip(ROLES, got))


def test_system_actor_may_do_everything(setup):
    for name, fn in actions(setup).items():
        assert outcome(lambda fn=fn: fn(SYSTEM)), name


def test_inbox_holds_the_tasks_of_ones_own_units_due_soonest_first(pw, users):
    def titles(role):
        return [t.title for t in PS.inbox(users[role])]

    assert titles("community_cadre") == ["征求居民意见"]
    assert titles("grid_worker") == ["征求居民意见"]
    assert titles("department_staff") == ["审批手续"]
    assert titles("auditor") == []
    assert titles("other_street_cadre") == []
    # The street cadre's unit is the street office: its own task.
    assert titles("street_cadre") == ["摸底调查"]
    assert [t.title for t in PS.inbox(SYSTEM)] == ["摸底调查", "征求居民意见", "审批手续"]


def test_lists_are_scoped(pw, users):
    other = PS.create_goal(
        SYSTEM,
        title="九龙镇目标",
        source_kind="directive",
        directive_ref="文",
        directive_issuer=pw.dgov,
        region=pw.street_b,
        lead_unit=pw.gov_b,
        starts_on=pw.today,
        due_on=days(pw, 10),
    )
    assert set(PS.visible_goals(users["other_street_cadre"])) == {other}
    assert set(PS.visible_goals(users["street_cadre"])) == {pw.goal}
    assert set(PS.visible_goals(users["district_admin"])) == {pw.goal, other}
    # A district department sees the goals of its district (its role's region).
    assert set(PS.visible_goals(users["department_staff"])) == {pw.goal, other}
    with pytest.raises(NotFound):
        PS.get_task(users["other_street_cadre"], pw.t_comm.pk)


def test_a_supervisors_check_covers_only_their_area(pw, users):
    from gongzhi.plans.models import SupervisionFlag

    later = days(pw, 45)
    out = PS.check(users["other_street_cadre"], on=later)
    assert out["goals"] == 0 and not SupervisionFlag.objects.exists()
    out = PS.check(users["street_cadre"], on=later)
    assert out["goals"] == 1 and out["overdue"] == 1
    with pytest.raises(Forbidden):
        PS.check(users["community_cadre"], on=later)
