"""Issue 20, item 1: the review page explains each grade (per dimension got / max) and shows what
followed (rectification plan, support); the rectification page runs the plan and its re-review; the API
gives the same."""

from __future__ import annotations

import pytest

from gongzhi.alliances.models import Rectification, Support
from gongzhi.core.models import Event

from .test_star_rating import _review, _year


@pytest.fixture
def graded(units, alliance):
    members = [units.comm_party, units.school, units.property, units.firms[0]]
    good = members[:2]
    _year(alliance, members, good=good, adequate=members[2:3])
    review = _review(alliance, lambda u: 4 if u in good else (3 if u == members[2] else 1))
    return review, members


def test_review_page_explains_grades_and_shows_follow_up(units, users, alliance, graded, client):
    review, members = graded
    client.force_login(users["street_cadre"])
    html = client.get(f"/alliances/{alliance.code}/review/2025/").content.decode()
    assert 'id="thresholds"' in html and "5★ ≥ 90.0（90%）" in html
    assert "30.0/30.0" in html  # a good unit's attendance: got / max
    rect = Rectification.objects.get(unit=members[3])
    assert f"/alliances/{alliance.code}/rectification/{rect.pk}/" in html
    assert "资源池优先" in html
    # the funding tilt from the page: an income in the alliance's funds
    r = client.post(
        f"/alliances/{alliance.code}/review/2025/",
        {"action": "fund", "unit": members[0].code, "amount": "3000", "note": "星级奖励"},
    )
    assert r.status_code == 302
    s = Support.objects.get(kind="funding")
    assert s.unit == members[0] and s.fund_entry.amount == 3000
    assert "3000.00" in client.get(f"/alliances/{alliance.code}/review/2025/").content.decode()


def test_rectification_page_runs_the_plan_and_the_rereview(units, users, alliance, graded, client):
    _review_, members = graded
    rect = Rectification.objects.get(unit=members[3])
    url = f"/alliances/{alliance.code}/rectification/{rect.pk}/"
    client.force_login(users["community_cadre"])  # the unit's side: marks tasks done, cannot re-review
    html = client.get(url).content.decode()
    assert 'id="rect-tasks"' in html and 'id="rect-deadline"' in html and "复核通过" not in html
    for t in rect.tasks.all():
        r = client.post(url, {"action": "done", "task": t.pk, "note": "已完成"})
        assert r.status_code == 302
    assert not rect.tasks.filter(done_on__isnull=True).exists()
    client.post(url, {"action": "pass", "note": "通过"})
    rect.refresh_from_db()
    assert rect.status == "open"  # refused: not the rating body
    client.force_login(users["street_cadre"])
    r = client.post(url, {"action": "pass", "note": "整改到位，复核通过"})
    rect.refresh_from_db()
    assert r.status_code == 302 and rect.status == "passed"
    assert "整改到位，复核通过" in client.get(url).content.decode()
    client.force_login(users["other_street_cadre"])
    assert client.get(url).status_code == 404


def test_a_unit_sees_its_open_rectification_among_its_duties(units, users, alliance, graded, client):
    _review_, members = graded
    rect = Rectification.objects.get(unit=members[3])
    client.force_login(users["street_cadre"])
    html = client.get(f"/alliances/unit/{members[3].code}/").content.decode()
    assert 'id="rectifications"' in html and f"/rectification/{rect.pk}/" in html
    assert 'id="rectifications"' not in client.get(f"/alliances/unit/{members[0].code}/").content.decode()


def test_api_ratings_rectifications_and_support(units, users, alliance, graded, client):
    review, members = graded
    client.force_login(users["street_cadre"])
    base = "/api/v1/alliances"
    d = client.get(f"{base}/{alliance.code}/ratings").json()[0]
    assert d["max_final"] == 100 and d["thresholds"][0] == {"stars": 5, "score": 90.0, "share": 0.9}
    rows = {u["unit"]: u for u in d["units"]}
    top = rows[members[0].code]
    assert top["stars"] == 5 and top["breakdown"]["dims"]["tasks"] == {"got": 20.0, "max": 20.0, "quarters": 4}
    assert top["supports"][0]["kind"] == "pool_priority"
    weak = rows[members[3].code]
    assert weak["stars"] == 1 and weak["rectifications"][0]["status"] == "open"
    rects = client.get(f"{base}/{alliance.code}/rectifications").json()
    assert len(rects) == 1 and rects[0]["tasks"]
    rid = rects[0]["id"]
    r = client.post(
        f"{base}/rectifications/{rid}/rereview", {"passed": True, "note": "x"}, content_type="application/json"
    )
    assert r.status_code == 400 and r.json()["code"] == "rectification_open"
    for t in rects[0]["tasks"]:
        r = client.post(
            f"{base}/rectifications/{rid}/tasks/{t['id']}/done", {"note": "完成"}, content_type="application/json"
        )
        assert r.status_code == 200
    r = client.post(
        f"{base}/rectifications/{rid}/rereview",
        {"passed": False, "note": "效果不明显"},
        content_type="application/json",
    )
    d = r.json()
    assert r.status_code == 200 and d["status"] == "failed" and d["next_round"]["round"] == 2
    r = client.post(
        f"{base}/{alliance.code}/ratings/2025/support",
        {"unit": members[3].code, "amount": "100"},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["code"] == "not_on_list"
    r = client.post(
        f"{base}/{alliance.code}/ratings/2025/support",
        {"unit": members[1].code, "amount": "2000.5"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["amount"] == "2000.50"
    assert Event.objects.filter(type="alliances.support.recorded", payload__kind="funding").count() == 1
