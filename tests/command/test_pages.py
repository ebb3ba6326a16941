"""Pages, API, map and PDF of the centres: the permission matrix (roles × centres inside/outside the scope)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client

from gongzhi.org.models import Grid

ALLOWED = {  # role → centres (by fixture attribute) it may open
    "district_admin": {"district", "street_a", "street_b", "comm_a"},
    "auditor": {"district", "street_a", "street_b", "comm_a"},
    "street_cadre": {"street_a", "comm_a"},
    "other_street_cadre": {"street_b"},
    "community_cadre": {"comm_a"},
    "grid_worker": set(),
    "department_staff": set(),
}
TARGETS = ("district", "street_a", "street_b", "comm_a")
URLS = (
    "/command/{c}/",
    "/command/{c}/wall/",
    "/command/{c}/wall/panel/",
    "/command/{c}/desk/",
    "/command/{c}/brief.pdf",
    "/command/{c}/map/grids.geojson",
    "/command/{c}/map/party.geojson",
    "/api/v1/command/{c}/figures",
    "/api/v1/command/{c}/map/grids",
)


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_permission_matrix(cased, users, role):
    c = client_for(users[role])
    for target in TARGETS:
        code = getattr(cased, target).code
        for url in URLS:
            r = c.get(url.format(c=code))
            expected = 200 if target in ALLOWED[role] else 403
            assert r.status_code == expected, (role, target, url, r.status_code)
            if expected == 403 and url.startswith("/api/"):
                assert "不在您的管辖范围内" in r.json()["detail"]


def test_index_redirects_to_own_centre(cased, users):
    assert client_for(users["street_cadre"]).get("/command/")["Location"] == f"/command/{cased.street_a.code}/"
    assert client_for(users["district_admin"]).get("/command/")["Location"] == f"/command/{cased.district.code}/"
    assert client_for(users["community_cadre"]).get("/command/")["Location"] == f"/command/{cased.comm_a.code}/"
    assert client_for(users["grid_worker"]).get("/command/").status_code == 403
    assert Client().get("/command/").status_code == 302  # to the log-in page


def test_unknown_region_is_404(cased, users):
    c = client_for(users["district_admin"])
    assert c.get("/command/999999/").status_code == 404
    assert c.get("/api/v1/command/999999/figures").status_code == 404
    assert c.get(f"/api/v1/command/{cased.district.code}/map/nothing").status_code == 404


def test_street_centre_never_shows_the_other_street(cased, users):
    c = client_for(users["street_cadre"])
    a, b = cased.street_a, cased.street_b
    fig = c.get(f"/api/v1/command/{a.code}/figures").json()
    assert {ch["code"] for ch in fig["children"]} == set(a.children.values_list("code", flat=True))
    grids = c.get(f"/command/{a.code}/map/grids.geojson").json()["features"]
    codes = {g["properties"]["code"] for g in grids}
    assert codes == set(Grid.objects.filter(region__parent=a).values_list("code", flat=True)) and codes
    assert not codes & set(Grid.objects.filter(region__parent=b).values_list("code", flat=True))
    for layer in ("party", "resources", "needs", "volunteers", "alliances"):
        r = c.get(f"/api/v1/command/{a.code}/map/{layer}")
        assert r.status_code == 200 and r.json()["type"] == "FeatureCollection"
    page = c.get(f"/command/{a.code}/").content.decode()
    assert b.name not in page and a.name in page
    # figures of the street add up to the district's share
    d = client_for(users["district_admin"]).get(f"/api/v1/command/{cased.district.code}/figures").json()
    by_street = {ch["code"]: ch for ch in d["children"]}
    assert by_street[a.code]["requests"] == fig["totals"]["requests"]
    assert by_street[a.code]["satisfaction_rate"] == fig["totals"]["satisfaction_rate"]


def test_pages_show_figures(cased, users):
    c = client_for(users["district_admin"])
    code = cased.district.code
    html = c.get(f"/command/{code}/").content.decode()
    for marker in (
        'id="figures"',
        'id="children"',
        'id="top-categories"',
        'id="hot-spots"',
        'id="sla"',
        'id="trend"',
        'id="map"',
        cased.street_a.name,
    ):
        assert marker in html
    wall = c.get(f"/command/{code}/wall/").content.decode()
    assert 'hx-trigger="every 30s"' in wall and "wall-panel" in wall
    desk = c.get(f"/command/{code}/desk/").content.decode()
    assert 'id="overdue"' in desk and 'id="bypasses"' in desk
    pdf = c.get(f"/command/{code}/brief.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_brief_of_a_street_holds_only_that_street(cased, users):
    from gongzhi.command import brief, queries

    day = queries.period()[1]
    d = brief.data(users["street_cadre"], cased.street_a, day)
    assert {c["code"] for c in d["children"]} == set(cased.street_a.children.values_list("code", flat=True))
    street_grids = set(Grid.objects.filter(region__parent=cased.street_a).values_list("code", flat=True))
    assert {h["code"] for h in d["hot"]} <= street_grids
    assert d["month"]["requests"] == queries.totals(cased.street_a, day - dt.timedelta(days=29), day)["requests"]
    pdf = brief.render_pdf(users["street_cadre"], cased.street_a, day)
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf
    r = client_for(users["street_cadre"]).get(f"/command/{cased.street_b.code}/brief.pdf")
    assert r.status_code == 403


def test_commands(cased, tmp_path, capsys):
    call_command("rollups", "check")
    call_command("rollups", "rebuild", "--region", cased.street_a.code)
    out = tmp_path / "brief.pdf"
    call_command("brief", "--region", cased.district.code, "-o", str(out))
    assert out.read_bytes().startswith(b"%PDF")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="不存在"):
        call_command("rollups", "rebuild", "--region", "123")
    with pytest.raises(CommandError, match="日期格式"):
        call_command("brief", "--region", cased.district.code, "--date", "x", "-o", str(out))


def test_incidents_and_alerts_on_desk_and_map(cased, users):
    from gongzhi.incidents import services as incidents

    grid = Grid.objects.filter(region__parent=cased.street_a).order_by("code").first()
    inc = incidents.declare(users["street_cadre"], name="测试内涝", kind="flood", grids=[grid.code], mobilise=False)
    a = client_for(users["street_cadre"])
    desk = a.get(f"/command/{cased.street_a.code}/desk/").content.decode()
    assert "测试内涝" in desk and inc.get_absolute_url() in desk
    feats = a.get(f"/api/v1/command/{cased.street_a.code}/map/incidents").json()["features"]
    assert [f["properties"]["name"] for f in feats] == ["测试内涝"]
    assert feats[0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert "测试内涝" in a.get(f"/command/{cased.street_a.code}/wall/panel/").content.decode()
    b = client_for(users["other_street_cadre"])
    assert "测试内涝" not in b.get(f"/command/{cased.street_b.code}/desk/").content.decode()
    assert b.get(f"/api/v1/command/{cased.street_b.code}/map/incidents").json()["features"] == []


def test_api_period(cased, users):
    from gongzhi.command import queries

    c = client_for(users["district_admin"])
    end = queries.period()[1]
    start = end - dt.timedelta(days=6)
    f = c.get(f"/api/v1/command/{cased.district.code}/figures?start={start}&end={end}").json()
    assert f["period"] == {"start": start.isoformat(), "end": end.isoformat()}
    assert f["totals"]["requests"] == queries.totals(cased.district, start, end)["requests"] > 0
    assert c.get(f"/api/v1/command/{cased.district.code}/figures?start=nonsense").status_code == 422
