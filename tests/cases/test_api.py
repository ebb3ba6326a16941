"""The JSON API: create with idempotency, list/detail with masking, actions, errors."""

from __future__ import annotations

import pytest
from django.test import Client

from gongzhi.cases.models import ServiceRequest, State


@pytest.fixture
def api(users):
    def make(role):
        c = Client()
        c.force_login(users[role])
        return c

    return make


def test_create_idempotent_and_errors(api, place):
    c = api("street_cadre")
    body = {
        "description": "路灯不亮",
        "category": "02003",
        "lon": place.lon,
        "lat": place.lat,
        "reporter_phone": "13500001111",
    }
    r = c.post("/api/v1/cases/requests", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="a1")
    assert r.status_code == 201, r.content
    n = r.json()["number"]
    r2 = c.post("/api/v1/cases/requests", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="a1")
    assert r2.status_code == 201 and r2.json()["number"] == n
    assert ServiceRequest.objects.count() == 1
    bad = c.post("/api/v1/cases/requests", {**body, "category": "00000"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["field"] == "category"
    out = c.post("/api/v1/cases/requests", {**body, "lon": 0.0, "lat": 0.0}, content_type="application/json")
    assert out.status_code == 400 and out.json()["code"] == "outside_grids"
    malformed = c.post("/api/v1/cases/requests", {"category": "02003"}, content_type="application/json")
    assert malformed.status_code == 422
    assert ServiceRequest.objects.count() == 1


def test_actions_and_conflict(api, submit):
    req = submit(category="01005", reporter_phone="13500002222")
    d = api("department_staff")
    r = d.post(
        f"/api/v1/cases/requests/{req.number}/actions",
        {"action": "start", "expected_version": req.version},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["state"] == State.IN_PROGRESS
    r = d.post(
        f"/api/v1/cases/requests/{req.number}/actions",
        {"action": "resolve", "resolution": "ok", "expected_version": req.version},
        content_type="application/json",
    )
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    r = api("street_cadre").post(
        f"/api/v1/cases/requests/{req.number}/actions",
        {"action": "confirm", "rating": "satisfied"},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_state"
    detail = api("auditor").get(f"/api/v1/cases/requests/{req.number}").json()
    assert detail["reporter_phone"] == "135****2222" and detail["masked"]
    assert [t["action"] for t in detail["timeline"]][-1] == "start"
    assert api("other_street_cadre").get(f"/api/v1/cases/requests/{req.number}").status_code == 404


def test_whistle_report_suggest_route_figures(api, submit, place):
    req = submit(category="08001")
    s = api("street_cadre")
    from gongzhi.org.models import Unit

    cgj = Unit.objects.get(code__endswith="-CGJ", kind="department").code
    r = s.post(
        f"/api/v1/cases/requests/{req.number}/whistle",
        {"departments": [cgj], "reason": "联合执法"},
        content_type="application/json",
    )
    assert r.status_code == 201
    sid = r.json()["summonses"][0]["id"]
    r = api("department_staff").post(
        f"/api/v1/cases/summons/{sid}/report", {"step": "acknowledge"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["acknowledged_at"]
    route = s.get(f"/api/v1/cases/route?category=01005&lon={place.lon}&lat={place.lat}").json()
    assert route["unit"]["code"] == cgj and route["explanation"]
    assert s.get("/api/v1/cases/suggest?text=路灯不亮").json()["suggestions"]
    figs = api("district_admin").get("/api/v1/cases/figures?level=street").json()
    assert figs["total"]["requests"] == 1 and figs["rows"][0]["whistle_rate"]["num"] == 1
    assert s.get("/api/v1/cases/figures?level=moon").status_code == 400
    dup = s.get(f"/api/v1/cases/duplicates?category=08001&lon={place.lon}&lat={place.lat}").json()
    assert dup[0]["number"] == req.number
