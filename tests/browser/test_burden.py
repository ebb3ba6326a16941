"""Browser tests of the burden meter against the real server with the full demo."""

import io
import re

import pytest

from .conftest import login

pytestmark = pytest.mark.browser


def test_my_burden_chart_and_completing_an_item(page, server_url):
    login(page, server_url, "grid")
    page.click("text=减负监测")
    page.wait_for_url(re.compile(r"/burden/$"))
    page.wait_for_function("document.getElementById('my-chart').dataset.loaded > 0")
    assert int(page.locator("#my-chart").get_attribute("data-loaded")) == 12
    rows = page.locator("#my-open tr")
    n = rows.count()
    assert n > 1  # the weekly check-in of the demo at least
    title = rows.nth(1).locator("td").nth(1).inner_text()
    rows.nth(1).locator("button").click()
    page.wait_for_url(re.compile(r"/burden/"))
    assert "已办结" in page.locator(".messages").inner_text()
    assert page.locator("#my-open tr").count() == n - 1 or title != page.locator("#my-open tr").nth(1).inner_text()


def test_street_view_drills_into_a_unit(page, server_url):
    login(page, server_url, "street")
    page.goto(server_url + "/burden/")
    page.wait_for_function("document.getElementById('region-chart').dataset.loaded > 0")
    total = int(page.locator("#street-total").inner_text())
    assert total > 0
    first = page.locator("#street-units tr").nth(1)
    name = first.locator("td").first.inner_text()
    minutes = int(first.locator("td").nth(1).inner_text())
    first.locator("a").click()
    page.wait_for_function("document.getElementById('unit-chart').dataset.loaded > 0")
    assert name in page.locator("#unit h2").inner_text()
    assert int(page.locator("#unit-this-month").inner_text()) == minutes


def test_audit_shows_the_hidden_assessment_and_the_yearly_verdict(page, server_url):
    login(page, server_url, "district")
    page.goto(server_url + "/burden/audit/")
    page.wait_for_function("document.getElementById('audit-chart').dataset.loaded > 0")
    assert "报表数月均" in page.locator("#verdict").inner_text()
    hidden = page.locator("#flags tr.flag-hidden")
    assert hidden.count() >= 1 and "社区治理成效月度统计表" in hidden.first.inner_text()
    assert "减负" in hidden.first.inner_text()
    assert page.locator("#flags tr.flag-duplicate").count() >= 1


def test_issue_a_demand_refused_then_recorded(page, server_url):
    login(page, server_url, "street")
    page.goto(server_url + "/burden/demands/")
    page.click("#new-demand summary")
    page.fill("#id_title", "浏览器测试：创文巡查表")
    page.select_option("#id_kind", "form")
    page.check("#id_all_committees")
    page.click("#new-demand button.primary")
    assert "估计分钟" in page.locator("#new-demand .errorlist").first.inner_text()
    page.fill("#id_minutes", "35")
    page.click("#new-demand button.primary")
    page.wait_for_url(re.compile(r"/burden/demands/\d+/$"))
    assert page.locator("#demand-title").inner_text() == "浏览器测试：创文巡查表"
    assert page.locator("#demand-minutes").inner_text() == "35"
    assert page.locator("#items tr").count() > 1


def test_generate_the_885_and_download_xlsx_and_pdf(page, server_url):
    from openpyxl import load_workbook

    login(page, server_url, "district")
    page.goto(server_url + "/burden/reports/")
    page.fill("#id_definition", "885")
    page.click("#generate button.primary")
    page.wait_for_url(re.compile(r"period="))
    with page.expect_download() as dl:
        page.click("#all-xlsx")
    wb = load_workbook(io.BytesIO(open(dl.value.path(), "rb").read()))
    assert len(wb.sheetnames) == 16
    page.locator("#generated a", has_text="接诉即办运行报表").first.click()
    assert page.locator("#values tr").count() == 6
    with page.expect_download() as dl:
        page.click("#dl-pdf")
    assert open(dl.value.path(), "rb").read(4) == b"%PDF"
