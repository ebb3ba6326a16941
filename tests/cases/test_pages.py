"""Pages: submission (normal and simple), my requests, inboxes, desk with the whistle, request page, hotline."""

from __future__ import annotations

import pytest
from django.test import Client

from gongzhi.cases import views
from gongzhi.cases.models import ServiceRequest, State
from gongzhi.org.models import Grid


@pytest.fixture
def client_for():
    def make(user=None):
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return make


def test_anonymous_submission_and_tracking(world, place, client_for):
    c = client_for()
    r = c.get("/requests/new/")
    assert r.status_code == 200 and "我要反映" in r.content.decode()
    key = "form-key-1"
    data = {
        "description": "小区门口占道经营严重",
        "category": "01005",
        "lon": place.lon,
        "lat": place.lat,
        "reporter_name": "王五",
        "reporter_phone": "13900001111",
        "idempotency_key": key,
    }
    r = c.post("/requests/new/", data)
    assert r.status_code == 302
    req = ServiceRequest.objects.get()
    assert req.channel == "web" and req.state == State.DISPATCHED
    assert c.post("/requests/new/", data).status_code == 302  # the retry
    assert ServiceRequest.objects.count() == 1
    page = c.get(r["Location"]).content.decode()
    assert req.number in page and "13900001111" in page and "城市管理综合执法局" in page
    assert req.number in c.get("/requests/mine/").content.decode()
    assert client_for().get(f"/requests/r/{req.number}/").status_code == 404  # a stranger, no token


def test_form_marks_the_field_and_saves_nothing(world, place, client_for):
    c = client_for()
    r = c.post("/requests/new/", {"description": "路灯坏了", "category": "02003", "lon": 1.0, "lat": 1.0})
    assert r.status_code == 400
    html = r.content.decode()
    assert "不在任何网格内" in html
    r = c.post("/requests/new/", {"description": "", "category": "02003", "lon": place.lon, "lat": place.lat})
    assert r.status_code == 400 and 'class="field-error"' in r.content.decode()
    r = c.post(
        "/requests/new/",
        {"description": "x", "category": "02003", "lon": place.lon, "lat": place.lat, "reporter_phone": "abc"},
    )
    assert r.status_code == 400 and "联系电话格式不正确" in r.content.decode()
    assert ServiceRequest.objects.count() == 0


def test_simple_mode_by_grid(world, place, client_for):
    c = client_for()
    assert "有事您说" in c.get("/requests/simple/").content.decode()
    r = c.post(
        "/requests/simple/", {"description": "楼道里堆满杂物", "grid": place.grid.code, "reporter_phone": "13900002222"}
    )
    assert r.status_code == 302
    assert ServiceRequest.objects.get().grid == place.grid


def test_simple_mode_map_and_short_list(world, place, client_for):
    c = client_for()
    page = c.get("/requests/simple/").content.decode()
    assert 'id="simple-map"' in page and "vendor/leaflet/leaflet.js" in page and "//unpkg" not in page
    assert 'id="pick-community"' in page and 'name="lon"' in page and 'name="lat"' in page
    d = c.get("/requests/places.json").json()["communities"]
    comm = next(x for x in d if x["code"] == world.comm_a.code)
    assert place.grid.code in [g["code"] for g in comm["grids"]] and comm["street"] == world.street_a.name
    assert sum(len(x["grids"]) for x in d) == Grid.objects.count()
    # A tap on the map posts lon/lat (and the located grid); the address text rides along.
    r = c.post(
        "/requests/simple/",
        {
            "description": "路边井盖松了",
            "lon": place.lon,
            "lat": place.lat,
            "grid": place.grid.code,
            "address": "3号楼东侧",
        },
    )
    assert r.status_code == 302
    req = ServiceRequest.objects.get()
    assert req.grid == place.grid and req.address == "3号楼东侧" and abs(req.lon - place.lon) < 1e-9
    # Address text alone cannot be placed: the page says how to give the place, nothing saved.
    r = c.post("/requests/simple/", {"description": "门口有坑", "address": "幸福路12号"})
    assert r.status_code == 400 and "地图" in r.content.decode() and ServiceRequest.objects.count() == 1


def test_rate_limit(world, place, client_for, monkeypatch):
    monkeypatch.setattr(views, "RATE_LIMIT", 2)
    c = client_for()
    codes = [
        c.post(
            "/requests/new/",
            {"description": f"问题{i}", "category": "02003", "lon": place.lon, "lat": place.lat},
            REMOTE_ADDR="10.9.9.9",
        ).status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 429]
    assert ServiceRequest.objects.count() == 2


def test_request_page_actions_and_masking(submit, users, client_for):
    req = submit(category="01005", reporter_phone="13812345678")
    dept = client_for(users["department_staff"])
    page = dept.get(f"/requests/r/{req.number}/").content.decode()
    assert "13812345678" in page and 'data-action="start"' in page and 'id="timeline"' in page
    auditor = client_for(users["auditor"]).get(f"/requests/r/{req.number}/").content.decode()
    assert "138****5678" in auditor and "13812345678" not in auditor
    r = dept.post(
        f"/requests/r/{req.number}/", {"action": "resolve", "resolution": "", "expected_version": req.version}
    )
    assert r.status_code == 400 and "请填写办理结果" in r.content.decode()
    r = dept.post(f"/requests/r/{req.number}/", {"action": "start", "expected_version": req.version})
    assert r.status_code == 302
    r = dept.post(
        f"/requests/r/{req.number}/", {"action": "resolve", "resolution": "已处理", "expected_version": req.version}
    )  # stale version
    assert r.status_code == 409 and "刷新" in r.content.decode()
    req.refresh_from_db()
    assert req.state == State.IN_PROGRESS


def test_inboxes_desk_and_whistle(submit, users, client_for, world):
    a = submit(category="08001")  # street-led
    b = submit(category="01005")  # department
    c = submit(category=None, description="不知道归谁管的事情", auto_route=False)
    grid = client_for(users["grid_worker"]).get("/requests/inbox/grid/").content.decode()
    assert a.number in grid and b.number in grid
    desk = client_for(users["street_cadre"])
    html = desk.get("/requests/desk/").content.decode()
    assert c.number in html and "吹哨率" in html
    assert client_for(users["other_street_cadre"]).get("/requests/desk/").content.decode().count(c.number) == 0
    page = desk.get(f"/requests/r/{a.number}/").content.decode()
    assert 'id="whistle-form"' in page
    from gongzhi.org.models import Unit

    cgj = Unit.objects.get(code__endswith="-CGJ", kind="department")
    r = desk.post(f"/requests/r/{a.number}/", {"form": "whistle", "departments": [cgj.code], "reason": "违建需执法"})
    assert r.status_code == 302
    dept = client_for(users["department_staff"])
    inbox = dept.get("/requests/inbox/dept/").content.decode()
    assert a.number in inbox and b.number in inbox
    s = a.whistles.get().summonses.get()
    assert (
        dept.post(f"/requests/r/{a.number}/", {"form": "report", "summons": s.pk, "step": "acknowledge"}).status_code
        == 302
    )
    s.refresh_from_db()
    assert s.acknowledged_at is not None


def test_hotline_console(world, users, place, client_for):
    c = client_for(users["street_cadre"])
    page = c.get("/requests/hotline/").content.decode()
    # category and grid are pickers (searched by name at /pick/…), no longer lists of every code in the page
    assert "autofocus" in page and 'data-picker="category"' in page and 'data-picker="grid"' in page
    r = c.post(
        "/requests/hotline/",
        {
            "description": "井盖丢了很危险",
            "category": "02002",
            "grid": place.grid.code,
            "reporter_phone": "13700001111",
            "idempotency_key": "h1",
        },
    )
    assert r.status_code == 200 and 'id="created"' in r.content.decode()
    req = ServiceRequest.objects.get()
    assert req.channel == "hotline" and req.sla == "emergency"
    r = c.post("/requests/hotline/", {"description": "x", "category": "99999", "grid": place.grid.code})
    assert r.status_code == 400
    assert client_for(users["auditor"]).get("/requests/hotline/").status_code == 404


def test_figures_mediation_bypass_pages(submit, users, client_for, world, place):
    submit(category="01005")
    c = client_for(users["district_admin"])
    assert "响应率" in c.get("/requests/figures/?level=department").content.decode()
    assert c.get("/requests/").status_code == 200
    g = client_for(users["grid_worker"])
    r = g.post("/requests/bypass/", {"category": "03003", "grid": place.grid.code, "summary": "燃气泄漏已关阀"})
    assert r.status_code == 302
    assert "待备案" in g.get("/requests/inbox/grid/").content.decode()
    from gongzhi.org.models import Person

    people = list(Person.objects.filter(region=world.comm_a)[:2])
    cc = client_for(users["community_cadre"])
    r = cc.post(
        "/requests/mediation/",
        {"title": "漏水纠纷", "lead": people[0].pk, "volunteers": str(people[1].pk), "party_a": "甲", "party_b": "乙"},
    )
    assert r.status_code == 302
    assert "漏水纠纷" in cc.get("/requests/mediation/").content.decode()


def test_public_locate_and_grids(world, place, client_for):
    c = client_for()
    d = c.get(f"/requests/locate/?lon={place.lon}&lat={place.lat}").json()
    assert d["grid"] == place.grid.code
    assert c.get("/requests/locate/?lon=1&lat=1").status_code == 400
    assert len(c.get("/requests/grids.geojson").json()["features"]) > 0
