"""Agenda setting (seed 003, 大数据…优化议题设置): the clustering of request texts (pure), the scan's
proposals (idempotent per community, period and matter), scoping, the recorded decisions, pages, API
and command."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from gongzhi.alerts import agenda
from gongzhi.alerts import agenda_services as A
from gongzhi.alerts.models import AgendaProposal
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError, Forbidden

from .conftest import make_request

LIGHTS = ["3号楼前路灯不亮，晚上很黑", "3号楼路灯坏了不亮", "小区路灯又不亮了，晚上走路不安全", "路灯不亮已经一周"]
RUBBISH = ["楼下垃圾桶满了没人清运", "垃圾清运不及时，垃圾桶满溢", "垃圾桶满溢发臭，清运不及时"]
SINGLES = [
    "广场舞噪音扰民",
    "楼上装修噪音",
    "井盖缺失很危险",
    "电动车充电乱拉电线",
    "快递柜不够用，晚上取件排队",
    "晚上有人遛狗不牵绳",
    "电梯晚上停运",
    "停车位被占用",
    "楼道堆放杂物",
]


def _docs(texts, community=1, start=0, closed=()):
    return [
        agenda.Doc(start + i, t, community, place=f"网格{i % 2}", category="02003", closed=i in closed)
        for i, t in enumerate(texts)
    ]


# ----------------------------------------------------------------- the clustering (pure)


def test_recurring_matters_cluster_and_unrelated_do_not_merge():
    docs = _docs(LIGHTS + RUBBISH + SINGLES)
    found = agenda.clusters(docs)
    assert sorted(c.ids for c in found) == [[0, 1, 2, 3], [4, 5, 6]]
    lights = next(c for c in found if c.ids == [0, 1, 2, 3])
    assert "路灯" in lights.terms and lights.signature == agenda.signature(lights.terms)
    rubbish = next(c for c in found if c.ids == [4, 5, 6])
    assert rubbish.terms[0] == "垃圾桶"  # a piece of a longer term ("垃圾", "圾桶") is not a label of its own
    assert rubbish.places and sum(n for _p, n in rubbish.places) == 3


def test_clusters_are_per_community():
    docs = _docs(LIGHTS[:2], community=1) + _docs(LIGHTS[2:], community=2, start=10)
    assert agenda.clusters(docs) == []  # two and two: neither community has a recurring matter
    docs = _docs(LIGHTS, community=1) + _docs(LIGHTS, community=2, start=10)
    found = agenda.clusters(docs)
    assert sorted((c.community_id, c.ids) for c in found) == [(1, [0, 1, 2, 3]), (2, [10, 11, 12, 13])]
    assert found[0].signature == found[1].signature  # the same matter in both


def test_kind_from_closed_share():
    c = agenda.clusters(_docs(LIGHTS, closed={0, 1}))[0]
    assert agenda.kind_of(c) == ("goal", "recurs_after_closing", {"closed": 2, "total": 4})
    c = agenda.clusters(_docs(LIGHTS))[0]
    assert agenda.kind_of(c) == ("topic", "shared_open_matter", {"open": 4, "total": 4})
    noise = [agenda.Doc(i, t, 1, category="05001", closed=True) for i, t in enumerate(LIGHTS)]
    c = agenda.clusters(noise)[0]  # a neighbours' matter: residents settle it, closed or not
    assert agenda.kind_of(c) == ("topic", "residents_decide", {"category": "05001", "total": 4})


def test_bad_input():
    assert agenda.clusters([]) == []
    assert agenda.clusters(_docs(["", "  ", "的了"])) == []
    with pytest.raises(ValueError):
        agenda.clusters(_docs(LIGHTS), threshold=0)
    with pytest.raises(ValueError):
        agenda.clusters(_docs(LIGHTS), min_size=1)


# ----------------------------------------------------------------- the scan and decisions


PERIOD = "2026-05"


def _put(w, grid, texts, *, day=dt.date(2026, 5, 10), state="dispatched"):
    from gongzhi.cases.models import ServiceRequest

    rows = []
    for i, t in enumerate(texts):
        r = make_request(grid, w.cat, timezone.make_aware(dt.datetime.combine(day, dt.time(9, i))), state=state)
        r.description = t
        rows.append(r)
    return ServiceRequest.objects.bulk_create(rows)


@pytest.fixture
def scanned(aworld):
    w = aworld
    w.lights_a = _put(w, w.grid_a, LIGHTS)
    w.rubbish_a = _put(w, w.grid_a2, RUBBISH, state="resolved")
    _put(w, w.grid_a, SINGLES)
    w.lights_b = _put(w, w.grid_b, LIGHTS)
    _put(w, w.grid_a, LIGHTS, day=dt.date(2026, 1, 5))  # outside the window (three months to May)
    w.result = A.scan(SYSTEM, None, PERIOD)
    return w


def _of(w, region, word):
    return next(p for p in AgendaProposal.objects.filter(region=region) if word in p.terms)


def test_scan_proposes_each_communitys_recurring_matters(scanned):
    w = scanned
    assert w.result.matters == 3 and len(w.result.proposed) == 3
    lights = _of(w, w.comm_a, "路灯")
    assert lights.kind == "topic" and lights.reason_code == "shared_open_matter"
    assert sorted(lights.requests.values_list("pk", flat=True)) == sorted(r.pk for r in w.lights_a)
    assert lights.request_count == 4 and lights.places == [[w.grid_a.name, 4]]
    rubbish = _of(w, w.comm_a, "垃圾桶")
    assert rubbish.kind == "goal" and rubbish.reason_params == {"closed": 3, "total": 3}
    assert "逐件办结" in A.reason_text(rubbish)
    assert _of(w, w.comm_b, "路灯").request_count == 4
    from gongzhi.core.models import Event

    assert Event.objects.filter(type="alerts.agenda.proposed").count() == 3
    assert Event.objects.filter(type="alerts.agenda.scanned").count() == 1


def test_rescan_is_idempotent_and_keeps_decisions(scanned):
    w = scanned
    lights = _of(w, w.comm_a, "路灯")
    A.dismiss(SYSTEM, _of(w, w.comm_b, "路灯"), reason="已列入街道路灯改造")
    _put(w, w.grid_a, ["路灯不亮，晚上很黑"], day=dt.date(2026, 5, 20))
    again = A.scan(SYSTEM, None, PERIOD)
    assert again.proposed == [] and AgendaProposal.objects.count() == 3
    assert lights.pk in {p.pk for p in again.refreshed}
    lights.refresh_from_db()
    assert lights.request_count == 5 and lights.version == 2
    b = _of(w, w.comm_b, "路灯")
    assert b.status == "dismissed" and b.decision_reason == "已列入街道路灯改造"


def test_accept_topic_drafts_a_consultation_topic(scanned, users):
    from gongzhi.consult.models import Topic
    from gongzhi.core.models import Event

    w = scanned
    p = _of(w, w.comm_a, "路灯")
    p = A.accept(users["community_cadre"], p, note="下月议事会讨论")
    assert p.status == "accepted" and p.decided_by == users["community_cadre"] and p.decided_at
    topic = Topic.objects.get(pk=p.topic_id)
    assert topic.source == "data" and topic.region == w.comm_a and topic.scope == "community"
    assert all(r.number in topic.description for r in w.lights_a)
    phase = topic.phases.get()
    assert phase.kind == "collect" and phase.starts_at > timezone.now()
    ev = Event.objects.get(type="alerts.agenda.accepted")
    assert ev.payload["topic"] == topic.pk and sorted(ev.payload["requests"]) == sorted(r.pk for r in w.lights_a)
    with pytest.raises(DomainError) as e:
        A.accept(users["community_cadre"], p)
    assert e.value.code == "invalid_state"


def test_accept_goal_records_the_title_and_dismiss_needs_a_reason(scanned, users):
    w = scanned
    p = _of(w, w.comm_a, "垃圾桶")
    with pytest.raises(DomainError) as e:
        A.dismiss(users["street_cadre"], p, reason="  ")
    assert e.value.field == "reason"
    p.refresh_from_db()
    assert p.status == "proposed"
    p = A.accept(users["street_cadre"], p, title="垃圾清运点位调整")
    assert p.goal_title == "垃圾清运点位调整" and p.topic_id is None


def test_decisions_are_scoped(scanned, users):
    w = scanned
    b = _of(w, w.comm_b, "路灯")
    for who in ("street_cadre", "community_cadre", "grid_worker", "auditor"):
        with pytest.raises(Forbidden):
            A.dismiss(users[who], b, reason="x")
    a = _of(w, w.comm_a, "路灯")
    with pytest.raises(Forbidden):
        A.accept(users["grid_worker"], a)
    assert {p.region_id for p in A.visible(users["street_cadre"])} == {w.comm_a.pk}
    with pytest.raises(Forbidden):
        A.scan(users["community_cadre"], w.comm_a, PERIOD)
    with pytest.raises(DomainError):
        A.scan(SYSTEM, None, "2026-13")
    with pytest.raises(DomainError):
        A.scan(SYSTEM, None, f"{timezone.localdate().year + 1}-01")


def test_stale_version_conflicts(scanned, users):
    from gongzhi.core.errors import Conflict

    p = _of(scanned, scanned.comm_a, "路灯")
    with pytest.raises(Conflict):
        A.dismiss(users["street_cadre"], p, reason="重复", version=p.version + 5)


# ----------------------------------------------------------------- pages, API, command


def test_pages(scanned, users, client):
    w = scanned
    client.force_login(users["street_cadre"])
    page = client.get("/alerts/agenda/").content.decode()
    a, b = _of(w, w.comm_a, "路灯"), _of(w, w.comm_b, "路灯")
    assert a.get_absolute_url() in page and b.get_absolute_url() not in page
    assert client.get(b.get_absolute_url()).status_code == 404
    detail = client.get(a.get_absolute_url()).content.decode()
    assert w.lights_a[0].number in detail and 'id="accept"' in detail
    r = client.post(f"/alerts/agenda/{a.pk}/decide/", {"action": "dismiss", "reason": "", "version": a.version})
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.status == "proposed"
    client.post(f"/alerts/agenda/{a.pk}/decide/", {"action": "dismiss", "reason": "已处理", "version": a.version})
    a.refresh_from_db()
    assert a.status == "dismissed" and a.decided_by == users["street_cadre"]
    assert "已处理" in client.get(a.get_absolute_url()).content.decode()
    assert "?period=2026-13" and client.get("/alerts/agenda/?period=2026-13").status_code == 200
    client.force_login(users["grid_worker"])
    assert 'id="accept"' not in client.get(_of(w, w.comm_a, "垃圾桶").get_absolute_url()).content.decode()


def test_api(scanned, users, client):
    w = scanned
    client.force_login(users["street_cadre"])
    rows = client.get(f"/api/v1/alerts/agenda/?period={PERIOD}").json()
    assert {r["region"] for r in rows} == {w.comm_a.code}
    p = _of(w, w.comm_a, "路灯")
    got = client.get(f"/api/v1/alerts/agenda/{p.pk}").json()
    assert got["reason_code"] == "shared_open_matter" and sorted(got["requests"]) == sorted(
        r.number for r in w.lights_a
    )
    r = client.post(f"/api/v1/alerts/agenda/{p.pk}/dismiss", json.dumps({}), content_type="application/json")
    assert r.status_code == 400 and r.json()["field"] == "reason"
    r = client.post(f"/api/v1/alerts/agenda/{p.pk}/accept", json.dumps({"note": "ok"}), content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "accepted" and r.json()["topic"]
    assert client.get("/api/v1/alerts/agenda/?period=bad").status_code == 400
    b = _of(w, w.comm_b, "路灯")
    assert client.get(f"/api/v1/alerts/agenda/{b.pk}").status_code == 404
    r = client.post("/api/v1/alerts/agenda/scan", json.dumps({"period": PERIOD}), content_type="application/json")
    assert r.status_code == 201 and r.json()["proposed"] == []


def test_command(aworld, capsys):
    w = aworld
    _put(w, w.grid_a, LIGHTS)
    call_command("agenda", "scan", "--period", PERIOD)
    assert "1 proposed" in capsys.readouterr().out
    call_command("agenda", "list", "--region", w.comm_a.code)
    assert "路灯" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("agenda", "scan", "--period", "May")
    with pytest.raises(CommandError):
        call_command("agenda", "scan", "--region", "000")


def test_the_demo_texts_cluster_by_matter():
    """Each of the demo's request templates, three times in one community: every cluster holds one
    category's texts only (precision), and every template is found (recall)."""
    from gongzhi.cases.demo import TEXTS

    docs, truth = [], {}
    for code, (_weights, texts) in TEXTS.items():
        for t in texts:
            for _k in range(3):
                truth[len(docs)] = (code, t)
                docs.append(agenda.Doc(len(docs), t, 1, category=code))
    found = agenda.clusters(docs)
    mixed = [[truth[i] for i in c.ids] for c in found if len({truth[i][0] for i in c.ids}) > 1]
    assert mixed == []
    assert {truth[i][1] for c in found for i in c.ids} == {t for _w, ts in TEXTS.values() for t in ts}


def test_the_demo_scan_yields_proposals_and_decisions(world):
    from gongzhi.alerts import demo
    from gongzhi.cases import demo as cases_demo

    cases_demo.generate(seed=3, scale="tiny", progress=lambda *a: None)
    counts = demo._agenda(lambda *a: None)
    assert counts["agenda_proposals"] > 0
    assert AgendaProposal.objects.filter(kind="topic").exists()
    accepted = AgendaProposal.objects.get(status="accepted")
    assert accepted.topic is not None and accepted.topic.source == "data"
    assert AgendaProposal.objects.filter(status="dismissed").count() == 1
    for p in AgendaProposal.objects.all()[:20]:
        assert p.request_count == p.requests.count() >= agenda.MIN_SIZE
