"""Goals bottom-up, the three lists and claims, funds and activities."""

import datetime as dt
from decimal import Decimal

import pytest

from gongzhi.alliances import services as S
from gongzhi.alliances.models import Goal, Suggestion
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.core.models import Event

D = dt.date


def kickoff(alliance, units, on=D(2025, 1, 20)):
    m = alliance.meetings.get(kind="kickoff", year=on.year)
    return S.record_meeting(
        m, held_on=on, minutes="议定三张清单", attendees=[units.comm_party, units.school], on=on, actor=SYSTEM
    )


def test_goals_need_four_principles_and_higher_approval(units, users, alliance):
    g = S.propose_goal(alliance, units.school, title="校园周边安全", need="上下学拥堵", on=D(2025, 1, 8), actor=SYSTEM)
    S.discuss_goal(g, units.property, "建议错峰放学", on=D(2025, 1, 9), actor=SYSTEM)
    assert Suggestion.objects.filter(goal=g).count() == 2  # the proposal and the comment both count
    with pytest.raises(DomainError) as e:
        S.submit_goal(g, actor=SYSTEM)
    assert "管用" in e.value.message and e.value.code == "principles"
    S.submit_goal(g, useful="高峰期拥堵下降", lean="只设一个护学岗", efficient="每周调度一次", actor=SYSTEM)
    assert not S.active_goals(alliance).exists()
    with pytest.raises(DomainError):
        S.discuss_goal(g, units.property, "再议", actor=SYSTEM)
    with pytest.raises(Forbidden):
        S.decide_goal(g, approve=True, actor=users["community_cadre"])
    with pytest.raises(DomainError) as e:
        S.decide_goal(g, approve=True, approver_unit=units.comm_party, actor=SYSTEM)
    assert e.value.code == "approver_level"
    S.decide_goal(g, approve=True, actor=users["street_cadre"], reason="同意")
    assert list(S.active_goals(alliance)) == [Goal.objects.get(pk=g.pk)]
    assert Event.objects.filter(type="alliances.goal.approved").exists()


def test_lists_agreed_at_kickoff_then_claims_become_tasks(units, alliance):
    need = S.add_list_item(alliance, year=2025, kind="need", title="学生课后托管场地", unit=units.school, actor=SYSTEM)
    S.add_list_item(
        alliance, year=2025, kind="resource", title="物业活动室", unit=units.property, meets=need, actor=SYSTEM
    )
    proj = S.add_list_item(
        alliance, year=2025, kind="project", title="四点半课堂", unit=units.comm_party, posts=2, actor=SYSTEM
    )
    with pytest.raises(DomainError) as e:
        S.claim(proj, units.school, owner_name="张老师", deadline=D(2025, 6, 30), on=D(2025, 1, 15), actor=SYSTEM)
    assert e.value.code == "not_agreed"
    with pytest.raises(DomainError) as e:
        S.agree_lists(alliance, 2025, actor=SYSTEM)
    assert e.value.code == "no_kickoff"
    kickoff(alliance, units)
    assert S.agree_lists(alliance, 2025, actor=SYSTEM) == 3
    with pytest.raises(DomainError) as e:
        S.add_list_item(alliance, year=2025, kind="need", title="迟到的需求", unit=units.school, actor=SYSTEM)
    assert e.value.code == "lists_agreed"
    t1 = S.claim(
        proj, units.school, owner_name="张老师", deadline=D(2025, 6, 30), post="辅导员", on=D(2025, 1, 21), actor=SYSTEM
    )
    S.claim(proj, units.property, owner_name="李经理", deadline=D(2025, 3, 31), on=D(2025, 1, 21), actor=SYSTEM)
    with pytest.raises(DomainError) as e:
        S.claim(proj, units.firms[0], owner_name="王", deadline=D(2025, 6, 30), on=D(2025, 1, 21), actor=SYSTEM)
    assert e.value.code == "posts_full"
    with pytest.raises(DomainError):
        S.claim(need, units.firms[0], owner_name="王", deadline=D(2025, 6, 30), on=D(2025, 1, 21), actor=SYSTEM)
    with pytest.raises(DomainError) as e:
        S.claim(proj, units.hospital, owner_name="王", deadline=D(2025, 6, 30), on=D(2025, 1, 21), actor=SYSTEM)
    assert e.value.code == "not_member"
    assert t1.owner_name == "张老师" and t1.deadline == D(2025, 6, 30) and not t1.done
    with pytest.raises(DomainError):
        S.complete_task(t1, note="", completed_on=D(2025, 5, 1), actor=SYSTEM)
    S.complete_task(t1, note="开课40次，服务学生60名", completed_on=D(2025, 5, 1), actor=SYSTEM)
    t1.refresh_from_db()
    assert t1.on_time and t1.completion_note.startswith("开课")
    with pytest.raises(Conflict):
        S.complete_task(t1, note="again", completed_on=D(2025, 5, 2), actor=SYSTEM)
    ev = Event.objects.get(type="alliances.task.claimed", payload__unit=units.school.code)
    assert ev.payload["personal"] == {"owner_name": "张老师"}


def test_lists_must_be_complete(units, alliance):
    S.add_list_item(alliance, year=2025, kind="need", title="n", unit=units.school, actor=SYSTEM)
    kickoff(alliance, units)
    with pytest.raises(DomainError) as e:
        S.agree_lists(alliance, 2025, actor=SYSTEM)
    assert "资源清单" in e.value.message and "项目清单" in e.value.message


def test_funding_ledger(units, users, alliance):
    S.record_income(alliance, source="party_fees", amount="5000", on=D(2025, 2, 1), actor=users["street_cadre"])
    S.record_income(alliance, source="enterprise", amount=3000.5, unit=units.firms[0], on=D(2025, 2, 3), actor=SYSTEM)
    proj = S.add_list_item(alliance, year=2025, kind="project", title="四点半课堂", unit=units.comm_party, actor=SYSTEM)
    with pytest.raises(DomainError) as e:
        S.record_income(alliance, source="lottery", amount=1, actor=SYSTEM)
    assert e.value.field == "source"
    with pytest.raises(DomainError) as e:
        S.record_income(alliance, source="department", amount="-3", actor=SYSTEM)
    assert e.value.field == "amount"
    S.record_spending(alliance, project=proj, amount="2000", note="购置图书", on=D(2025, 3, 1), actor=SYSTEM)
    with pytest.raises(DomainError) as e:
        S.record_spending(alliance, project=proj, amount="7000", note="超支", actor=SYSTEM)
    assert e.value.code == "insufficient_funds" and "6000.50" in e.value.message
    s = S.fund_summary(alliance)
    by = {r["source"]: r["total"] for r in s["income"]}
    assert by["party_fees"] == Decimal("5000.00") and by["enterprise"] == Decimal("3000.50")
    assert by["revenue_share"] == 0
    assert s["spending"] == [{"project": "四点半课堂", "total": Decimal("2000.00")}]
    assert s["balance"] == Decimal("6000.50") == S.balance(alliance)
    evs = Event.objects.filter(type="alliances.fund.recorded")
    assert evs.count() == 3 and all(e.public for e in evs)
    assert evs.last().payload["balance"] == "6000.50"
    with pytest.raises(Forbidden):
        S.record_income(alliance, source="party_fees", amount=1, actor=users["auditor"])


def test_activities_record_participation(units, alliance):
    act = S.record_activity(
        alliance,
        kind="themed_day",
        title="主题党日：垃圾分类",
        held_on=D(2025, 3, 5),
        organiser=units.comm_party,
        participants={units.school: 12, units.property: 5},
        actor=SYSTEM,
    )
    assert {p.unit_id: p.people for p in act.participations.all()} == {units.school.pk: 12, units.property.pk: 5}
    with pytest.raises(DomainError) as e:
        S.record_activity(
            alliance,
            kind="banquet",
            title="x",
            held_on=D(2025, 3, 5),
            organiser=units.comm_party,
            participants=[units.school],
            actor=SYSTEM,
        )
    assert e.value.field == "kind"
    with pytest.raises(DomainError) as e:
        S.record_activity(
            alliance,
            kind="lecture",
            title="x",
            held_on=D(2025, 3, 5),
            organiser=units.comm_party,
            participants=[units.hospital],
            actor=SYSTEM,
        )
    assert units.hospital.name in e.value.message
    with pytest.raises(DomainError):
        S.record_activity(
            alliance,
            kind="lecture",
            title="x",
            held_on=D(2099, 3, 5),
            organiser=units.comm_party,
            participants=[units.school],
            actor=SYSTEM,
        )


def test_unit_duties(units, alliance):
    proj = S.add_list_item(alliance, year=2025, kind="project", title="p", unit=units.comm_party, actor=SYSTEM)
    S.add_list_item(alliance, year=2025, kind="need", title="n", unit=units.school, actor=SYSTEM)
    S.add_list_item(alliance, year=2025, kind="resource", title="r", unit=units.school, actor=SYSTEM)
    kickoff(alliance, units)
    S.agree_lists(alliance, 2025, actor=SYSTEM)
    S.claim(proj, units.school, owner_name="张", deadline=D(2025, 2, 1), on=D(2025, 1, 21), actor=SYSTEM)
    d = S.unit_duties(units.school, today=D(2025, 3, 1))
    assert [m.alliance for m in d["active"]] == [alliance]
    assert len(d["open_tasks"]) == 1 and d["overdue_tasks"] == 1
