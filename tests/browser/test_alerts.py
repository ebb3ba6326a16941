"""Browser test of early warning against the real server with the demo year: the scoped list,
an alert that explains itself (chart of the series and its baseline, the requests behind it),
and dismissing it (a reason is required)."""

import re

import pytest

from .conftest import login

pytestmark = pytest.mark.browser


def test_alert_list_detail_chart_requests_and_dismiss(page, server_url):
    login(page, server_url, "district")
    page.goto(server_url + "/alerts/?kind=arrivals&status=")
    rows = page.locator("#alerts tr td a")
    assert rows.count() >= 1, "the demo year's scan raised some arrivals alerts"
    assert rows.count() < 100, "…but not hundreds"
    page.goto(server_url + "/alerts/?kind=arrivals&status=open")
    rows = page.locator("#alerts tr td a")
    assert rows.count() >= 1
    rows.first.click()
    page.wait_for_url(re.compile(r"/alerts/\d+/$"))
    alert_url = page.url
    assert "期望" in page.locator("#explanation").inner_text()
    page.wait_for_function("document.getElementById('series-chart').dataset.ready === '1'")
    assert page.locator("#series-chart canvas").count() >= 1
    links = page.locator("#requests a")
    assert links.count() >= 3
    links.first.click()
    page.wait_for_url(re.compile(r"/requests/r/\d+/"))
    page.goto(alert_url)
    page.click("#dismiss")
    page.wait_for_url(alert_url)
    assert "排除预警须说明理由" in page.locator(".messages").inner_text()
    assert page.locator("#status").inner_text() == "待处理"
    page.fill("#dismiss-reason", "浏览器测试：已核实为正常波动")
    page.click("#dismiss")
    page.wait_for_url(alert_url)
    assert page.locator("#status").inner_text() == "已排除"
    assert "已核实为正常波动" in page.locator("#explanation").inner_text()
    assert page.locator("#actions").count() == 0


def test_grid_worker_sees_only_own_area_and_cannot_act(page, server_url):
    login(page, server_url, "grid")
    page.goto(server_url + "/alerts/?status=")
    assert page.locator("#run-scan").count() == 0
    for href in page.locator("#alerts tr td a").evaluate_all("els => els.map(e => e.href)")[:3]:
        page.goto(href)
        assert page.locator("#actions").count() == 0
