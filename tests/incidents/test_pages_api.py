"""Pages and API: declare (with errors marked), desk, check-in/assign, needs, stand-down, report + PDF."""

from __future__ import annotations

import json

import pytest

from gongzhi.core.actors import SYSTEM
from gongzhi.incidents.models import Incident, Mobilisation

from .conftest import declare_a

pytestmark = pytest.mark.django_db


def test_declare_form_marks_errors_then_declares(iworld, client):
    w = iworld
    client.force_login(w.users["street_cadre"])
    r = client.get("/incidents/declare/")
    assert r.status_code == 200 and "vendor/leaflet/leaflet.js" in r.text
    r = client.post("/incidents/declare/", {"name": "内涝", "kind": "flood", "severity": 3, "grids": ""})
    assert r.status_code == 200 and "影响范围为空" in r.text and not Incident.objects.exists()
    r = client.post("/incidents/declare/", {"name": "内涝", "kind": "flood", "severity": 3, "grids": w.grids_b[0].code})
    assert "超出您的管辖范围" in r.text and not Incident.objects.exists()
    r = client.post("/incidents/declare/", {"name": "内涝", "kind": "flood", "severity": 3, "polygon": "{bad"})
    assert "GeoJSON" in r.text
    r = client.post(
        "/incidents/declare/",
        {"name": "内涝", "kind": "flood", "severity": 3, "grids": f"{w.grids_a[0].code}，{w.grids_a[1].code}"},
    )
    inc = Incident.objects.get()
    assert r.status_code == 302 and r["Location"] == inc.get_absolute_url()
    assert inc.area.count() == 2
    page = client.get(inc.get_absolute_url()).text
    assert inc.name in page and "终止应急响应" in page and "动员人员" in page
    r = client.get("/incidents/")
    assert inc.name in r.text


def test_non_declarer_gets_no_form(iworld, client):
    client.force_login(iworld.users["auditor"])
    r = client.get("/incidents/declare/", follow=True)
    assert "无权宣布应急" in r.text
    assert "declare-link" not in client.get("/incidents/").text


def test_desk_check_in_assign_need_stand_down_report(iworld, client):
    w = iworld
    inc = declare_a(w)
    client.force_login(w.users["street_cadre"])
    m = Mobilisation.objects.filter(incident=inc).order_by("id").first()
    client.post(f"/incidents/mobilisations/{m.pk}/", {"action": "check_in", "version": m.version})
    m.refresh_from_db()
    assert m.checked_in_at is not None
    r = client.post(f"/incidents/{inc.pk}/needs/", {"title": "沙袋", "kind": "material", "quantity": 50}, follow=True)
    assert "需求已提交到公共资源池" in r.text
    need = inc.needs.get().need
    client.post(
        f"/incidents/mobilisations/{m.pk}/",
        {"action": "assign", "task": "装沙袋", "need": need.pk, "version": m.version},
    )
    m.refresh_from_db()
    assert m.task == "装沙袋" and m.need_id == need.pk
    r = client.post(f"/incidents/{inc.pk}/log/", {"text": "积水点设置警示"}, follow=True)
    assert "积水点设置警示" in r.text
    r = client.post(f"/incidents/{inc.pk}/stand-down/", {"note": "已排除", "version": inc.version})
    assert r.status_code == 302 and r["Location"].endswith("/report/")
    r = client.get(r["Location"])
    assert "复盘报告" in r.text and "沙袋" in r.text and "分派任务：装沙袋" in r.text
    r = client.post(f"/incidents/{inc.pk}/stand-down/", {"note": "again"}, follow=True)
    assert "不能重复终止" in r.text
    pdf = client.get(f"/incidents/{inc.pk}/report.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_pages_are_scoped(iworld, client):
    w = iworld
    inc = declare_a(w)
    client.force_login(w.users["other_street_cadre"])
    assert client.get(inc.get_absolute_url()).status_code == 404
    assert inc.name not in client.get("/incidents/").text
    client.force_login(w.users["community_cadre"])  # the affected community sees it
    assert client.get(inc.get_absolute_url()).status_code == 200


def test_api_declare_idempotent_errors_and_stand_down(iworld, client):
    w = iworld
    client.force_login(w.users["street_cadre"])
    body = {"name": "燃气泄漏", "kind": "gas", "severity": 2, "grids": [w.grids_a[0].code]}
    r = client.post("/api/v1/incidents/", json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert r.status_code == 201, r.content
    d = r.json()
    assert d["grids"] == [w.grids_a[0].code] and d["desk_unit"]["code"] == w.gov_a.code
    assert d["geometry"]["type"] in ("Polygon", "MultiPolygon")
    again = client.post(
        "/api/v1/incidents/", json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert again.status_code == 201 and again.json()["id"] == d["id"] and Incident.objects.count() == 1
    r = client.post("/api/v1/incidents/", json.dumps(body), content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "overlap" and r.json()["field"] == "grids"
    r = client.post("/api/v1/incidents/", json.dumps({**body, "grids": []}), content_type="application/json")
    assert r.status_code == 400 and r.json()["field"] == "grids"
    r = client.post(
        "/api/v1/incidents/", json.dumps({**body, "grids": [w.grids_b[0].code]}), content_type="application/json"
    )
    assert r.status_code == 403
    mobs = client.get(f"/api/v1/incidents/{d['id']}/mobilisations").json()
    assert mobs and {m["status"] for m in mobs} == {"notified"}
    r = client.post(f"/api/v1/incidents/mobilisations/{mobs[0]['id']}/check-in", "{}", content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "checked_in"
    r = client.post(
        f"/api/v1/incidents/{d['id']}/needs",
        json.dumps({"title": "灭火器", "kind": "material", "quantity": 10}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="n-1",
    )
    assert r.status_code == 201 and r.json()["priority"] == 0
    r = client.post(
        f"/api/v1/incidents/{d['id']}/stand-down",
        json.dumps({"note": "ok", "version": 1}),
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "stood_down"
    r = client.post(f"/api/v1/incidents/{d['id']}/stand-down", json.dumps({}), content_type="application/json")
    assert r.status_code == 409
    rep = client.get(f"/api/v1/incidents/{d['id']}/report").json()
    assert rep["people"]["checked_in"] == 1 and rep["needs"]["raised"] == 1
    assert [e["kind"] for e in rep["timeline"]][-1] == "stood_down"


def test_api_personal_data_masked_without_view_personal(iworld, client):
    w = iworld
    inc = declare_a(w)
    client.force_login(w.users["department_staff"])  # views the district, no view_personal
    mobs = client.get(f"/api/v1/incidents/{inc.pk}/mobilisations").json()
    phones = [m["phone"] for m in mobs if m["phone"]]
    assert phones and all("****" in p for p in phones)
    client.force_login(w.users["street_cadre"])
    mobs = client.get(f"/api/v1/incidents/{inc.pk}/mobilisations").json()
    assert any(m["phone"] and "****" not in m["phone"] for m in mobs)


def test_queries_active_incidents(iworld):
    from gongzhi.incidents import services as S
    from gongzhi.incidents.queries import active_incidents

    w = iworld
    a = declare_a(w)
    b = declare_a(w, w.users["district_admin"], name="乡镇山洪", grids=[w.grids_b[0].code])
    assert {i.pk for i in active_incidents(w.users["district_admin"])} == {a.pk, b.pk}
    assert [i.pk for i in active_incidents(w.users["street_cadre"])] == [a.pk]
    assert [i.pk for i in active_incidents(w.users["district_admin"], region=w.street_b)] == [b.pk]
    assert [i.pk for i in active_incidents(SYSTEM, region=w.comm_a)] == [a.pk]
    i = active_incidents(SYSTEM, region=w.street_a)[0]
    assert i.geometry["type"] in ("Polygon", "MultiPolygon") and i.get_absolute_url() == f"/incidents/{a.pk}/"
    assert i.region == w.street_a and i.declared_at
    S.stand_down(SYSTEM, a)
    assert [x.pk for x in active_incidents(SYSTEM)] == [b.pk]


def test_cli_declare_and_stand_down(iworld, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    w = iworld
    call_command("incident", "declare", "--name", "CLI内涝", "--kind", "flood", "--grid", w.grids_a[0].code)
    inc = Incident.objects.get()
    out = capsys.readouterr().out
    assert inc.code in out and "declared" in out
    with pytest.raises(CommandError, match="已在应急响应中"):
        call_command("incident", "declare", "--name", "x", "--kind", "flood", "--grid", w.grids_a[0].code)
    with pytest.raises(CommandError, match="超出您的管辖范围"):
        call_command(
            "incident", "declare", "--name", "x", "--kind", "flood", "--grid", w.grids_b[0].code, "--user", "t_street"
        )
    call_command("incident", "stand-down", inc.code, "--note", "ok")
    assert Incident.objects.get().status == "stood_down"
    with pytest.raises(CommandError, match="不能重复终止"):
        call_command("incident", "stand-down", inc.code)
