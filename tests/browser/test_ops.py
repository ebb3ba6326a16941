"""Error pages and the language switch in a real browser, under the content security policy."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_404_page_in_layout_and_language_switch(logged_in, server_url):
    page = logged_in("street")
    response = page.goto(server_url + "/no-such-page/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "页面不存在"
    assert page.locator("header.top nav a").count() > 5  # navigation, as on every page
    rid = response.headers["x-request-id"]
    assert page.locator("code.request-id").inner_text() == rid
    # The language select submits itself (data-autosubmit, no inline handler).
    page.goto(server_url + "/")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    page.goto(server_url + "/no-such-page/")
    assert page.locator("h1").inner_text() == "Page not found"
    page.goto(server_url + "/")
    with page.expect_navigation():
        page.select_option("select[name=language]", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"


def test_favicon_and_health(page, server_url):
    response = page.goto(server_url + "/favicon.ico")
    assert response.ok and "svg" in response.headers["content-type"]
    response = page.goto(server_url + "/healthz")
    assert response.ok and '"status": "ok"' in page.content()
