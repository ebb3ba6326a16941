"""Browser tests of cloud consultation and formal votes against the real server with demo data."""

import pytest

from .conftest import login

pytestmark = pytest.mark.browser


def test_vote_on_statements_with_htmx_then_results_map(page, server_url):
    login(page, server_url, "community")
    page.goto(server_url + "/consult/")
    page.click("text=小区停车难怎么解决")
    assert "实名参与" in page.locator("#phases").inner_text()
    first = page.locator("blockquote.statement").get_attribute("data-statement")
    url = page.url
    page.click("#card-body button[value='1']")
    page.wait_for_function(
        f"document.querySelector('blockquote.statement') === null || "
        f"document.querySelector('blockquote.statement').dataset.statement !== '{first}'"
    )
    assert page.url == url  # swapped in place by htmx, no page load
    page.click("text=查看协商结果")
    page.wait_for_function("window.consultMap !== undefined")
    assert page.locator("#opinion-map canvas").count() >= 1
    assert page.locator("#common-ground li").count() >= 1
    assert "划定夜间临时停车位" in page.locator("#common-ground").inner_text()


def test_finished_formal_vote_shows_tally_and_minutes(page, server_url):
    login(page, server_url, "community")
    page.goto(server_url + "/consult/")
    page.click("text=老旧小区加装电梯实施方案")
    assert "表决结果" in page.locator("#result").inner_text()
    assert "法定人数：已达到" in page.locator("#minutes").inner_text()
    assert page.locator("#ballot").count() == 0  # closed: no ballot form
