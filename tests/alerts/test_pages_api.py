"""Pages and JSON API of alerts."""

from __future__ import annotations

import json

import pytest
from django.utils.html import escape

from gongzhi.alerts import services as S
from gongzhi.alerts.models import Alert, Status
from gongzhi.core.actors import SYSTEM

from .test_services import background, spike


@pytest.fixture
def two(aworld, add):
    w = aworld
    background(w)
    background(w, grid=w.grid_b, seed=2)
    spike(w, add)
    spike(w, add, grid=w.grid_b)
    raised = S.scan(SYSTEM, None, w.at).raised
    w.alert_a = next(a for a in raised if a.grid == w.grid_a)
    w.alert_b = next(a for a in raised if a.grid == w.grid_b)
    return w


def test_list_is_scoped_and_filtered(two, users, client):
    client.force_login(users["street_cadre"])
    page = client.get("/alerts/").content.decode()
    assert two.alert_a.title in page and two.alert_b.title not in page
    assert "立即扫描" in page
    assert two.alert_a.title not in client.get("/alerts/?kind=sla").content.decode()
    assert two.alert_a.title in client.get("/alerts/?kind=arrivals&status=open").content.decode()
    assert two.alert_a.title not in client.get("/alerts/?status=dismissed").content.decode()
    client.force_login(users["grid_worker"])
    page = client.get("/alerts/").content.decode()
    assert two.alert_a.title in page and "立即扫描" not in page


def test_detail_explains_itself_and_links_the_requests(two, users, client):
    a = two.alert_a
    client.force_login(users["community_cadre"])
    r = client.get(a.get_absolute_url())
    page = r.content.decode()
    assert r.status_code == 200
    assert escape(a.explanation) in page and 'id="series-data"' in page and "echarts.min.js" in page
    numbers = list(a.requests.values_list("number", flat=True))
    assert len(numbers) == 8 and all(f"/requests/r/{n}/" in page for n in numbers)
    assert 'id="dismiss"' in page
    client.force_login(users["other_street_cadre"])
    assert client.get(a.get_absolute_url()).status_code == 404
    client.force_login(users["auditor"])
    page = client.get(a.get_absolute_url()).content.decode()
    assert escape(a.explanation) in page and 'id="dismiss"' not in page


def test_status_actions_through_the_page(two, users, client):
    a = two.alert_a
    client.force_login(users["community_cadre"])
    r = client.post(f"/alerts/{a.pk}/act/", {"action": "dismiss", "reason": "", "version": a.version}, follow=True)
    assert "排除预警须说明理由" in r.content.decode()
    a.refresh_from_db()
    assert a.status == Status.OPEN
    client.post(f"/alerts/{a.pk}/act/", {"action": "acknowledge", "version": 1})
    r = client.post(f"/alerts/{a.pk}/act/", {"action": "resolve", "version": 1}, follow=True)  # stale form
    assert "已被他人更新" in r.content.decode()
    client.post(f"/alerts/{a.pk}/act/", {"action": "dismiss", "reason": "重复登记", "version": 2})
    a.refresh_from_db()
    assert a.status == Status.DISMISSED and a.status_reason == "重复登记" and a.version == 3
    client.force_login(users["grid_worker"])
    r = client.post(f"/alerts/{two.alert_b.pk}/act/", {"action": "acknowledge"})
    assert r.status_code == 404


def test_scan_button(two, users, client):
    client.force_login(users["street_cadre"])
    r = client.post("/alerts/scan/", follow=True)
    assert "扫描完成" in r.content.decode()
    client.force_login(users["grid_worker"])
    r = client.post("/alerts/scan/", follow=True)
    assert "无权运行预警扫描" in r.content.decode()


def test_api(two, users, client):
    client.force_login(users["street_cadre"])
    rows = client.get("/api/v1/alerts/").json()
    assert [x["id"] for x in rows] == [two.alert_a.pk]
    assert rows[0]["observed"] == 8 and rows[0]["grid"] == two.grid_a.code and rows[0]["status"] == "open"
    assert client.get("/api/v1/alerts/?kind=nope").status_code == 400
    d = client.get(f"/api/v1/alerts/{two.alert_a.pk}").json()
    assert len(d["requests"]) == 8 and d["explanation"] == two.alert_a.explanation and d["series"]["days"]
    assert client.get(f"/api/v1/alerts/{two.alert_b.pk}").status_code == 404

    def post(path, body):
        return client.post(path, json.dumps(body), content_type="application/json")

    bad = post(f"/api/v1/alerts/{two.alert_a.pk}/dismiss", {"reason": ""})
    assert bad.status_code == 400 and bad.json()["field"] == "reason"
    assert post(f"/api/v1/alerts/{two.alert_a.pk}/acknowledge", {"version": 5}).status_code == 409
    ok = post(f"/api/v1/alerts/{two.alert_a.pk}/acknowledge", {"version": 1})
    assert ok.status_code == 200 and ok.json()["status"] == "acknowledged" and ok.json()["version"] == 2
    assert (
        post(f"/api/v1/alerts/{two.alert_a.pk}/resolve", {"version": 2, "reason": "已处置"}).json()["status"]
        == "resolved"
    )
    client.force_login(users["grid_worker"])
    assert post(f"/api/v1/alerts/{two.alert_a.pk}/dismiss", {"reason": "x"}).status_code in (400, 403)


def test_api_scan_is_idempotent(two, users, client):
    client.force_login(users["district_admin"])
    Alert.objects.all().delete()
    h = {"HTTP_IDEMPOTENCY_KEY": "scan-1"}
    body = json.dumps({"region": two.street_a.code, "days": 1, "at": two.at.date().isoformat()})
    r1 = client.post("/api/v1/alerts/scan", body, content_type="application/json", **h)
    r2 = client.post("/api/v1/alerts/scan", body, content_type="application/json", **h)
    assert r1.status_code == 201 and len(r1.json()["raised"]) == 1
    assert r2.json() == r1.json() and r2.headers.get("Idempotent-Replayed") == "true"
    assert Alert.objects.count() == 1
    client.force_login(users["grid_worker"])
    assert client.post("/api/v1/alerts/scan", "{}", content_type="application/json").status_code == 403
