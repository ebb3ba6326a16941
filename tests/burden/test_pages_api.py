"""Burden pages and API: the meter for a worker, a unit and a street; demands with the audit;
orders and the yearly view; reports generated and downloaded; scoping and refusals."""

from __future__ import annotations

import io

from gongzhi.burden import services as S
from gongzhi.burden.models import Demand, DemandItem, GeneratedReport
from gongzhi.burden.seed import seed_definitions
from gongzhi.core.actors import SYSTEM

from .conftest import day


def test_meter_pages_for_worker_unit_and_street(bworld, client):
    w = bworld
    S.issue_demand(
        SYSTEM, issuer=w.gov_a, title="入户走访登记", kind="form", minutes=25, issued_on=w.today, workers=[w.worker]
    )
    S.issue_demand(
        SYSTEM, issuer=w.gov, title="乡镇月报", kind="report", minutes=40, issued_on=w.today, units=[w.comm_b_unit]
    )
    client.force_login(w.users["grid_worker"])
    page = client.get("/burden/").content.decode()
    assert 'id="my-this-week">25<' in page and "入户走访登记" in page and 'id="street"' not in page
    assert client.get(f"/burden/?unit={w.comm_b_unit.code}").status_code == 404
    client.force_login(w.users["street_cadre"])
    page = client.get("/burden/").content.decode()
    assert 'id="street-total">25<' in page and w.comm_a_unit.name in page and "乡镇月报" not in page
    page = client.get(f"/burden/?unit={w.comm_a_unit.code}").content.decode()
    assert 'id="unit-this-month">25<' in page
    assert client.get(f"/burden/?street={w.street_b.code}").status_code == 404
    client.force_login(w.users["district_admin"])
    page = client.get(f"/burden/?street={w.district.code}").content.decode()
    assert 'id="street-total">65<' in page


def test_issue_a_demand_through_the_page_with_the_reason_when_refused(bworld, client):
    w = bworld
    client.force_login(w.users["street_cadre"])
    form = {
        "issuer": w.gov_a.code,
        "title": "创卫拍照",
        "kind": "photo",
        "recurrence": "weekly",
        "issued_on": day(w, 14).isoformat(),
        "until": w.today.isoformat(),
        "units": w.comm_a_unit.code,
    }
    r = client.post("/burden/demands/", form)
    assert r.status_code == 200 and "估计分钟" in r.content.decode() and 'aria-invalid="true"' in r.content.decode()
    assert not Demand.objects.exists()
    r = client.post("/burden/demands/", {**form, "minutes": "15"})
    d = Demand.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/burden/demands/{d.pk}/"
    assert DemandItem.objects.filter(demand=d).count() == 3
    assert "创卫拍照" in client.get("/burden/demands/").content.decode()
    assert "创卫拍照" in client.get(f"/burden/demands/{d.pk}/").content.decode()
    client.force_login(w.users["other_street_cadre"])
    assert client.get(f"/burden/demands/{d.pk}/").status_code == 404
    assert "创卫拍照" not in client.get("/burden/demands/").content.decode()


def test_audit_page_order_flags_and_yearly_view(bworld, client):
    w = bworld
    S.issue_demand(
        SYSTEM,
        issuer=w.gov,
        title="旧月报",
        kind="report",
        minutes=30,
        recurrence="monthly",
        issued_on=day(w, 400),
        until=day(w, 95),
        units=[w.comm_a_unit],
    )
    client.force_login(w.users["district_admin"])
    r = client.post(
        "/burden/audit/",
        {
            "issuer": w.gov.code,
            "title": "精简报表通知",
            "region": w.district.code,
            "effective_on": day(w, 90).isoformat(),
            "target_cut_pct": "30",
        },
    )
    assert r.status_code == 302
    S.issue_demand(
        SYSTEM,
        issuer=w.gov,
        title="新增月度考核表",
        kind="report",
        minutes=30,
        recurrence="monthly",
        issued_on=day(w, 60),
        until=day(w, -30),
        units=[w.comm_a_unit],
    )
    page = client.get(r["Location"]).content.decode()
    assert "疑似隐形考核" in page and "新增月度考核表" in page and "精简报表通知" in page
    assert 'id="verdict"' in page and "报表数月均" in page
    client.force_login(w.users["community_cadre"])
    assert client.get("/burden/audit/").status_code == 404
    client.force_login(w.users["auditor"])
    assert "新增月度考核表" in client.get("/burden/audit/?kind=hidden").content.decode()


def test_reports_page_generate_885_and_download(bworld, client):
    from openpyxl import load_workbook

    w = bworld
    seed_definitions(SYSTEM)
    client.force_login(w.users["street_cadre"])
    r = client.post(
        "/burden/reports/", {"op": "generate", "definition": "885", "region": w.street_a.code, "period": "2026-10"}
    )
    assert r.status_code == 302 and GeneratedReport.objects.count() == 16
    page = client.get(r["Location"]).content.decode()
    assert "全部下载 xlsx" in page and "超负荷网格员清单" in page
    x = client.get(f"/burden/reports/all.xlsx?region={w.street_a.code}&period=2026-10")
    assert x["Content-Type"].startswith("application/vnd.openxml")
    assert len(load_workbook(io.BytesIO(x.content)).sheetnames) == 16
    rep = GeneratedReport.objects.get(definition__code="885-R1")
    assert "接诉即办运行报表" in client.get(f"/burden/reports/{rep.pk}/").content.decode()
    assert client.get(f"/burden/reports/{rep.pk}.pdf").content.startswith(b"%PDF")
    r = client.post(
        "/burden/reports/", {"op": "generate", "definition": "885", "region": w.street_b.code, "period": "2026-10"}
    )
    assert "无权生成报表" in r.content.decode() and GeneratedReport.objects.count() == 16
    r = client.post(
        "/burden/reports/",
        {
            "op": "define",
            "code": "X",
            "name": "新表",
            "kind": "report",
            "fields_text": "a|受理数|cases.requests|10\nb|乱写|no.such|5",
        },
    )
    assert "无权定义报表" in r.content.decode()
    client.force_login(w.users["district_admin"])
    r = client.post(
        "/burden/reports/",
        {
            "op": "define",
            "code": "X",
            "name": "新表",
            "kind": "report",
            "fields_text": "a|受理数|cases.requests|10\nb|乱写|no.such|5",
        },
    )
    assert "no.such" in r.content.decode() and "不是已登记的查询" in r.content.decode()
    client.force_login(w.users["other_street_cadre"])
    assert client.get(f"/burden/reports/{rep.pk}/").status_code == 404
    assert client.get(f"/burden/reports/{rep.pk}.xlsx").status_code == 404


def test_api_demand_idempotent_refusals_audit_and_report_export(bworld, client):
    w = bworld
    client.force_login(w.users["district_admin"])
    body = {
        "issuer": w.gov.code,
        "title": "周报",
        "kind": "report",
        "minutes": 20,
        "recurrence": "weekly",
        "issued_on": day(w, 21).isoformat(),
        "until": w.today.isoformat(),
        "units": [w.comm_a_unit.code],
    }
    r1 = client.post("/api/v1/burden/demands", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    r2 = client.post("/api/v1/burden/demands", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert r1.status_code == 201 and r2.status_code == 201 and r1.json()["id"] == r2.json()["id"]
    assert r2["Idempotent-Replayed"] == "true" and Demand.objects.count() == 1 and r1.json()["items"] == 4
    bad = client.post("/api/v1/burden/demands", {**body, "minutes": None}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["field"] == "minutes"
    bad = client.post("/api/v1/burden/demands", {**body, "units": []}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["field"] == "targets"
    bad = client.post(
        "/api/v1/burden/definitions",
        {"code": "Z", "name": "坏", "fields": [{"code": "a", "label": "甲", "source": "x.y"}]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "x.y" in bad.json()["detail"]
    o = client.post(
        "/api/v1/burden/orders",
        {"issuer": w.gov.code, "title": "减负令", "region": w.district.code, "effective_on": day(w, 10).isoformat()},
        content_type="application/json",
    )
    assert o.status_code == 201
    a = client.get(f"/api/v1/burden/audit?region={w.district.code}&order={o.json()['id']}").json()
    # 12 months before the order's month, then its month up to this one (the order was 10 days ago:
    # this month or, early in a month, the last one)
    pivot = day(w, 10)
    since = (w.today.year - pivot.year) * 12 + w.today.month - pivot.month
    assert a["order"] == o.json()["id"] and len(a["months"]) == 12 + since + 1
    reg = client.get(f"/api/v1/burden/regions/{w.street_a.code}").json()
    month = DemandItem.objects.filter(
        region__path__startswith=w.street_a.path, on__gte=w.today.replace(day=1), on__lte=w.today
    )
    assert reg["total"]["minutes"] == sum(i.minutes for i in month) > 0
    unit = client.get(f"/api/v1/burden/units/{w.comm_a_unit.code}").json()
    assert sum(m["minutes"] for m in unit["months"]) == 80
    seed_definitions(SYSTEM)
    g = client.post(
        "/api/v1/burden/reports",
        {"definition": "885-R8", "region": w.street_a.code, "period": f"{w.today:%Y-%m}"},
        content_type="application/json",
    )
    assert g.status_code == 201
    vals = {v["code"]: v["value"] for v in g.json()["values"]}
    assert vals["reports"] == DemandItem.objects.filter(on__gte=w.today.replace(day=1), on__lte=w.today).count()
    x = client.get(f"/api/v1/burden/reports/{g.json()['id']}/export?format=pdf")
    assert x.status_code == 200 and x.content.startswith(b"%PDF")
    doc = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/burden/demands", "/api/v1/burden/reports/{rid}/export", "/api/v1/burden/audit"} <= set(
        doc["paths"]
    )
    client.force_login(w.users["grid_worker"])
    assert client.get("/api/v1/burden/me").json()["person"] == w.worker.pk
    assert client.get(f"/api/v1/burden/regions/{w.street_a.code}").status_code == 403
    assert client.post("/api/v1/burden/demands", body, content_type="application/json").status_code == 403
