import re

import pytest

from .conftest import login

pytestmark = pytest.mark.browser


def test_login_wrong_password_then_right(page, server_url):
    page.goto(server_url + "/org/")
    assert "/login/" in page.url  # pages need a login (logged out, "/" is the public landing)
    page.fill("#id_username", "street")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert page.locator(".errorlist").is_visible()
    login(page, server_url, "street")
    assert page.locator("h1").inner_text().startswith("南湖街道") or "街道" in page.locator("h1").inner_text()
    assert page.locator(".figure").count() == 8


def test_browse_the_tree(page, server_url):
    login(page, server_url, "street")
    page.click("text=组织架构")
    tree = page.locator("#org-tree")
    first = tree.locator("> li").first
    assert "党工委" in first.inner_text() or "办事处" in first.inner_text()
    party = tree.locator("> li", has_text="工作委员会").first
    party.locator("> button.toggle").click()
    child = party.locator("> ul.tree > li", has_text="社区委员会").first
    child.wait_for()
    child.locator("> button.toggle").click()
    grandchild = child.locator("> ul.tree > li").first
    grandchild.wait_for()
    assert "支部委员会" in child.inner_text()
    # Collapse hides the children again.
    party.locator("> button.toggle").click()
    assert not child.is_visible()
    # Open a unit page from the tree.
    page.goto(server_url + "/org/")
    page.locator("#org-tree a").first.click()
    assert page.locator("h1").is_visible() and "/org/unit/" in page.url


def test_open_the_map_and_find_a_grid_by_clicking(page, server_url):
    login(page, server_url, "street")
    page.click("text=网格地图")
    page.wait_for_function("document.getElementById('map').dataset.loaded > 0")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    info = page.locator("#grid-info")
    info.wait_for(state="visible")
    code = page.locator("#gi-code").inner_text()
    assert re.fullmatch(r"\d{15}", code)
    assert page.locator("#gi-workers").inner_text() != ""
    page.click("#gi-link")
    assert page.locator("h1").inner_text().endswith(code)


def test_switch_language(page, server_url):
    login(page, server_url, "admin")
    assert page.locator("nav").inner_text().find("组织架构") >= 0
    with page.expect_navigation():
        page.select_option("#lang-form select", "en")
    nav = page.locator("nav").inner_text()
    assert "Organisation" in nav and "Grid map" in nav
    assert page.locator("html").get_attribute("lang") == "en"
    with page.expect_navigation():
        page.select_option("#lang-form select", "zh-hans")
    assert "组织架构" in page.locator("nav").inner_text()


def test_phone_width_layout(browser, server_url):
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    login(page, server_url, "grid")
    page.goto(server_url + "/map/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400  # no horizontal scrolling at phone width
    ctx.close()


def test_form_marks_the_field(page, server_url):
    login(page, server_url, "street")
    page.goto(server_url + "/org/")
    page.locator("#org-tree a", has_text="工作委员会").first.click()
    page.fill("#id_code", "NEW-PARTY-1")
    page.fill("#id_name", "新党支部")
    page.select_option("#id_kind", "party_branch")
    page.fill("#id_founding_members", "1")
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")
    field = page.locator("#id_founding_members")
    assert field.get_attribute("aria-invalid") == "true"
    assert "至少3名正式党员" in page.locator(".errorlist").first.inner_text()
