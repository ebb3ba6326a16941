"""The five mechanisms of "885" (八张报表、八张问题清单、五项机制, seed 004): defined as data, scheduled per
period, held with what they read from the problem lists and reports, their outcomes on the command centre."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError, Forbidden

pytestmark = pytest.mark.django_db


def _state():
    from gongzhi.command.models import FollowUp, Mechanism, MechanismSession
    from gongzhi.core.models import Event

    return (
        Mechanism.objects.count(),
        list(MechanismSession.objects.order_by("pk").values_list("pk", "status", "version")),
        FollowUp.objects.count(),
        Event.objects.count(),
    )


@pytest.fixture
def mech(cased):
    """The tiny district with its year of requests, the "885" definitions, an assessment run and the five
    default mechanisms, scheduled for today."""
    from gongzhi.assessment import services as A
    from gongzhi.burden import seed
    from gongzhi.command import services

    w = cased
    seed.seed_definitions(SYSTEM)
    scheme = A.install_catalogue(SYSTEM, region=w.district)
    A.run_assessment(SYSTEM, scheme, str(timezone.localdate().year))
    assert services.seed_mechanisms(SYSTEM, w.district) == 5
    assert services.seed_mechanisms(SYSTEM, w.district) == 0  # idempotent
    w.today = timezone.localdate()
    w.made = services.schedule_due(SYSTEM, w.today)
    return w


def _session(w, code, region=None):
    from gongzhi.command.models import MechanismSession

    return MechanismSession.objects.get(mechanism__code=code, region=region or w.street_a, status="due")


def _units(s):
    from gongzhi.command import mechanisms

    return list(mechanisms.participants(s.mechanism, s.region))


def test_defaults_are_the_five_of_chongqing(mech):
    from gongzhi.command.models import Mechanism

    kinds = dict(Mechanism.objects.filter(region=mech.district).values_list("kind", "name"))
    assert kinds == {
        "scheduling": "例会调度",
        "ranking": "晾晒比拼",
        "racing": "赛马比拼",
        "supervision": "督查督办",
        "evaluation": "考核激励",
    }
    # one session per mechanism and street, for the last period ended
    assert len(mech.made) == 5 * 2
    from gongzhi.command import services

    assert services.schedule_due(SYSTEM, mech.today) == []  # nothing twice


def test_period_math():
    from gongzhi.command import mechanisms

    assert mechanisms.last_ended("monthly", dt.date(2026, 12, 8)) == (
        "2026-11",
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 1),
    )
    assert mechanisms.last_ended("quarterly", dt.date(2026, 12, 8)) == (
        "2026-Q3",
        dt.date(2026, 7, 1),
        dt.date(2026, 10, 1),
    )
    assert mechanisms.last_ended("quarterly", dt.date(2027, 1, 1)) == (
        "2026-Q4",
        dt.date(2026, 10, 1),
        dt.date(2027, 1, 1),
    )
    assert mechanisms.last_ended("weekly", dt.date(2026, 12, 9)) == (
        "2026-W49",
        dt.date(2026, 11, 30),
        dt.date(2026, 12, 7),
    )
    assert mechanisms.last_ended("yearly", dt.date(2026, 12, 9))[0] == "2025"


def test_next_period_marks_the_unheld_session_missed(mech):
    from gongzhi.command import services
    from gongzhi.command.models import MechanismSession

    first = _session(mech, "lihui-diaodu")
    services.schedule_due(SYSTEM, mech.today + dt.timedelta(days=7))
    first.refresh_from_db()
    assert first.status == "missed"
    assert (
        MechanismSession.objects.filter(mechanism__code="lihui-diaodu", region=mech.street_a, status="due").count() == 1
    )


def test_scheduling_meeting_end_to_end(mech, users):
    from gongzhi.command import services
    from gongzhi.core.models import Event

    s = _session(mech, "lihui-diaodu")
    units = _units(s)
    assert units, "the street office and its communities take part"
    held = services.hold_session(
        users["street_cadre"],
        s,
        outcome="通报本周问题清单，调度四个板块工作",
        present=[u.pk for u in units],
        decisions=["超期诉求本周内清零"],
        followups=[
            {"title": "清理超期诉求", "unit": units[0].pk, "due_on": (mech.today + dt.timedelta(days=7)).isoformat()}
        ],
        expected_version=s.version,
    )
    assert held.status == "held" and held.held_on == mech.today
    assert [lst["code"] for lst in held.figures["lists"]] == [f"885-L{i}" for i in range(1, 9)]
    assert [b["board"] for b in held.figures["boards"]] == ["party", "economy", "safety", "livelihood"]
    assert all(a["present"] for a in held.attendance)
    assert held.followups.count() == 1
    ev = Event.objects.filter(type="command.session.held").last()
    assert ev.payload["followups"] == 1 and ev.payload["present"] == len(units)
    with pytest.raises(DomainError) as e:  # held once
        services.hold_session(users["street_cadre"], held, outcome="again")
    assert e.value.code == "invalid_state"


def test_ranking_ranks_communities_by_problem_lists(mech, users):
    from gongzhi.burden import sources
    from gongzhi.command import services

    s = _session(mech, "liangshai-bipin")
    held = services.hold_session(users["street_cadre"], s, outcome="晾晒排名已公布", present=[_units(s)[0].pk])
    communities = sorted(r.code for r in mech.street_a.children.all())
    assert sorted(r["code"] for r in held.ranking) == communities
    # each figure is what the problem list itself returns for that community and period
    from gongzhi.core.models import Region

    for row in held.ranking:
        comm = Region.objects.get(code=row["code"])
        assert row["counts"]["885-L1"] == len(sources.compute_list("cases.overdue_requests", comm, s.start, s.end))
        assert row["total"] == sum(row["counts"].values())
    totals = [r["total"] for r in held.ranking]
    assert totals == sorted(totals) and held.ranking[0]["rank"] == 1


def test_racing_ranks_by_report_rates_with_statements(mech, users):
    from gongzhi.command import services

    s = _session(mech, "saima-bipin")
    u = _units(s)
    held = services.hold_session(
        users["street_cadre"],
        s,
        outcome="各社区述职完毕",
        present=[x.pk for x in u],
        statements=[{"unit": u[0].pk, "text": "本季度诉求按时办结率提升"}],
    )
    assert held.statements[0]["name"] == u[0].name
    scores = [r["score"] for r in held.ranking if r["score"] is not None]
    assert scores == sorted(scores, reverse=True) and scores
    assert "parts" in held.ranking[0]


def test_supervision_lists_open_items_and_closes_followups(mech, users):
    from gongzhi.command import services

    lihui = _session(mech, "lihui-diaodu")
    services.hold_session(
        users["street_cadre"],
        lihui,
        outcome="交办",
        followups=[{"title": "整改井盖", "due_on": mech.today.isoformat()}],
    )
    fu = lihui.followups.get()
    s = _session(mech, "ducha-duban")
    from gongzhi.command import mechanisms

    preview = mechanisms.compute(s.mechanism, s.region, s.start, s.end)
    assert [f["id"] for f in preview["figures"]["followups"]] == [fu.pk]
    assert {lst["code"] for lst in preview["figures"]["lists"]} == {"885-L1", "885-L2", "885-L5"}
    held = services.hold_session(users["street_cadre"], s, outcome="督办销号", close_followups=[fu.pk])
    fu.refresh_from_db()
    assert fu.closed_on == mech.today
    assert held.figures["followups"][0]["id"] == fu.pk  # what the session read before closing


def test_evaluation_reads_assessment_results(mech, users):
    from gongzhi.assessment.models import Result
    from gongzhi.command import services

    s = _session(mech, "kaohe-jili")
    held = services.hold_session(users["street_cadre"], s, outcome="考核结果通报，兑现激励")
    assert held.figures["assessment"]["run"]
    for row in held.ranking:
        r = Result.objects.get(pk=row["result"])
        assert r.region.code == row["code"] and round(r.score, 2) == row["score"]
    assert [r["rank"] for r in held.ranking] == sorted(r["rank"] for r in held.ranking)


def test_scoping_other_street_cannot_see_or_hold(mech, users):
    from gongzhi.command import services

    s = _session(mech, "lihui-diaodu")
    before = _state()
    with pytest.raises(Forbidden):
        services.hold_session(users["other_street_cadre"], s, outcome="x")
    with pytest.raises(Forbidden):
        services.get_session(users["other_street_cadre"], s.pk)
    with pytest.raises(Forbidden):
        services.hold_session(users["community_cadre"], s, outcome="x")
    assert s.pk not in set(services.visible_sessions(users["other_street_cadre"]).values_list("pk", flat=True))
    assert s.pk in set(services.visible_sessions(users["street_cadre"]).values_list("pk", flat=True))
    with pytest.raises(Forbidden):
        services.seed_mechanisms(users["street_cadre"], mech.district)
    assert _state() == before


@pytest.mark.parametrize(
    "kw,field",
    [
        ({"outcome": ""}, "outcome"),
        ({"outcome": "x", "present": [999999]}, "present"),
        ({"outcome": "x", "present": ["abc"]}, "present"),
        ({"outcome": "x", "held_on": "2099-01-01"}, "held_on"),
        ({"outcome": "x", "held_on": "next week"}, "held_on"),
        ({"outcome": "x", "followups": [{"title": "t", "due_on": "2000-01-01"}]}, "followups"),
        ({"outcome": "x", "followups": [{"title": "t", "due_on": "2099-01-01", "unit": 999999}]}, "followups"),
        ({"outcome": "x", "statements": [{"unit": 1, "text": "t"}]}, "statements"),  # 例会 records no statements
        ({"outcome": "x", "close_followups": [999999]}, "close_followups"),
    ],
)
def test_bad_input_refused_nothing_changed(mech, users, kw, field):
    from gongzhi.command import services

    s = _session(mech, "lihui-diaodu")
    before = _state()
    with pytest.raises(DomainError) as e:
        services.hold_session(users["street_cadre"], s, **kw)
    assert e.value.field == field
    assert e.value.message
    assert _state() == before


def test_define_mechanism_validates(mech, users):
    from gongzhi.command import services

    admin = users["district_admin"]
    base = dict(code="yuedu-tongbao", name="月度通报", kind="ranking", cadence="monthly", reads=["885-L1"])
    before = _state()
    for bad, field in [
        ({"kind": "lottery"}, "kind"),
        ({"cadence": "hourly"}, "cadence"),
        ({"reads": ["885-L99"]}, "reads"),
        ({"reads": []}, "reads"),
        ({"records": ["photos"]}, "records"),
        ({"participant_unit_kinds": ["club"]}, "participant_unit_kinds"),
        ({"code": "lihui-diaodu"}, "code"),
    ]:
        with pytest.raises(DomainError) as e:
            services.define_mechanism(admin, mech.district, **{**base, **bad})
        assert e.value.field == field
    assert _state() == before
    m = services.define_mechanism(admin, mech.district, **base, records=["ranking"])
    assert m.reads == ["885-L1"]


def test_centre_shows_outcomes(mech, users):
    from gongzhi.command import queries, services

    s = _session(mech, "liangshai-bipin")
    services.hold_session(users["street_cadre"], s, outcome="晾晒结果：第一名社区经验交流")
    summary = queries.mechanisms_summary(mech.street_a)
    held = {r["mechanism"]: r for r in summary["latest"]}
    assert held["晾晒比拼"]["outcome"].startswith("晾晒结果")
    assert summary["due"] == 4
