"""Browser tests of the common pool and volunteers against the real server with demo data."""

import re

import pytest

from .conftest import login

pytestmark = pytest.mark.browser


def test_pool_map_with_filters(page, server_url):
    login(page, server_url, "district")
    page.click("text=公共池")
    page.wait_for_function("document.getElementById('map').dataset.loaded > 0")
    total = int(page.locator("#map").get_attribute("data-loaded"))
    page.select_option("#filters select[name=priority]", "0")
    page.click("#filters button")
    page.wait_for_url(re.compile(r"priority=0"))
    page.wait_for_function("document.getElementById('map').dataset.loaded !== undefined")
    emergency = int(page.locator("#map").get_attribute("data-loaded"))
    assert 0 < emergency < total
    tags = page.locator("#needs td span.tag").all_inner_texts()
    assert tags and set(tags) == {"应急"}


def test_raise_a_need_match_answer_and_deliver(page, server_url):
    login(page, server_url, "district")
    # a location inside the grids: take the point of a need the demo raised (the list runs newest first
    # within each priority, so the first one can be a need an earlier browser test raised, e.g. an
    # incident's, whose street's material may already be taken)
    needs = page.request.get(server_url + "/api/v1/resources/needs?status=open&kind=material").json()
    lon, lat = needs[-1]["lon"], needs[-1]["lat"]
    page.goto(server_url + "/resources/needs/new/")
    page.fill("#id_title", "浏览器测试：防汛沙袋")
    page.select_option("#id_kind", "material")
    page.fill("#id_quantity", "1")
    page.select_option("#id_priority", "0")
    page.fill("#id_lon", "0")
    page.fill("#id_lat", "0")
    page.click("button.primary")
    assert "不在任何网格内" in page.locator(".errorlist").first.inner_text()  # says what to fix
    page.fill("#id_lon", str(lon))
    page.fill("#id_lat", str(lat))
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/resources/needs/\d+/$"))
    assert page.locator("h1").inner_text().startswith("浏览器测试")
    page.click("#run-matching")
    page.locator("#assignments td", has_text="待资源方确认").first.wait_for()
    page.locator("#assignments summary").first.click()
    assert "kind" in page.locator("#assignments .explain").first.inner_text()
    need_url = page.url
    page.goto(server_url + "/resources/inbox/")
    row = page.locator("#inbox tr", has_text="浏览器测试：防汛沙袋").first
    row.locator("button", has_text="确认提供").click()
    row = page.locator("#inbox tr", has_text="浏览器测试：防汛沙袋").first
    row.locator("button", has_text="已发出").click()
    page.goto(need_url)
    page.locator("form.deliver button").first.click()
    page.wait_for_url(need_url)
    assert page.locator("#need-status").inner_text() == "已闭环"
    assert page.locator("#fulfilled").inner_text() == "1"


def test_volunteer_profile_claim_and_duplicate(page, server_url):
    login(page, server_url, "grid")
    page.click("text=志愿者")
    page.click("text=我的志愿者档案")
    assert page.locator("#certificates").is_visible() and page.locator("#balances .figure").count() >= 1
    vid = re.search(r"/volunteers/(\d+)/", page.url).group(1)
    bank = page.request.get(server_url + f"/api/v1/volunteers/{vid}").json()["bank"]
    organiser = bank.removeprefix("TB-") + "-GOV"
    for _attempt in range(2):
        page.select_option("#id_task_type", "general")
        page.fill("#id_task_ref", "BROWSER-1")
        page.fill("#id_title", "浏览器测试服务")
        page.fill("#id_organiser", organiser)
        page.fill("#id_date", "2026-01-02")
        page.fill("#id_hours", "1")
        page.click("#claim button")
    assert "重复申报" in page.locator("#claim .errorlist").first.inner_text()
    page.goto(page.url)
    assert page.locator("#records td", has_text="BROWSER-1").count() == 1


def test_catalogue_redemption(page, server_url):
    login(page, server_url, "street")
    vols = page.request.get(server_url + "/api/v1/volunteers/").json()
    items = page.request.get(server_url + "/api/v1/volunteers/catalogue/items").json()
    pick = None
    for v in vols:
        for b in v["balances"]:
            for it in items:
                if it["bank"] == b["bank"] and it["stock"] > 0 and it["points"] <= b["balance"]:
                    pick = (v, it)
                    break
            if pick:
                break
        if pick:
            break
    assert pick, "the demo has a volunteer able to redeem"
    v, it = pick
    page.goto(server_url + "/volunteers/catalogue/")
    row = page.locator(f"#catalogue tr[data-code='{it['code']}']")
    stock = int(row.locator(".stock").inner_text())
    # the volunteer field is a picker: the code goes in its hidden input (the picker's own test types names)
    row.locator("input[name=volunteer]").evaluate("(el, v) => { el.value = v; }", str(v["id"]))
    row.locator("button").click()
    assert "兑换成功" in page.locator(".messages").inner_text()
    assert int(page.locator(f"#catalogue tr[data-code='{it['code']}'] .stock").inner_text()) == stock - 1
