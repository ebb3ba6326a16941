"""Browser tests of the party-building alliances against the real server with demo data."""

import datetime as dt
import re

import pytest

from .conftest import login

pytestmark = pytest.mark.browser

LAST = dt.date.today().year - 1


def test_list_map_and_alliance_page(page, server_url):
    login(page, server_url, "district")
    page.click("header >> text=党建联合体")
    page.wait_for_function("document.getElementById('map').dataset.markers > 0")
    rows = page.locator("#alliance-list tr")
    assert rows.count() >= 5  # header + 4 established demo alliances
    assert page.locator("#street-compliance tr").count() >= 2
    page.click("#alliance-list >> text=/红色物业共建联合体/")
    page.wait_for_url(re.compile(r"/alliances/LHT-"))
    page.goto(page.url.split("?")[0] + f"?year={LAST}")
    assert page.locator("#meeting-calendar tr").count() == 20  # header + 19 required meetings (1142)
    assert page.locator("#balance").inner_text().strip() != ""
    page.click(f"text={LAST} 年终考评")
    assert re.fullmatch(r"[1-5]★", page.locator("#alliance-stars").inner_text().strip())
    assert page.locator("#review-units tr").count() >= 4


def test_points_drill_down(page, server_url):
    login(page, server_url, "street")
    page.goto(server_url + "/alliances/")
    page.click("#alliance-list >> text=/红色物业共建联合体/")
    code = page.url.rstrip("/").split("/")[-1].split("?")[0]
    page.goto(f"{server_url}/alliances/{code}/points/{LAST}/1/")
    assert "已结账" in page.locator("#quarter-status").inner_text()
    page.locator("#scores a").first.click()
    assert page.locator("#drilldown").is_visible()
    assert page.locator("text=签到").count() > 0  # attendance points name the meeting sign-in records


def test_approve_application_from_the_inbox(page, server_url):
    login(page, server_url, "district")
    page.goto(server_url + "/alliances/inbox/")
    app = page.locator("#applications .application").first
    name = app.locator("h3 a").inner_text()
    app.locator("select[name=decision]").select_option("reject")
    app.locator("button.primary").click()
    assert "请填写" in page.locator(".messages").inner_text()  # a rejection needs a reason; nothing changed
    page.goto(server_url + "/alliances/inbox/")
    app = page.locator("#applications .application").first
    app.locator("input[name=reason]").fill("同意成立")
    app.locator("button.primary").click()
    assert page.locator("#status").inner_text() == "已成立"
    assert name in page.locator("h1").inner_text()


def test_record_a_meeting_once_with_field_error(page, server_url):
    login(page, server_url, "street")
    page.goto(server_url + "/alliances/")
    page.click("#alliance-list >> text=/红色物业共建联合体/")
    link = page.locator("#meeting-calendar a", has_text="记录").first
    if link.count() == 0:
        pytest.skip("no unrecorded meeting this year yet")
    link.click()
    boxes = page.locator("input[name=attendees]")
    for i in range(boxes.count()):  # every member unit signs the list (includes the supply–demand pair)
        boxes.nth(i).check()
    page.click("button.primary")
    assert page.locator(".field-error").count() >= 1  # minutes are required
    page.fill("#id_minutes", "浏览器测试：推进四点半课堂")
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/alliances/LHT-[^/]+/$"))
    assert "会议已记录" in page.locator(".messages").inner_text()
