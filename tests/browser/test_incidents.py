"""Browser test of emergency mode against the real server with the demo district: the demo's past incident
and its report; declare by clicking a grid on the map; a resident's request goes to the desk; check in;
stand down; after-action report and PDF."""

import re

import pytest

from .conftest import login

pytestmark = pytest.mark.browser


def test_demo_incident_has_a_report(page, server_url):
    login(page, server_url, "district")
    page.goto(server_url + "/incidents/")
    row = page.locator("#incidents tr", has_text="暴雨内涝").first
    assert "已终止响应" in row.inner_text()
    row.locator("a", has_text="复盘报告").click()
    page.wait_for_url(re.compile(r"/incidents/\d+/report/$"))
    assert page.locator("#r-received").inner_text() == "6"
    assert int(page.locator("#p-mobilised").inner_text()) > 0
    pdf = page.request.get(
        page.locator("#pdf-link").get_attribute("href") and server_url + page.locator("#pdf-link").get_attribute("href")
    )
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body()[:4] == b"%PDF"


def test_declare_on_the_map_route_check_in_stand_down(page, server_url):
    login(page, server_url, "street")
    page.goto(server_url + "/incidents/")
    page.click("#declare-link")
    page.wait_for_function("document.getElementById('map').dataset.loaded > 0")
    # an empty area is refused with the reason, on the field
    page.fill("#id_name", "浏览器测试：燃气泄漏")
    page.select_option("#id_kind", "gas")
    page.click("#declare-form button.primary")
    assert "影响范围为空" in page.locator(".field-error .errorlist").first.inner_text()
    assert page.locator("#id_grids").get_attribute("aria-invalid") == "true"
    page.wait_for_function("document.getElementById('map').dataset.loaded > 0")
    # click a grid of the demo's past flood (its people are known to the area) on the map: it joins the area
    demo = [i for i in page.request.get(server_url + "/api/v1/incidents/").json() if "暴雨内涝" in i["name"]][0]
    xy = page.request.get(server_url + f"/api/v1/incidents/{demo['id']}").json()["grids"][0]
    page.evaluate(
        """(code) => {
        var l = window.gongzhiGridLayer.getLayers().filter(function (x) { return x.feature.properties.code === code; })[0];
        window.gongzhiMap.fitBounds(l.getBounds());
    }""",
        xy,
    )
    page.wait_for_function(
        """(code) => window.gongzhiGridLayer.getLayers().some(
        function (x) { return x.feature.properties.code === code; })""",
        arg=xy,
    )
    page.wait_for_timeout(300)
    # a point inside the grid's polygon (ray casting over a sample of its bounding box), in map pixels
    pt = page.evaluate(
        """(code) => {
        var l = window.gongzhiGridLayer.getLayers().filter(function (x) { return x.feature.properties.code === code; })[0];
        var g = l.feature.geometry, ring = (g.type === "Polygon" ? g.coordinates : g.coordinates[0])[0];
        function inside(x, y) {
            var c = false;
            for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
                var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
                if (((yi > y) !== (yj > y)) && (x < (xj - xi) * (y - yi) / (yj - yi) + xi)) { c = !c; }
            }
            return c;
        }
        var b = l.getBounds(), best = null;
        for (var a = 1; a < 10 && !best; a++) { for (var k = 1; k < 10 && !best; k++) {
            var x = b.getWest() + (b.getEast() - b.getWest()) * ((a + 4) % 10) / 10;
            var y = b.getSouth() + (b.getNorth() - b.getSouth()) * ((k + 4) % 10) / 10;
            if (x !== b.getWest() && y !== b.getSouth() && inside(x, y)) { best = [y, x]; }
        } }
        var p = window.gongzhiMap.latLngToContainerPoint(best);
        return [p.x, p.y];
    }""",
        xy,
    )
    page.locator("#map").click(position={"x": pt[0], "y": pt[1]})
    assert xy in page.locator("#id_grids-value").input_value()  # the picker's submitted codes
    page.fill("#id_name", "浏览器测试：燃气泄漏")
    page.click("#declare-form button.primary")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    desk_url = page.url
    assert page.locator("#inc-status").inner_text() == "应急响应中"
    assert page.locator("#grid-count").inner_text() == "1"
    # a resident reports from that grid: the request goes straight to the desk with the emergency SLA
    page.goto(server_url + "/requests/new/")
    page.fill("#id_description", "楼道里闻到很重的煤气味")
    page.select_option("#id_category", "03003")
    page.fill("#id_grid", xy)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/requests/r/\d+/"))
    assert "区域应急" in page.content()
    page.goto(desk_url)
    assert page.locator("#received").inner_text() == "1"
    # the grid's party members / volunteers were notified; check one in
    assert int(page.locator("#mobilised").inner_text()) > 0
    page.locator("#people form.check-in button").first.click()
    page.wait_for_url(re.compile(r"/incidents/\d+/"))
    assert page.locator("#checked-in").inner_text() == "1"
    page.fill("#sd-note", "险情排除")
    page.click("#stand-down button")
    page.wait_for_url(re.compile(r"/incidents/\d+/report/$"))
    assert page.locator("#r-received").inner_text() == "1"
    page.goto(desk_url)
    assert page.locator("#inc-status").inner_text() == "已终止响应"
    assert page.locator("#stand-down").count() == 0
