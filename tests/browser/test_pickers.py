"""Browser test of the pickers (issue 19 item 5) against the real server with the demo district: on the
hotline desk a street cadre types part of a name, chooses with the keyboard (ArrowDown, Enter; Escape
closes), submits, and the request has the category and grid chosen; the combobox follows the ARIA
pattern; on the intake page a map click fills the grid picker with the grid's name."""

from __future__ import annotations

import re

import pytest

from .conftest import _poll, login

pytestmark = pytest.mark.browser


def _choose(page, box: str, text: str) -> str:
    """Type into a picker, wait for the list, take the first option with the keyboard; the code submitted."""
    page.focus(box)
    page.fill(box, "")
    page.keyboard.type(text)
    # wait for the options answering the typed text (not those offered on focus)
    _poll(
        page,
        "([b, t]) => { var e = document.querySelector(b); return e.parentNode.dataset.query === t && "
        "e.getAttribute('aria-expanded') === 'true' && "
        "document.querySelectorAll('#' + e.getAttribute('aria-controls') + ' [role=option]').length > 0; }",
        [box, text],
    )
    page.keyboard.press("ArrowDown")
    active = page.locator(box).get_attribute("aria-activedescendant")
    assert active and page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    label = page.locator(f"#{active} .picker-label").inner_text()
    page.keyboard.press("Enter")
    assert page.locator(box).get_attribute("aria-expanded") == "false"
    assert page.locator(box).input_value() == label  # the person reads the name
    return page.locator(box + "-value").input_value()  # the form submits the code


def test_hotline_category_and_grid_picked_with_the_keyboard(page, server_url):
    login(page, server_url, "street")
    page.goto(server_url + "/requests/hotline/")
    box = page.locator("#id_grid")
    assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-autocomplete") == "list"
    assert page.locator("label[for=id_grid]").count() == 1
    assert page.locator("#id_grid-value").get_attribute("type") == "hidden"
    # the grids on offer are the street's (the cadre's scope), searched by name
    grids = page.request.get(server_url + "/pick/grid/?q=").json()["results"]
    assert grids
    name = grids[0]["label"].split(" · ")[-1]
    # Escape closes the list without choosing
    page.focus("#id_grid")
    page.keyboard.type(name[:2])
    _poll(
        page,
        "(t) => { var e = document.getElementById('id_grid'); "
        "return e.parentNode.dataset.query === t && e.getAttribute('aria-expanded') === 'true'; }",
        name[:2],
    )
    page.keyboard.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    page.fill("#id_description", "浏览器测试：小区路灯不亮（选择器）")
    category = _choose(page, "#id_category", "路灯")
    assert re.fullmatch(r"\d{5}", category)
    grid = _choose(page, "#id_grid", name)
    assert re.fullmatch(r"\d{15}", grid) and grid in [g["value"] for g in grids]
    page.click("#hotline-form button[type=submit]")
    page.wait_for_selector("#created")
    number = page.locator("#created a").inner_text()
    page.goto(server_url + f"/requests/r/{number}/")
    assert f"({grid})" in page.content()
    d = page.request.get(server_url + f"/api/v1/cases/requests/{number}").json()
    assert d["grid"] == grid and d["category"] == category


def test_map_click_fills_the_grid_picker_on_the_intake_page(page, server_url):
    login(page, server_url, "street")
    page.goto(server_url + "/requests/new/")
    _poll(page, "document.getElementById('map').dataset.loaded > 0")
    assert page.locator("#id_grid").get_attribute("role") == "combobox"
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    _poll(page, "document.getElementById('id_grid-value').value.length == 15")
    code = page.locator("#id_grid-value").input_value()
    assert page.locator("#id_grid").input_value() not in ("", code)  # the grid's name, not its code
