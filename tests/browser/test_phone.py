"""Issue 19 items 1 and 2 in Chromium: a field role's pages work at phone width (no sideways scrolling,
a menu that collapses behind one button), and the menu holds only pages the role may open."""

from __future__ import annotations

import re

import pytest

from .conftest import login

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

#: The pages a grid worker uses in the field: the to-do home, the inbox, intake, own requests,
#: emergency action (先行处置), the map; a request detail is added from the inbox.
FIELD_PAGES = [
    "/",
    "/requests/inbox/grid/",
    "/requests/new/",
    "/requests/mine/",
    "/requests/bypass/",
    "/patrols/",
    "/patrols/new/",
    "/map/",
]


def _no_sideways(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def test_grid_worker_pages_fit_a_phone(browser, server_url):
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    login(page, server_url, "grid")
    pages = list(FIELD_PAGES)
    page.goto(server_url + "/requests/inbox/grid/")
    link = page.locator("main a[href*='/requests/r/']").first
    if link.count():
        pages.append(link.get_attribute("href"))
    for path in pages:
        page.goto(server_url + path)
        scroll, inner = _no_sideways(page)
        assert scroll <= inner, f"{path} scrolls sideways at 390 px: {scroll} > {inner}"
    ctx.close()


def test_menu_collapses_behind_a_button_on_a_phone(browser, server_url):
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    login(page, server_url, "grid")
    page.goto(server_url + "/")
    header = page.evaluate("document.querySelector('header.top').getBoundingClientRect().height")
    assert header < 80, f"the header takes {header} px on a phone"
    assert not page.locator("#site-nav").is_visible()
    page.click("button.menu-toggle")
    assert page.locator("#site-nav").is_visible()
    assert page.get_attribute("button.menu-toggle", "aria-expanded") == "true"
    # the to-do page: a grid worker's own sections, with large touch targets
    assert page.locator("#todo-grid_open").is_visible()
    ctx.close()


def test_menu_links_open_for_each_demo_role(browser, server_url):
    """Every link of each demo role's menu opens (no 403 page) on a desktop."""
    for user in ("grid", "street", "community", "dept", "auditor", "district"):
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = ctx.new_page()
        login(page, server_url, user)
        hrefs = page.eval_on_selector_all("#site-nav a", "els => els.map(e => e.getAttribute('href'))")
        assert hrefs, user
        for href in hrefs:
            resp = page.goto(server_url + href)
            assert resp.status < 400, f"{user}: menu link {href} gives {resp.status}"
        ctx.close()


def test_logged_out_home_offers_a_request_and_the_record(browser, server_url):
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server_url + "/")
    assert page.locator("a[href='/requests/new/']").first.is_visible()
    assert page.locator("#public-figures").is_visible()
    assert re.search("/ledger/", page.content())
    scroll, inner = _no_sideways(page)
    assert scroll <= inner
    ctx.close()
