"""Browser tests of the command centres against the real server with the demo district."""

import re

import pytest

from .conftest import login

pytestmark = pytest.mark.browser


def test_street_centre_map_trend_and_drill_down(page, server_url):
    login(page, server_url, "street")
    page.click("header.top >> text=指挥中心")
    page.wait_for_url(re.compile(r"/command/\d{9}/$"))
    street_code = page.url.rstrip("/").rsplit("/", 1)[1]
    assert int(page.locator("[data-figure=requests] b").inner_text()) > 0
    page.wait_for_function("document.getElementById('map').dataset.grids > 0")
    page.wait_for_function("document.getElementById('trend').dataset.points == 90")
    assert page.locator("#trend canvas").count() >= 1
    # the one map: every grid drawn belongs to this street
    grids = page.request.get(f"{server_url}/command/{street_code}/map/grids.geojson").json()["features"]
    assert int(page.locator("#map").get_attribute("data-grids")) == len(grids)
    # a layer switched on loads its points
    page.check("#layers input[value=party]")
    page.wait_for_function("(document.getElementById('map').dataset.layer_party || '') !== ''")
    # drill down to a community and back up
    first = page.locator("#children tbody a").first
    name = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/command/\d{12}/"))
    assert name in page.locator("h1").inner_text()
    page.locator(".breadcrumbs a").first.click()
    page.wait_for_url(re.compile(rf"/command/{street_code}/"))


def test_street_cannot_open_another_street(page, server_url):
    login(page, server_url, "street2")
    page.goto(server_url + "/command/")
    page.wait_for_url(re.compile(r"/command/\d{9}/$"))
    own = page.url.rstrip("/").rsplit("/", 1)[1]
    login(page, server_url, "street")
    r = page.goto(f"{server_url}/command/{own}/")
    assert r.status == 403
    api = page.request.get(f"{server_url}/api/v1/command/{own}/figures")
    assert api.status == 403 and "管辖范围" in api.json()["detail"]
    assert page.request.get(f"{server_url}/command/{own}/brief.pdf").status == 403
    assert page.request.get(f"{server_url}/command/{own}/map/grids.geojson").status == 403


def test_district_wall_desk_and_brief(page, server_url):
    login(page, server_url, "district")
    page.goto(server_url + "/command/")
    page.wait_for_url(re.compile(r"/command/\d{6}/$"))
    code = page.url.rstrip("/").rsplit("/", 1)[1]
    page.click("text=大屏")
    page.wait_for_url(re.compile(r"/wall/$"))
    bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(11, 18, 32)"
    assert not page.locator("header.top").is_visible()
    page.wait_for_function("document.getElementById('map').dataset.grids > 0")
    before = page.locator("#refreshed").inner_text()
    page.wait_for_timeout(1100)
    page.evaluate(f"htmx.ajax('GET', '/command/{code}/wall/panel/', '#wall-panel')")
    page.wait_for_function(f"document.getElementById('refreshed').textContent !== {before!r}")
    page.wait_for_function("document.getElementById('trend').dataset.points == 90")
    page.goto(f"{server_url}/command/{code}/desk/")
    assert page.locator("#overdue").count() == 1 and page.locator("#bypasses").count() == 1
    pdf = page.request.get(f"{server_url}/command/{code}/brief.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:4] == b"%PDF"
