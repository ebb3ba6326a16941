import json

import pytest
from django.core.management import call_command

from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import IdempotencyKey
from gongzhi.core.services import issue_api_token
from gongzhi.org.models import Grid, Person, Unit
from tests.conftest import square


@pytest.fixture
def api(client):
    def call(method, path, user=None, token=None, data=None, headers=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        if user is not None:
            client.force_login(user)
        fn = getattr(client, method)
        kw = {"headers": h}
        if data is not None:
            kw.update(data=json.dumps(data), content_type="application/json")
        return fn("/api/v1" + path, **kw)

    return call


def test_openapi_document(client, db):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    for path in [
        "/api/v1/regions",
        "/api/v1/units",
        "/api/v1/people",
        "/api/v1/grids",
        "/api/v1/grids/locate",
        "/api/v1/categories",
        "/api/v1/responsibility",
    ]:
        assert path in doc["paths"], path


def test_authentication_required(api, world):
    r = api("get", "/units")
    assert r.status_code == 401 and "API令牌" in r.json()["detail"]
    assert api("get", "/units", token="gz_wrong").status_code == 401


def test_token_from_cli_authenticates(api, users, capsys):
    call_command("token", users["street_cadre"].username, "测试客户端")
    token = capsys.readouterr().out.strip().splitlines()[-1]
    r = api("get", "/units", token=token)
    assert r.status_code == 200 and r.json()


def test_revoked_token_or_inactive_user_is_refused_and_use_is_recorded(api, users):
    from gongzhi.core.models import ApiToken

    token = issue_api_token(SYSTEM, users["street_cadre"], "t")
    row = ApiToken.objects.get(prefix=token[:8])
    assert row.last_used_at is None
    assert api("get", "/units", token=token).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at is not None  # recorded, at most once a minute
    used = row.last_used_at
    assert api("get", "/units", token=token).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at == used
    users["street_cadre"].is_active = False
    users["street_cadre"].save()
    assert api("get", "/units", token=token).status_code == 401
    users["street_cadre"].is_active = True
    users["street_cadre"].save()
    ApiToken.objects.filter(pk=row.pk).update(revoked=True)
    assert api("get", "/units", token=token).status_code == 401


def test_units_are_scoped(api, world, users):
    token = issue_api_token(SYSTEM, users["street_cadre"], "t")
    codes = {u["region"] for u in api("get", "/units?limit=1000", token=token).json()}
    assert codes and all(c.startswith(world.street_a.code) for c in codes)
    r = api("get", f"/units/{world.street_b.code}-GOV", token=token)
    assert r.status_code == 403 and "不在您的管辖范围内" in r.json()["detail"]
    r = api("get", "/units/NOPE", token=token)
    assert r.status_code == 404


def test_personal_data_masked_by_scope(api, world, users):
    p = Person.objects.filter(region=world.comm_a).exclude(phone="").first()
    inside = api("get", f"/people/{p.pk}", user=users["street_cadre"]).json()
    assert inside["phone"] == p.phone and not inside["masked"]
    outside = api("get", f"/people/{p.pk}", user=users["department_staff"]).json()
    assert outside["masked"] and outside["phone"] == p.phone[:3] + "****" + p.phone[-4:]
    assert outside["id_number"].count("*") == 8
    assert api("get", f"/people/{p.pk}", user=users["other_street_cadre"]).status_code == 403


def test_grids_geojson_locate_and_responsibility(api, world, users):
    admin = users["district_admin"]
    fc = api("get", f"/grids?region={world.comm_a.code}", user=admin).json()
    assert fc["type"] == "FeatureCollection" and fc["features"]
    g = Grid.objects.get(code=fc["features"][0]["properties"]["code"])
    r = api("get", f"/grids/locate?lon={g.centroid_lon}&lat={g.centroid_lat}", user=admin)
    assert r.json()["code"] == g.code
    r = api("get", "/grids/locate?lon=10&lat=10", user=admin)
    assert r.status_code == 400 and r.json()["code"] == "outside_grids"
    r = api("get", f"/responsibility?category=01005&grid={g.code}&at=2026-03-01T12:00:00%2B08:00", user=admin)
    assert r.status_code == 200 and r.json()["unit"]["code"].endswith("-CGJ")
    r = api("get", f"/responsibility?category=99999&grid={g.code}", user=admin)
    assert r.status_code == 400 and r.json()["field"] == "category"
    cats = api("get", "/categories", user=admin).json()
    assert {
        "code": "04080",
        "name": "飞线充电",
        "parent": "04",
        "default_sla": "emergency",
        "local_extension": True,
    } in cats


def test_create_unit_with_idempotency_key(api, world, users):
    people = list(Person.objects.filter(region=world.comm_a, party_status="full").values_list("pk", flat=True)[:3])
    parent = Unit.objects.get(region=world.comm_a, kind="party_community")
    body = {
        "code": "API-1",
        "name": "新支部",
        "kind": "party_compound",
        "region": world.comm_a.code,
        "parent": parent.code,
        "founding_members": people,
    }
    h = {"Idempotency-Key": "abc-123"}
    r1 = api("post", "/units", user=users["street_cadre"], data=body, headers=h)
    assert r1.status_code == 201 and r1.json()["full_members"] == 3
    r2 = api("post", "/units", user=users["street_cadre"], data=body, headers=h)
    assert r2.status_code == 201 and r2.json() == r1.json() and r2.headers["Idempotent-Replayed"] == "true"
    assert Unit.objects.filter(code="API-1").count() == 1 and IdempotencyKey.objects.count() == 1
    # Without the key, the same body is a duplicate code.
    r3 = api("post", "/units", user=users["street_cadre"], data=body)
    assert r3.status_code == 400 and r3.json()["code"] == "duplicate"


def test_bad_input_is_a_4xx_and_changes_nothing(api, world, users):
    n = Unit.objects.count()
    people = list(Person.objects.filter(region=world.comm_a, party_status="full").values_list("pk", flat=True)[:2])
    parent = Unit.objects.get(region=world.comm_a, kind="party_community")
    r = api(
        "post",
        "/units",
        user=users["street_cadre"],
        data={
            "code": "API-2",
            "name": "x",
            "kind": "party_compound",
            "region": world.comm_a.code,
            "parent": parent.code,
            "founding_members": people,
        },
    )
    assert r.status_code == 400 and r.json()["field"] == "founding_members"
    r = api("post", "/units", user=users["street_cadre"], data={"code": "API-3"})
    assert r.status_code == 422 and "name" in r.json()["detail"]
    r = api(
        "post",
        "/units",
        user=users["street_cadre"],
        data={"code": "API-4", "name": "x", "kind": "school", "region": world.comm_b.code},
    )
    assert r.status_code == 403
    assert Unit.objects.count() == n


def test_create_and_import_grids(api, world, users):
    admin = users["street_cadre"]
    r = api(
        "post",
        "/grids",
        user=admin,
        data={"community": world.comm_a.code, "name": "新网格", "geometry": square(118.9, 42.3)},
    )
    assert r.status_code == 201 and r.json()["code"].startswith(world.comm_a.code)
    r = api(
        "post",
        "/grids",
        user=admin,
        data={"community": world.comm_a.code, "name": "重叠", "geometry": square(118.9005, 42.3)},
    )
    assert r.status_code == 400 and r.json()["code"] == "overlap"
    r = api(
        "post",
        "/grids",
        user=admin,
        data={"community": world.comm_a.code, "name": "点", "geometry": {"type": "Point", "coordinates": [1, 2]}},
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_geojson"
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": square(118.95, 42.3),
                "properties": {"community": world.comm_a.code, "name": "导入"},
            }
        ],
    }
    r = api("post", "/grids/import", user=admin, data=fc)
    assert r.status_code == 201 and len(r.json()["created"]) == 1
    r = api(
        "post",
        "/grids",
        user=users["other_street_cadre"],
        data={"community": world.comm_a.code, "name": "越权", "geometry": square(118.97, 42.3)},
    )
    assert r.status_code == 403
