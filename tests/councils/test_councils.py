"""Councils (seed 002 platforms by level) and the 三重一大 procedure (seed 003) with its guard."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from gongzhi.alliances import services as A
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError, Forbidden, NotFound
from gongzhi.core.models import Event
from gongzhi.councils import procedure as P
from gongzhi.councils import services as S
from gongzhi.councils.models import Council, Decision, Matter, MatterUse, Meeting, Member
from gongzhi.org.models import Grid, Person, Unit
from gongzhi.plans import services as plans
from gongzhi.plans.models import Goal
from gongzhi.resources import services as pool
from gongzhi.resources.models import PoolNeed
from tests.alliances.conftest import found, units  # noqa: F401


@pytest.fixture
def joint(world):
    street = world.street_a
    c = S.establish(
        SYSTEM, name="联席会", level="street_joint", region=street, host=Unit.objects.get(code=f"{street.code}-PARTY")
    )
    S.add_member(SYSTEM, c, unit=c.host, role="convenor")
    for u in Unit.objects.filter(
        region__path__startswith=street.path,
        kind__in=["government", "school", "hospital", "social_org", "enterprise_private"],
    ).order_by("code")[:5]:
        S.add_member(SYSTEM, c, unit=u)
    return c


def _ids(c):
    return list(S.voting_members(c).order_by("id").values_list("id", flat=True))


def _meeting(c, present=None, **kw):
    ids = _ids(c)
    return S.hold_meeting(
        SYSTEM,
        c,
        title="会议",
        held_on=timezone.localdate(),
        present=ids if present is None else present,
        topics=["议题一"],
        minutes="纪要",
        **kw,
    )


def test_platform_levels_and_members(world, joint):
    assert joint.code == f"LXH-{world.street_a.code}"
    with pytest.raises(DomainError) as e:  # the joint meeting sits at a street
        S.establish(SYSTEM, name="x", level="street_joint", region=world.comm_a, host=joint.host)
    assert e.value.field == "region"
    party = Unit.objects.get(region=world.comm_a, kind="party_community")
    cg = S.establish(SYSTEM, name="共治议事会", level="community_cogov", region=world.comm_a, host=party)
    prop = Unit.objects.filter(region=world.comm_a, kind="property_company").first()
    S.add_member(SYSTEM, cg, unit=prop)
    person = Person.objects.filter(region=world.comm_a).order_by("id").first()
    m = S.add_member(SYSTEM, cg, person=person, role="instructor")
    assert m.get_role_display() == "党建指导员"
    with pytest.raises(DomainError) as e:
        S.add_member(SYSTEM, cg, unit=prop)
    assert e.value.code == "duplicate"
    with pytest.raises(DomainError) as e:  # a unit of another street
        S.add_member(SYSTEM, joint, unit=Unit.objects.get(code=f"{world.street_b.code}-GOV"))
    assert e.value.field == "unit"
    with pytest.raises(DomainError):
        S.add_member(SYSTEM, cg, unit=prop, role="instructor")
    ev = Event.objects.filter(type="councils.member_added", payload__role="instructor").get()
    assert ev.payload["personal"]["person_id"] == person.pk


def test_quorum(joint):
    ids = _ids(joint)
    assert len(ids) == 6 and S.quorum_needed(joint, 6) == 4
    low = _meeting(joint, present=ids[:3])
    assert (low.members_total, low.present, low.quorum_met) == (6, 3, False)
    with pytest.raises(DomainError) as e:
        S.record_decision(SYSTEM, low, title="x", votes_for=3)
    assert e.value.code == "no_quorum"
    assert not Decision.objects.exists()
    ok = _meeting(joint, present=ids[:4])
    assert ok.quorum_met


def test_vote_passes_with_more_than_half_of_members_due(joint):
    m = _meeting(joint)
    assert S.record_decision(SYSTEM, m, title="a", votes_for=3, votes_against=3).outcome == "rejected"
    assert S.record_decision(SYSTEM, m, title="b", votes_for=4, votes_against=2).outcome == "passed"
    with pytest.raises(DomainError) as e:  # more votes than people present
        S.record_decision(SYSTEM, m, title="c", votes_for=5, votes_against=2)
    assert e.value.field == "votes_for"
    with pytest.raises(DomainError):
        S.record_decision(SYSTEM, m, title="c", votes_for=-1)
    assert m.decisions.count() == 2


def test_decisions_become_plan_goal_and_pool_need(world, joint):
    m = _meeting(joint)
    gov = Unit.objects.get(code=f"{world.street_a.code}-GOV")
    due = (timezone.localdate() + dt.timedelta(days=90)).isoformat()
    d = S.record_decision(
        SYSTEM, m, title="照明改造", votes_for=5, effect="plan_goal", params={"lead_unit": gov.code, "due_on": due}
    )
    goal = Goal.objects.get(pk=int(d.effect_ref))
    assert goal.directive_ref == d.code and goal.region == world.street_a and goal.directive_issuer == joint.host
    d2 = S.record_decision(
        SYSTEM, m, title="助老服务", votes_for=5, effect="pool_need", params={"kind": "person", "quantity": 3}
    )
    need = PoolNeed.objects.get(pk=int(d2.effect_ref))
    assert need.source_ref == f"council:{d2.code}" and need.quantity == 3
    rejected = S.record_decision(
        SYSTEM, m, title="否决", votes_for=1, effect="pool_need", params={"kind": "person", "quantity": 3}
    )
    assert rejected.effect_ref == "" and PoolNeed.objects.filter(source_ref__startswith="council:").count() == 1
    n = Decision.objects.count()
    with pytest.raises(DomainError) as e:  # bad effect input: nothing written
        S.record_decision(SYSTEM, m, title="x", votes_for=5, effect="pool_need", params={"kind": "gold", "quantity": 1})
    assert e.value.field == "kind" and Decision.objects.count() == n


def test_agenda_drawn_from_records(world, joint):
    from gongzhi.councils.models import AgendaItem

    other = Matter.objects.none()
    assert not other
    m = P.propose(SYSTEM, joint, kind="major_decision", title="重大事项", subject_type="other")
    keys = [c["key"] for c in S.agenda_candidates(joint)]
    assert f"matter:{m.code}" in keys
    mt = _meeting(joint, agenda=[f"matter:{m.code}"])
    assert mt.agenda.filter(source=AgendaItem.Source.MATTER, ref=m.code).exists()
    with pytest.raises(DomainError) as e:
        _meeting(joint, agenda=["alliance_need:999999"])
    assert e.value.field == "agenda"


def _approve(c, *, subject_type, subject_ref, amount, kind="large_spending"):
    m = P.propose(SYSTEM, c, kind=kind, title="事项", subject_type=subject_type, subject_ref=subject_ref, amount=amount)
    P.consult(SYSTEM, m, note="征求意见", consulted=5)
    P.decide(SYSTEM, m, meeting=_meeting(c), votes_for=5)
    return P.publish(SYSTEM, m)


def test_procedure_in_order(joint):
    m = P.propose(
        SYSTEM,
        joint,
        kind="major_project",
        title="项目",
        subject_type="plan_goal",
        subject_ref=joint.region.code,
        amount="600000",
    )
    with pytest.raises(DomainError) as e:
        P.decide(SYSTEM, m, meeting=_meeting(joint), votes_for=5)
    assert e.value.code == "out_of_order"
    with pytest.raises(DomainError) as e:
        P.publish(SYSTEM, m)
    assert e.value.code == "out_of_order"
    P.consult(SYSTEM, m, note="意见", consulted=3)
    low = _meeting(joint, present=_ids(joint)[:2])
    with pytest.raises(DomainError) as e:
        P.decide(SYSTEM, m, meeting=low, votes_for=2)
    assert e.value.code == "no_quorum"
    m = P.decide(SYSTEM, m, meeting=_meeting(joint), votes_for=2, votes_against=3)
    assert m.status == "rejected"
    with pytest.raises(DomainError):
        P.publish(SYSTEM, m)
    assert [s["state"] for s in P.timeline(m)] == ["done", "done", "done", "stopped"]
    appt = P.propose(SYSTEM, joint, kind="important_appointment", title="任免", subject_type="other")
    assert not appt.consultation_required
    appt = P.decide(SYSTEM, appt, meeting=_meeting(joint), votes_for=4)
    assert P.publish(SYSTEM, appt).approved


def test_guard_alliance_spending(units, joint):  # noqa: F811
    a = found(units.comm_party, [units.school, units.property, units.firms[0]], name="社区共建联合体")
    proj = A.add_list_item(a, year=2025, kind="project", title="共建项目", unit=units.comm_party, actor=SYSTEM)
    A.record_income(a, source="department", amount="200000", actor=SYSTEM)
    A.record_spending(a, project=proj, amount="50000", note="在标准内", actor=SYSTEM)  # at the threshold: allowed
    with pytest.raises(DomainError) as e:
        A.record_spending(a, project=proj, amount="60000", note="大额", actor=SYSTEM)
    assert (e.value.field, e.value.code) == ("amount", "matter_required")
    assert a.funds.count() if hasattr(a, "funds") else True
    pending = P.propose(
        SYSTEM,
        joint,
        kind="large_spending",
        title="大额",
        subject_type="alliance_fund",
        subject_ref=a.code,
        amount="100000",
    )
    with pytest.raises(DomainError) as e:
        A.record_spending(a, project=proj, amount="60000", note="大额", actor=SYSTEM)
    assert pending.code in e.value.message
    P.consult(SYSTEM, pending, note="意见", consulted=4)
    P.decide(SYSTEM, pending, meeting=_meeting(joint), votes_for=4)
    P.publish(SYSTEM, pending)
    A.record_spending(a, project=proj, amount="60000", note="大额", actor=SYSTEM)
    use = MatterUse.objects.get()
    assert use.amount == Decimal("60000") and P.remaining(pending) == Decimal("40000")
    with pytest.raises(DomainError):  # the rest of the matter's amount does not cover another 60000
        A.record_spending(a, project=proj, amount="60000", note="再次", actor=SYSTEM)


def test_guard_plan_goal_budget(world, joint):
    gov = Unit.objects.get(code=f"{world.street_a.code}-GOV")
    kw = dict(
        title="重大项目",
        source_kind="directive",
        lead_unit=gov,
        starts_on=timezone.localdate(),
        due_on=timezone.localdate() + dt.timedelta(days=30),
        region=world.street_a,
        directive_ref="D1",
        directive_issuer=joint.host,
    )
    plans.create_goal(SYSTEM, budget="100000", **kw)  # below: allowed
    n = Goal.objects.count()
    with pytest.raises(DomainError) as e:
        plans.create_goal(SYSTEM, budget="800000", **kw)
    assert (e.value.field, e.value.code) == ("budget", "matter_required") and Goal.objects.count() == n
    _approve(joint, kind="major_project", subject_type="plan_goal", subject_ref=world.street_a.code, amount="900000")
    g = plans.create_goal(SYSTEM, budget="800000", **kw)
    assert MatterUse.objects.get().effect_ref == str(g.pk)


def test_guard_pool_allocation(world, joint):
    grid = Grid.objects.filter(region=world.comm_a).order_by("code").first()
    rc = Unit.objects.get(region=world.comm_a, kind="residents_committee")
    pool.offer_resource(
        SYSTEM, owner=rc, name="救助基金", kind="funds", quantity=100000, lon=grid.centroid_lon, lat=grid.centroid_lat
    )
    need = pool.raise_need(
        SYSTEM, title="大额救助", kind="funds", quantity=80000, lon=grid.centroid_lon, lat=grid.centroid_lat
    )
    pool.run_matching(SYSTEM, region=world.street_a)
    a = need.assignments.get(status="proposed")
    with pytest.raises(DomainError) as e:
        pool.respond(SYSTEM, a, accept=True)
    assert e.value.code == "matter_required"
    a.refresh_from_db()
    assert a.status == "proposed"
    _approve(joint, subject_type="pool_need", subject_ref=str(need.pk), amount="80000")
    assert pool.respond(SYSTEM, a, accept=True).status == "accepted"


def test_scope(users, joint):
    other = users["other_street_cadre"]
    with pytest.raises(NotFound):
        S.get_council(other, joint.pk)
    assert S.get_council(users["auditor"], joint.pk) == joint
    for who in ("auditor", "community_cadre", "grid_worker", "other_street_cadre"):
        with pytest.raises(Forbidden):
            _meeting_as(users[who], joint)
    assert _meeting_as(users["street_cadre"], joint).pk
    with pytest.raises(Forbidden):
        P.propose(users["community_cadre"], joint, kind="major_decision", title="x", subject_type="other")


def _meeting_as(user, c):
    return S.hold_meeting(
        user, c, title="会议", held_on=timezone.localdate(), present=_ids(c), topics=["t"], minutes="m"
    )


def test_ledger_entries_structured(joint):
    from gongzhi.ledger import public_fields as PF

    _approve(joint, subject_type="other", subject_ref="", amount=None, kind="major_decision")
    evs = list(Event.objects.filter(type__startswith="councils."))
    assert {e.type for e in evs} >= {
        "councils.established",
        "councils.member_added",
        "councils.meeting_held",
        "councils.decision_recorded",
        "councils.matter_step",
    }
    for e in evs:
        assert e.public
        allowed = PF.allowed_fields(e.type)
        assert allowed is not None, e.type
        assert not allowed & {"title", "minutes", "note", "name", "personal"}
        for k in allowed & set(e.payload):
            assert PF.is_structured(e.payload[k]), (e.type, k, e.payload[k])


def test_bad_input_changes_nothing(joint):
    n = Meeting.objects.count()
    for kw in ({"held_on": "2099-01-01"}, {"held_on": "x"}, {"present": [10**9]}):
        args = {
            "title": "会议",
            "held_on": timezone.localdate(),
            "present": _ids(joint),
            "topics": ["t"],
            "minutes": "m",
        }
        args.update(kw)
        with pytest.raises(DomainError):
            S.hold_meeting(SYSTEM, joint, **args)
    assert Meeting.objects.count() == n
    with pytest.raises(DomainError) as e:
        P.propose(
            SYSTEM,
            joint,
            kind="large_spending",
            title="x",
            subject_type="alliance_fund",
            subject_ref="NOPE",
            amount="1",
        )
    assert e.value.field == "subject_ref" and not Matter.objects.exists()
    with pytest.raises(DomainError) as e:
        P.propose(
            SYSTEM,
            joint,
            kind="large_spending",
            title="x",
            subject_type="plan_goal",
            subject_ref=joint.region.code,
            amount="abc",
        )
    assert e.value.field == "amount"


def test_threshold_as_data(world, joint):
    assert P.threshold("alliance_fund", world.comm_a) == Decimal("50000")
    P.set_threshold(SYSTEM, region=world.street_a, subject_type="alliance_fund", amount="20000")
    assert P.threshold("alliance_fund", world.comm_a) == Decimal("20000")
    assert P.threshold("alliance_fund", world.street_b) == Decimal("50000")
    _ = Council, Member


def test_command(world, joint, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("councils", "threshold", world.street_a.code, "--subject", "plan_goal", "--amount", "300000")
    assert P.threshold("plan_goal", world.comm_a) == Decimal("300000")
    call_command("councils", "list")
    assert joint.code in capsys.readouterr().out
    m = P.propose(SYSTEM, joint, kind="major_decision", title="事项", subject_type="other")
    with pytest.raises(CommandError):  # not decided yet
        call_command("councils", "publish", m.code)
    call_command("councils", "matters")
    assert m.code in capsys.readouterr().out


def test_api_idempotent_and_errors(users, joint):
    from django.test import Client

    c = Client()
    c.force_login(users["street_cadre"])
    body = {
        "title": "会议",
        "held_on": timezone.localdate().isoformat(),
        "present": _ids(joint),
        "topics": ["t"],
        "minutes": "m",
    }
    url = f"/api/v1/councils/{joint.code}/meetings"
    r1 = c.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    r2 = c.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert r1.status_code == r2.status_code == 201 and r1.json()["id"] == r2.json()["id"]
    assert Meeting.objects.count() == 1
    bad = c.post(url, {**body, "held_on": "2099-01-01"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["field"] == "held_on" and Meeting.objects.count() == 1
    mid = r1.json()["id"]
    d = c.post(
        f"/api/v1/councils/meetings/{mid}/decisions",
        {"title": "决定", "votes_for": 5},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    d2 = c.post(
        f"/api/v1/councils/meetings/{mid}/decisions",
        {"title": "决定", "votes_for": 5},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    assert d.status_code == 201 and d.json()["outcome"] == "passed" and d2.json()["code"] == d.json()["code"]
    assert Decision.objects.count() == 1
    pm = c.post(
        "/api/v1/councils/matters",
        {
            "council": joint.code,
            "kind": "large_spending",
            "title": "x",
            "subject_type": "plan_goal",
            "subject_ref": joint.region.code,
            "amount": "900000",
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-3",
    )
    assert pm.status_code == 201
    code = pm.json()["code"]
    out = c.post(f"/api/v1/councils/matters/{code}/publication", {}, content_type="application/json")
    assert out.status_code == 400 and out.json()["code"] == "out_of_order"
    other = Client()
    other.force_login(users["other_street_cadre"])
    assert other.get(f"/api/v1/councils/{joint.code}").status_code == 404


def test_pages(users, joint):
    from django.test import Client

    c = Client()
    c.force_login(users["street_cadre"])
    assert c.get("/councils/").status_code == 200
    assert c.get(f"/councils/{joint.pk}/").status_code == 200
    r = c.post(
        f"/councils/{joint.pk}/meetings/new/",
        {
            "title": "会议",
            "held_on": timezone.localdate().isoformat(),
            "present": [str(i) for i in _ids(joint)],
            "topics": "议题",
            "minutes": "纪要",
        },
    )
    mt = Meeting.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/councils/meetings/{mt.pk}/")
    c.post(
        f"/councils/meetings/{mt.pk}/decisions/",
        {"title": "决定", "votes_for": "5", "votes_against": "0", "votes_abstain": "0", "effect": "none"},
    )
    assert mt.decisions.count() == 1
    assert c.get(f"/councils/meetings/{mt.pk}/").status_code == 200
    r = c.post(
        "/councils/matters/new/",
        {"council": joint.pk, "kind": "major_decision", "title": "事项", "subject_type": "other"},
    )
    m = Matter.objects.get()
    assert r.status_code == 302
    page = c.get(f"/councils/matters/{m.pk}/")
    assert page.status_code == 200 and "征求意见" in page.content.decode()
    c.post(f"/councils/matters/{m.pk}/step/", {"step": "consultation", "consulted": "3", "note": "意见"})
    c.post(
        f"/councils/matters/{m.pk}/step/",
        {"step": "decision", "meeting": mt.pk, "votes_for": "5", "votes_against": "0", "votes_abstain": "0"},
    )
    c.post(f"/councils/matters/{m.pk}/step/", {"step": "publication", "note": "公示"})
    m.refresh_from_db()
    assert m.approved
