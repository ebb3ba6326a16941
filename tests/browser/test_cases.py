"""Browser tests of the request loop: resident submission (normal and simple mode), my requests,
the grid worker inbox, the street dispatch desk with the whistle, the department inbox, the request
page (timeline and map) and the keyboard-only hotline console."""

import re

import pytest

from .conftest import login

pytestmark = pytest.mark.browser


def a_grid(page, server_url) -> str:
    fc = page.request.get(server_url + "/requests/grids.geojson").json()
    return fc["features"][0]["properties"]["code"]


def test_resident_submits_on_the_map_and_follows_it(page, server_url):
    page.goto(server_url + "/requests/new/")
    page.wait_for_function("document.getElementById('map').dataset.loaded > 0")
    page.fill("#id_description", "小区路灯不亮一周了，晚上出行很黑")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("document.getElementById('id_grid').value.length == 15")
    page.select_option("#id_category", "02003")
    page.fill("#id_reporter_phone", "13912345678")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/requests/r/\d+/"))
    assert page.locator("#state").inner_text() == "已派单"
    assert page.locator("#timeline li").count() >= 3
    assert "13912345678" in page.locator("#phone").inner_text()  # the reporter sees their own number
    assert page.locator("#map.leaflet-container").count() == 1
    number = re.search(r"/r/(\d+)/", page.url).group(1)
    page.goto(server_url + "/requests/mine/")
    assert number in page.locator("table").inner_text()


def test_form_error_marks_the_field(page, server_url):
    page.goto(server_url + "/requests/new/")
    page.fill("#id_description", "路灯坏了")
    page.fill("#id_grid", "000000000000000")
    page.click("button[type=submit]")
    err = page.locator(".field-error .errorlist")
    err.first.wait_for()
    assert "网格" in err.first.inner_text()
    assert page.locator("#id_description").input_value() == "路灯坏了"  # redisplayed


def test_simple_mode_for_elderly_residents(page, server_url):
    grid = a_grid(page, server_url)
    page.goto(server_url + "/requests/simple/")
    size = page.eval_on_selector("#id_description", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 22  # large type
    page.fill("#id_description", "楼道里堆满杂物，老人上下楼不方便")
    # By the short list: the community, then one big button per grid.
    page.click("#way-list")
    page.wait_for_function("document.getElementById('pane-list').dataset.loaded > 0")
    assert page.locator("#simple-map").is_hidden()
    page.select_option("#pick-community", index=1)
    page.locator("#grid-buttons button").first.click()
    assert page.locator("#id_grid").input_value() != ""
    assert "您选的位置" in page.locator("#chosen").inner_text()
    page.fill("#id_address", "5号楼2单元")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/requests/r/\d+/"))
    assert "楼道里堆满杂物" in page.content() and "5号楼2单元" in page.content()
    assert grid  # the district has grids


def test_simple_mode_tap_on_the_large_map(page, server_url):
    page.set_viewport_size({"width": 420, "height": 900})  # a phone
    page.goto(server_url + "/requests/simple/")
    page.wait_for_function("document.getElementById('simple-map').dataset.loaded > 0")
    page.fill("#id_description", "小区门口路灯坏了，晚上很黑")
    # the large-text switch above the form pushes the map lower: bring it into view before tapping
    page.locator("#simple-map").scroll_into_view_if_needed()
    box = page.locator("#simple-map").bounding_box()
    assert box["height"] >= 320 and box["width"] >= 300  # large enough to tap
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("document.getElementById('id_grid').value.length == 15")
    assert (
        page.locator("#id_lon").input_value() != "" and page.locator(".leaflet-marker-icon:not(.gz-label)").count() == 1
    )
    assert "您选的位置" in page.locator("#chosen").inner_text()
    grid = page.locator("#id_grid").input_value()
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/requests/r/\d+/"))
    assert grid in page.content()


def test_grid_worker_inbox_due_soonest_first(page, server_url):
    login(page, server_url, "grid")
    page.goto(server_url + "/requests/inbox/grid/")
    rows = page.locator("table.requests tbody tr[data-number]")
    assert rows.count() >= 1
    dues = [r.locator("td").nth(6).inner_text().split(" ")[0:2] for r in rows.all()[:20]]
    stamps = [" ".join(d) for d in dues if d and d[0] != "—"]
    assert stamps == sorted(stamps) or len(stamps) < 2


def test_street_desk_blows_the_whistle_and_department_reports(page, server_url, browser):
    login(page, server_url, "street")
    page.goto(server_url + "/requests/desk/")
    assert "吹哨率" in page.content()
    link = page.locator("table.requests tbody tr[data-number] a").first
    number = link.inner_text()
    link.click()
    form = page.locator("#whistle-form")
    form.wait_for()
    form.locator("input[type=checkbox][value$='-CGJ']").check()
    form.locator("textarea[name=reason]").fill("跨部门事项，请城管执法报到")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("text=城市管理综合执法局").count() >= 1
    ctx = browser.new_context(locale="zh-CN")
    dept = ctx.new_page()
    login(dept, server_url, "dept")
    dept.goto(server_url + "/requests/inbox/dept/")
    assert number in dept.locator("#summonses").inner_text()
    dept.goto(server_url + f"/requests/r/{number}/")
    dept.locator("button[name=step][value=acknowledge]").first.click()
    dept.wait_for_load_state()
    assert dept.locator("button[name=step][value=act]").count() >= 1
    ctx.close()


def test_hotline_console_keyboard_only(page, server_url):
    from .test_pickers import _choose

    login(page, server_url, "street")
    page.goto(server_url + "/requests/hotline/")
    assert page.evaluate("document.activeElement.id") == "id_description"  # focus starts in the text
    page.keyboard.type("井盖丢了，很危险")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_category"  # the category picker is next
    _choose(page, "#id_category", "02002")
    grids = page.request.get(server_url + "/pick/grid/?q=").json()["results"]
    _choose(page, "#id_grid", grids[0]["label"].split(" · ")[-1])
    page.focus("#hotline-form button[type=submit]")
    page.keyboard.press("Enter")
    page.locator("#created").wait_for()
    assert "已派单" in page.locator("#created").inner_text()
