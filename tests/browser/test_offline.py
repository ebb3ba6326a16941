"""Issue 19 item 3 in Chromium: a grid worker's pages open without a network, a request taken in
offline is queued (visible) and sent once when the connection returns, and an action whose request
someone else closed meanwhile comes back as a conflict, shown in the queue."""

from __future__ import annotations

import time

import pytest

from .conftest import _poll, login

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _controlled(page, server_url, path):
    """Open ``path`` until the service worker controls the page (its first load installs it)."""
    page.goto(server_url + path)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    for _ in range(50):
        if page.evaluate("!!navigator.serviceWorker.controller"):
            # and the page is kept (the worker stores it as it serves it)
            page.reload()
            _poll(page, f"caches.match({path!r}).then(r => !!r)")
            return
        page.reload()
        time.sleep(0.1)
    raise AssertionError("the service worker never took control")


def _mine(page, server_url) -> int:
    """How many requests the logged-in user has raised (their own list's rows)."""
    page.goto(server_url + "/requests/mine/")
    return len(set(page.eval_on_selector_all("main a[href*='/requests/r/']", "els => els.map(e => e.href)")))


def _queue(page):
    return page.evaluate("window.gongzhiOffline.items()")


def test_request_taken_in_offline_is_sent_once_when_back_online(browser, server_url):
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    page = ctx.new_page()
    login(page, server_url, "grid")
    _controlled(page, server_url, "/requests/new/")
    before = _mine(page, server_url)
    page.goto(server_url + "/requests/inbox/grid/")  # a field page visited online is kept
    grid_code = ctx.request.get(server_url + "/requests/grids.geojson").json()["features"][0]["properties"]["code"]

    ctx.set_offline(True)
    page.goto(server_url + "/requests/new/")  # served by the service worker
    assert page.locator("#request-form").is_visible()
    # the intake map still draws the base layer from the kept boundaries
    _poll(page, "document.querySelectorAll('.gz-label-community').length > 0")
    text = f"离线受理：井盖松动有响声 {int(time.time())}"
    page.fill("#id_description", text)
    page.fill("#id_grid", grid_code)
    page.locator("#request-form button[type=submit], #request-form button:not([type])").first.click()
    _poll(page, "document.querySelector('#offline-queue') !== null")
    items = _queue(page)
    assert len(items) == 1 and items[0]["state"] == "waiting"
    assert "offline-queue" in page.content()
    page.goto(server_url + "/requests/inbox/grid/")  # still offline: the kept page and the queue
    assert page.locator("#offline-queue").is_visible()

    ctx.set_offline(False)
    page.evaluate("window.gongzhiOffline.flush()")
    _poll(page, "window.gongzhiOffline.items().then(x => x.length === 0)")
    # sent exactly once (the queued item carried its own idempotency key); a second flush sends nothing
    page.evaluate("window.gongzhiOffline.flush()")
    assert _mine(page, server_url) == before + 1
    ctx.close()


def test_action_on_a_request_closed_meanwhile_is_a_conflict(browser, server_url):
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    page = ctx.new_page()
    login(page, server_url, "street")
    page.goto(server_url + "/requests/desk/")
    href = page.locator("main a[href*='/requests/r/']").first.get_attribute("href")
    _controlled(page, server_url, href)
    actions = page.eval_on_selector_all("#action-form button[name=action]", "els => els.map(e => e.value)")
    action = next((a for a in ("accept", "start", "dispatch", "close") if a in actions), None)
    assert action, f"the street cadre has no simple action on {href}: {actions}"

    ctx.set_offline(True)
    page.goto(server_url + href)  # from the kept copy: its version is the one seen before
    page.click(f"#action-form button[name=action][value={action}]")
    _poll(page, "window.gongzhiOffline.items().then(x => x.length === 1)")

    # meanwhile, online elsewhere, the request changes (another cadre acts on it)
    other = browser.new_context(locale="zh-CN")
    op = other.new_page()
    login(op, server_url, "street")  # the same cadre on another device, online
    op.goto(server_url + href)
    op.click(f"#action-form button[name=action][value={action}]")
    op.wait_for_load_state()
    other.close()

    ctx.set_offline(False)
    page.evaluate("window.gongzhiOffline.flush()")
    _poll(page, "window.gongzhiOffline.items().then(x => x.length === 1 && x[0].state !== 'waiting')")
    item = _queue(page)[0]
    assert item["state"] in ("conflict", "refused") and item["message"]
    page.reload()
    assert page.locator("#offline-queue [data-state]").first.get_attribute("data-state") in ("conflict", "refused")
    ctx.close()
