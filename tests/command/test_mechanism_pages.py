"""Pages, API and CLI of the four boards ("141") and the five mechanisms ("885"), on the demo's part of the
command centre: a few held sessions with outcomes, the current ones due."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test import Client

from gongzhi.core.actors import SYSTEM

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def demoed(cased):
    from gongzhi.burden import seed
    from gongzhi.command import demo

    seed.seed_definitions(SYSTEM)
    counts = demo.mechanisms_demo(lambda *a: None)
    cased.demo_counts = counts
    return cased


def _due(w, code="liangshai-bipin"):
    from gongzhi.command.models import MechanismSession

    return MechanismSession.objects.get(mechanism__code=code, region=w.street_a, status="due")


def test_demo_part(demoed):
    from gongzhi.command.models import FollowUp, MechanismSession

    assert demoed.demo_counts["command_mechanism_sessions_held"] >= 8  # 4 mechanisms × 2 streets
    assert demoed.demo_counts["command_mechanism_sessions_due"] >= 5
    held = MechanismSession.objects.filter(region=demoed.street_a, status="held")
    assert {s.mechanism.kind for s in held} == {"scheduling", "ranking", "racing", "supervision"}
    assert all(s.outcome for s in held)
    assert MechanismSession.objects.filter(region=demoed.street_a, mechanism__kind="evaluation", status="due").exists()
    assert FollowUp.objects.filter(region=demoed.street_a, closed_on__isnull=False).exists()


def test_centre_and_board_pages(demoed, users):
    c = client_for(users["street_cadre"])
    code = demoed.street_a.code
    r = c.get(f"/command/{code}/")
    html = r.content.decode()
    assert r.status_code == 200
    for text in ("党的建设", "经济发展", "平安法治", "民生服务", "五项机制", "晾晒比拼"):
        assert text in html, text
    r = c.get(f"/command/{code}/boards/?board=safety")
    assert r.status_code == 200 and 'id="board-requests"' in r.content.decode()
    assert c.get(f"/command/{code}/boards/?board=nope").status_code == 404
    assert client_for(users["other_street_cadre"]).get(f"/command/{code}/boards/").status_code == 403


def test_hold_on_the_page(demoed, users):
    from gongzhi.command import mechanisms

    s = _due(demoed)
    c = client_for(users["street_cadre"])
    url = f"/command/{demoed.street_a.code}/mechanisms/{s.pk}/"
    r = c.get(url)
    assert r.status_code == 200 and 'id="ranking"' in r.content.decode() and 'id="hold"' in r.content.decode()
    # another street's cadre sees neither the session nor the form
    assert client_for(users["other_street_cadre"]).get(url).status_code == 403
    b = client_for(users["other_street_cadre"]).get(f"/command/{demoed.street_b.code}/mechanisms/{s.pk}/")
    assert b.status_code == 404
    # the community cadre sees it, without the form, and cannot post
    cc = client_for(users["community_cadre"])
    assert cc.get(f"/command/{demoed.comm_a.code}/mechanisms/{s.pk}/").status_code == 404  # not under the community
    # bad input: the form again with the message, nothing held
    r = c.post(url, {"outcome": "", "expected_version": s.version})
    assert r.status_code == 400 and "请填写会议结果" in r.content.decode()
    s.refresh_from_db()
    assert s.status == "due"
    units = list(mechanisms.participants(s.mechanism, s.region))
    r = c.post(url, {"outcome": "晾晒结果公布", "present": [units[0].pk], "decisions": "公开排名\n末位表态"})
    assert r.status_code == 302
    s.refresh_from_db()
    assert s.status == "held" and s.decisions == ["公开排名", "末位表态"] and s.ranking
    assert "晾晒结果公布" in c.get(f"/command/{demoed.street_a.code}/").content.decode()
    held = c.get(url).content.decode()
    assert 'id="outcome"' in held and "末位表态" in held and 'id="hold"' not in held
    assert client_for(users["auditor"]).post(url, {"outcome": "x"}).status_code == 403  # reads, does not hold


def test_api(demoed, users):
    c = client_for(users["street_cadre"])
    code = demoed.street_a.code
    r = c.get(f"/api/v1/command/{code}/boards?board=livelihood")
    assert r.status_code == 200
    body = r.json()
    assert [b["board"] for b in body["boards"]] == ["party", "economy", "safety", "livelihood"]
    assert "records" in body
    assert c.get(f"/api/v1/command/{code}/boards?board=x").status_code == 400
    r = c.get(f"/api/v1/command/{code}/mechanisms")
    assert r.status_code == 200 and len(r.json()["mechanisms"]) == 5
    s = _due(demoed, "ducha-duban")
    r = c.get(f"/api/v1/command/sessions/{s.pk}")
    assert r.status_code == 200 and r.json()["preview"] is True
    other = client_for(users["other_street_cadre"])
    assert other.get(f"/api/v1/command/sessions/{s.pk}").status_code == 403
    assert (
        other.post(
            f"/api/v1/command/sessions/{s.pk}/hold", json.dumps({"outcome": "x"}), content_type="application/json"
        ).status_code
        == 403
    )
    r = c.post(
        f"/api/v1/command/sessions/{s.pk}/hold",
        json.dumps({"outcome": "x", "followups": [{"title": "t", "due_on": "1999-01-01"}]}),
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["field"] == "followups"
    open_fu = [f["id"] for f in r.json().get("figures", {}).get("followups", [])] if r.status_code == 200 else None
    assert open_fu is None
    r = c.post(
        f"/api/v1/command/sessions/{s.pk}/hold",
        json.dumps({"outcome": "督办完毕", "version": s.version}),
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "held"
    assert (
        c.post(
            f"/api/v1/command/sessions/{s.pk}/hold", json.dumps({"outcome": "again"}), content_type="application/json"
        ).json()["code"]
        == "invalid_state"
    )
    # defining and board rules are the district's
    r = c.post(
        f"/api/v1/command/{code}/board-rules",
        json.dumps({"key": "09", "board": "livelihood"}),
        content_type="application/json",
    )
    assert r.status_code == 403
    admin = client_for(users["district_admin"])
    r = admin.post(
        f"/api/v1/command/{code}/board-rules",
        json.dumps({"key": "09", "board": "livelihood"}),
        content_type="application/json",
    )
    assert r.status_code == 200


def test_followup_close_api(demoed, users):
    from gongzhi.command.models import FollowUp

    fu = FollowUp.objects.filter(region=demoed.street_a, closed_on__isnull=True).first()
    assert fu is not None
    url = f"/api/v1/command/followups/{fu.pk}/close"
    assert client_for(users["other_street_cadre"]).post(url, "{}", content_type="application/json").status_code == 404
    r = client_for(users["street_cadre"]).post(url, json.dumps({"note": "已整改"}), content_type="application/json")
    assert r.status_code == 200 and r.json()["closed_on"]


def test_cli(demoed, capsys):
    from django.core.management.base import CommandError

    call_command("mechanisms", "list", "--region", demoed.street_a.code, "--status", "held")
    out = capsys.readouterr().out
    assert "例会调度" in out
    call_command("mechanisms", "due")
    assert "0 session(s) due" in capsys.readouterr().out  # the demo already made today's
    s = _due(demoed, "saima-bipin")
    call_command("mechanisms", "hold", str(s.pk), "--outcome", "述职完毕")
    s.refresh_from_db()
    assert s.status == "held"
    with pytest.raises(CommandError):
        call_command("mechanisms", "hold", str(s.pk), "--outcome", "again")
    with pytest.raises(CommandError):
        call_command("mechanisms", "seed", "--region", "000000")


def test_desk_board_filter(cased, users):
    from gongzhi.command import boards, desk

    everything = desk.desk(SYSTEM, cased.street_a)
    per_board = {b: desk.desk(SYSTEM, cased.street_a, board=b) for b in boards.BOARDS}
    for b, d in per_board.items():
        assert all(boards.board_of(r) == b for r in d["overdue"] + d["due_soon"] + d["bypasses"])
    if len(everything["overdue"]) < desk.LIMIT:  # the four boards split the overdue requests
        assert sum(len(d["overdue"]) for d in per_board.values()) == len(everything["overdue"])
    r = client_for(users["street_cadre"]).get(f"/command/{cased.street_a.code}/desk/?board=safety")
    assert r.status_code == 200 and 'id="board-filter"' in r.content.decode()
