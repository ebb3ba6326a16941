"""Browser tests of the assessment pages against the real server with the demo district."""

import re

import pytest

from .conftest import login

pytestmark = pytest.mark.browser


def test_results_drill_down_to_the_records(page, server_url):
    login(page, server_url, "district")
    page.click("nav >> text=考核评价")
    page.wait_for_url(re.compile(r"/assessment/"))
    streets = page.locator("#street-results tr[data-region]")
    assert streets.count() >= 2
    kinds = set(page.locator("#street-results tr[data-region] td:nth-child(3)").all_inner_texts())
    assert len(kinds) == 2  # urban streets and rural townships, each with their own index
    page.wait_for_function("document.getElementById('score-chart').dataset.loaded > 0")
    streets.first.locator("a").click()
    page.wait_for_url(re.compile(r"/assessment/results/\d+/$"))
    assert page.locator("#indicators tr[data-indicator]").count() >= 5
    assert set(page.locator("#fusion tr[data-element]").evaluate_all("rows => rows.map(r => r.dataset.element)")) == {
        "concept",
        "structure",
        "platform",
        "mechanism",
    }
    page.locator("#indicators tr[data-indicator=satisfaction] a.drill").first.click()
    page.wait_for_url(re.compile(r"/records/satisfaction_rate/$"))
    total = int(page.locator("#records-total").inner_text())
    assert total > 0
    link = page.locator("#records a[href^='/requests/r/']").first
    number = link.inner_text()
    link.click()
    page.wait_for_url(re.compile(r"/requests/r/"))
    assert number in page.content()


def test_street_cadre_sees_only_their_street(page, server_url):
    login(page, server_url, "street")
    page.goto(server_url + "/assessment/")
    assert page.locator("#street-results tr[data-region]").count() == 1
    assert page.locator("#community-results tr[data-region]").count() >= 1


def test_bad_formula_refused_with_reason(page, server_url):
    login(page, server_url, "district")
    page.goto(server_url + "/assessment/catalogue/")
    page.fill("#id_code", "browser_x")
    page.fill("#id_name", "浏览器测试指标")
    page.fill("#id_formula", "satisfaction_rate * happiness")
    page.click("#define")
    err = page.locator("#indicator-form .errorlist").first.inner_text()
    assert "happiness" in err and "可用字段" in err
    assert page.locator("#id_formula").get_attribute("aria-invalid") == "true"
    page.fill("#id_formula", "min(1, photo_count / 20)")
    page.click("#define")
    assert "负面清单" in page.locator("#indicator-form .errorlist").first.inner_text()
    page.fill("#id_formula", "1 - reopen_rate")
    page.click("#define")
    page.wait_for_url(re.compile(r"/assessment/catalogue/$"))
    assert page.locator("#indicator-list tr[data-code=browser_x]").count() == 1
