"""Pool pages and API: the map data, lists, a need's page with suggestions, the inbox, the loop over HTTP."""

from __future__ import annotations

import pytest

from gongzhi.core.actors import SYSTEM
from gongzhi.org.models import Grid, Unit
from gongzhi.resources import services as S
from gongzhi.resources.models import Assignment, PoolNeed


def pt(region, k=0):
    g = Grid.objects.filter(region__path__startswith=region.path).order_by("code")[k]
    return g.centroid_lon, g.centroid_lat


@pytest.fixture
def street_client(client, users):
    client.force_login(users["street_cadre"])
    return client


def test_api_offer_raise_match_respond_deliver(world, users, street_client):
    c = street_client
    lon, lat = pt(world.comm_a)
    r = c.post(
        "/api/v1/resources/resources",
        {
            "owner": f"{world.street_a.code}-GOV",
            "name": "矿泉水",
            "kind": "material",
            "quantity": 10,
            "unit_label": "箱",
            "lon": lon,
            "lat": lat,
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="offer-1",
    )
    assert r.status_code == 201, r.content
    again = c.post(
        "/api/v1/resources/resources",
        {
            "owner": f"{world.street_a.code}-GOV",
            "name": "矿泉水",
            "kind": "material",
            "quantity": 10,
            "unit_label": "箱",
            "lon": lon,
            "lat": lat,
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="offer-1",
    )
    assert again.json()["id"] == r.json()["id"]
    # The same key with another body is not a retry: refused, nothing made.
    other = c.post(
        "/api/v1/resources/resources",
        {
            "owner": f"{world.street_a.code}-GOV",
            "name": "矿泉水",
            "kind": "material",
            "quantity": 10,
            "lon": lon,
            "lat": lat,
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="offer-1",
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_mismatch"
    bad = c.post(
        "/api/v1/resources/needs",
        {"title": "x", "kind": "material", "quantity": 1, "lon": 0, "lat": 0},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "outside_grids"
    n = c.post(
        "/api/v1/resources/needs",
        {"title": "高温送水", "kind": "material", "quantity": 4, "priority": "emergency", "lon": lon, "lat": lat},
        content_type="application/json",
    )
    assert n.status_code == 201 and n.json()["priority"] == "emergency"
    nid = n.json()["id"]
    m = c.post("/api/v1/resources/match", {"region": world.street_a.code}, content_type="application/json")
    assert m.status_code == 201 and m.json()["served"] == 4
    (a,) = c.get(f"/api/v1/resources/needs/{nid}").json()["assignments"]
    assert a["status"] == "proposed" and a["checks"] and "Rules passed" in a["explanation"]
    assert [x["id"] for x in c.get("/api/v1/resources/inbox").json()] == [a["id"]]
    assert (
        c.post(
            f"/api/v1/resources/assignments/{a['id']}/respond", {"accept": True}, content_type="application/json"
        ).json()["status"]
        == "accepted"
    )
    d = c.post(f"/api/v1/resources/assignments/{a['id']}/deliver", {"received": 4}, content_type="application/json")
    assert d.status_code == 200 and d.json()["need"]["status"] == "closed"
    assert d.json()["need"]["progress"]["fulfilled"] == 4
    d2 = c.post(f"/api/v1/resources/assignments/{a['id']}/deliver", {"received": 4}, content_type="application/json")
    assert d2.status_code == 409


def test_api_forbidden_for_other_street(world, users, client):
    client.force_login(users["other_street_cadre"])
    lon, lat = pt(world.comm_a)
    r = client.post(
        "/api/v1/resources/needs",
        {"title": "x", "kind": "material", "quantity": 1, "lon": lon, "lat": lat},
        content_type="application/json",
    )
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert PoolNeed.objects.count() == 0


def test_map_data_filters_by_kind_priority_and_state(world, users, street_client):
    lon, lat = pt(world.comm_a)
    gov = Unit.objects.get(code=f"{world.street_a.code}-GOV")
    S.offer_resource(SYSTEM, owner=gov, name="车", kind="vehicle", quantity=1, lon=lon, lat=lat)
    S.raise_need(SYSTEM, title="应急车", kind="vehicle", quantity=1, priority="emergency", lon=lon, lat=lat)
    S.raise_need(SYSTEM, title="发展物资", kind="material", quantity=1, priority="development", lon=lon, lat=lat)
    feats = street_client.get("/api/v1/resources/map").json()["features"]
    assert sorted(f["properties"]["type"] for f in feats) == ["need", "need", "resource"]
    feats = street_client.get("/api/v1/resources/map?kind=vehicle").json()["features"]
    assert sorted(f["properties"]["title"] for f in feats) == ["应急车", "车"]
    feats = street_client.get("/api/v1/resources/map?priority=2").json()["features"]
    assert [f["properties"]["title"] for f in feats] == ["发展物资"]
    feats = street_client.get("/api/v1/resources/map?state=active").json()["features"]
    assert [f["properties"]["type"] for f in feats] == ["resource"]


def test_pages_render_and_the_loop_works_through_forms(world, users, street_client):
    c = street_client
    lon, lat = pt(world.comm_a)
    r = c.post(
        "/resources/resources/new/",
        {
            "owner": f"{world.street_a.code}-GOV",
            "name": "帐篷",
            "kind": "material",
            "quantity": 3,
            "lon": lon,
            "lat": lat,
        },
    )
    assert r.status_code == 302
    r = c.post(
        "/resources/needs/new/",
        {
            "title": "避险帐篷",
            "kind": "material",
            "quantity": 2,
            "priority": 0,
            "source": "emergency",
            "lon": 0,
            "lat": 0,
        },
    )
    assert r.status_code == 200 and "不在任何网格内".encode() in r.content  # the form says what to fix
    r = c.post(
        "/resources/needs/new/",
        {
            "title": "避险帐篷",
            "kind": "material",
            "quantity": 2,
            "priority": 0,
            "source": "emergency",
            "lon": lon,
            "lat": lat,
        },
    )
    need = PoolNeed.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/resources/needs/{need.pk}/"
    page = c.get(f"/resources/needs/{need.pk}/").content.decode()
    assert "匹配建议" in page and "帐篷" in page
    c.post("/resources/run/", {"region": world.street_a.code})
    a = Assignment.objects.get()
    inbox = c.get("/resources/inbox/").content.decode()
    assert "避险帐篷" in inbox and "确认提供" in inbox
    c.post(f"/resources/assignments/{a.pk}/", {"action": "accept"})
    c.post(f"/resources/assignments/{a.pk}/", {"action": "dispatch"})
    c.post(f"/resources/assignments/{a.pk}/", {"action": "deliver", "received": 2})
    need.refresh_from_db()
    assert need.status == "closed"
    index = c.get("/resources/?kind=material&state=closed").content.decode()
    assert "避险帐篷" in index and 'id="map"' in index


def test_need_page_hidden_outside_scope(world, users, client):
    lon, lat = pt(world.comm_a)
    n = S.raise_need(SYSTEM, title="x", kind="funds", quantity=1, lon=lon, lat=lat)
    client.force_login(users["other_street_cadre"])
    assert client.get(f"/resources/needs/{n.pk}/").status_code == 404
    assert client.get(f"/api/v1/resources/needs/{n.pk}").status_code == 404


def test_old_pool_urls_redirect_permanently_to_resources(world, users, street_client):
    """The pages moved from /pool/ to /resources/ (issue 22); old links answer 308 (a POST stays a POST)."""
    c = street_client
    r = c.get("/pool/")
    assert r.status_code == 308 and r["Location"] == "/resources/"
    r = c.get("/pool/needs/7/?kind=material&state=open")
    assert r.status_code == 308 and r["Location"] == "/resources/needs/7/?kind=material&state=open"
    lon, lat = pt(world.comm_a)
    form = {
        "title": "避险帐篷",
        "kind": "material",
        "quantity": 2,
        "priority": 0,
        "source": "emergency",
        "lon": lon,
        "lat": lat,
    }
    r = c.post("/pool/needs/new/", form, follow=True)
    need = PoolNeed.objects.get()
    assert r.redirect_chain[0] == ("/resources/needs/new/", 308)
    assert r.redirect_chain[-1] == (f"/resources/needs/{need.pk}/", 302)


def test_old_pool_api_paths_redirect_permanently_to_resources(world, users, street_client):
    """The API moved from /api/v1/pool/ to /api/v1/resources/ (issue 22): a client on the old paths
    is sent on with a 308, so its POST (body and idempotency key) is repeated, not turned into a GET."""
    c = street_client
    r = c.get("/api/v1/pool/needs?state=open")
    assert r.status_code == 308 and r["Location"] == "/api/v1/resources/needs?state=open"
    lon, lat = pt(world.comm_a)
    body = {"title": "轮椅", "kind": "material", "quantity": 1, "lon": lon, "lat": lat}
    r = c.post("/api/v1/pool/needs", body, content_type="application/json", follow=True)
    assert r.redirect_chain == [("/api/v1/resources/needs", 308)]
    assert r.status_code == 201 and PoolNeed.objects.get().title == "轮椅"
