"""Assessment pages (results, drill-down, records, catalogue), the API and the CLI."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from gongzhi.assessment import services as A
from gongzhi.assessment.models import Indicator, Result, Run
from gongzhi.core.actors import SYSTEM


@pytest.fixture
def run(records, scheme):
    return A.run_assessment(SYSTEM, scheme, str(timezone.localdate().year))


def test_results_page_is_scoped_and_drills_down_to_records(run, users, client, records):
    client.force_login(users["street_cadre"])
    page = client.get("/assessment/").content.decode()
    assert records.street_a.name in page and records.comm_a.name in page
    assert records.street_b.name not in page  # outside the cadre's street
    assert "复杂度" in page and "所用权重" in page
    res = Result.objects.get(run=run, region=records.street_a)
    page = client.get(f"/assessment/results/{res.pk}/").content.decode()
    assert "治理复杂度指数" in page and "satisfaction_rate" in page and "融合理念" in page
    assert f"/assessment/results/{res.pk}/records/satisfaction_rate/" in page
    rec = client.get(f"/assessment/results/{res.pk}/records/satisfaction_rate/").content.decode()
    assert "/requests/r/" in rec
    meet = client.get(f"/assessment/results/{res.pk}/records/meetings_1142_kept/").content.decode()
    assert "/alliances/" in meet
    other = Result.objects.get(run=run, region=records.street_b)
    assert client.get(f"/assessment/results/{other.pk}/").status_code == 404
    assert client.get(f"/assessment/results/{other.pk}/records/requests/").status_code == 404
    assert client.get(f"/assessment/results/{res.pk}/records/photo_count/").status_code == 404


def test_rural_result_shows_accessibility_index(run, users, client, records):
    client.force_login(users["district_admin"])
    res = Result.objects.get(run=run, region=records.street_b)
    page = client.get(f"/assessment/results/{res.pk}/").content.decode()
    assert "公共服务可达性指数" in page and "service_coverage" in page


def test_run_through_the_page(users, client, world, scheme):
    client.force_login(users["street_cadre"])
    r = client.post("/assessment/", {"scheme": scheme.code, "period": "2026-Q9"})
    assert r.status_code == 400 and "格式不对" in r.content.decode()
    assert not Run.objects.exists()
    r = client.post("/assessment/", {"scheme": scheme.code, "period": str(timezone.localdate().year)})
    assert r.status_code == 302
    run = Run.objects.get()
    assert run.region == world.street_a  # a street cadre assesses their own street
    client.force_login(users["auditor"])
    r = client.post("/assessment/", {"scheme": scheme.code, "period": "2026"})
    assert r.status_code == 403 and Run.objects.count() == 1


def test_catalogue_page_refuses_bad_formula_with_reason(users, client, world, scheme):
    client.force_login(users["district_admin"])
    page = client.get("/assessment/catalogue/").content.decode()
    assert "photo_count" in page and "考核负面清单" in page and "satisfaction_rate" in page
    r = client.post("/assessment/catalogue/", {"code": "x1", "name": "X", "formula": "satisfaction_rate + foo"})
    assert r.status_code == 400
    body = r.content.decode()
    assert "未知字段“foo”" in body and 'aria-invalid="true"' in body
    r = client.post("/assessment/catalogue/", {"code": "x2", "name": "打卡", "formula": "checkin_count / 30"})
    assert r.status_code == 400 and "负面清单" in r.content.decode()
    r = client.post(
        "/assessment/catalogue/", {"code": "x3", "name": "重办控制", "formula": "1 - reopen_rate", "element": ""}
    )
    assert r.status_code == 302 and Indicator.objects.filter(code="x3").exists()
    client.force_login(users["street_cadre"])
    r = client.post("/assessment/catalogue/", {"code": "x4", "name": "X", "formula": "1 - reopen_rate"})
    assert r.status_code == 400 and not Indicator.objects.filter(code="x4").exists()


def test_api(users, client, world, scheme):
    client.force_login(users["district_admin"])
    cat = client.get("/api/v1/assessment/measures").json()
    assert "satisfaction_rate" in cat["measures"] and "photo_count" in cat["never_assess"]
    assert "photo_count" not in cat["measures"]
    r = client.post(
        "/api/v1/assessment/indicators",
        {"code": "a1", "name": "A", "formula": "happiness"},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["field"] == "formula" and "happiness" in r.json()["detail"]
    r = client.post(
        "/api/v1/assessment/schemes",
        {
            "code": "s2",
            "name": "S",
            "region": world.district.code,
            "weights": {"urban": {"satisfaction": 0.7}, "rural": {"satisfaction": 1}},
        },
        content_type="application/json",
    )
    assert r.status_code == 400 and "合计为0.7" in r.json()["detail"]
    r = client.post(
        "/api/v1/assessment/schemes",
        {
            "code": "s2",
            "name": "S",
            "region": world.district.code,
            "weights": {"urban": {"satisfaction": [0.7, 1], "response": 0.3}, "rural": {"satisfaction": 1}},
        },
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["weights"]["urban"]["satisfaction"] == {"weight": 0.7, "shift": 1.0}
    body = {"scheme": "s2", "period": str(timezone.localdate().year)}
    r1 = client.post("/api/v1/assessment/runs", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    r2 = client.post("/api/v1/assessment/runs", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert r1.status_code == 201 and r2.json() == r1.json() and Run.objects.count() == 1
    rid = r1.json()["id"]
    rows = client.get(f"/api/v1/assessment/runs/{rid}/results").json()
    assert {x["region"] for x in rows} >= {world.street_a.code, world.street_b.code}
    one = client.get(f"/api/v1/assessment/results/{rows[0]['id']}").json()
    assert "measures" in one and "requests" in one["measures"] and "fusion_elements" in one
    r = client.put(
        "/api/v1/assessment/schemes/s2/weights",
        {"version": 9, "weights": {"urban": {"satisfaction": 1}, "rural": {"satisfaction": 1}}},
        content_type="application/json",
    )
    assert r.status_code == 409
    client.force_login(users["other_street_cadre"])
    rows = client.get(f"/api/v1/assessment/runs/{rid}/results").json()
    assert {x["region"][:9] for x in rows} == {world.street_b.code}
    r = client.post(
        "/api/v1/assessment/runs",
        {"scheme": "s2", "period": "2026", "region": world.street_a.code},
        content_type="application/json",
    )
    assert r.status_code == 403


def test_cli(world, scheme):
    out = io.StringIO()
    call_command("assess", "--period", str(timezone.localdate().year), stdout=out)
    text = out.getvalue()
    assert world.street_a.code in text and world.street_b.code in text and "urban" in text and "rural" in text
    with pytest.raises(CommandError, match="格式不对"):
        call_command("assess", "--period", "2026-Q7", stdout=io.StringIO())
    with pytest.raises(CommandError, match="没有考核方案"):
        call_command("assess", "--period", "2026", "--scheme", "nope", stdout=io.StringIO())
