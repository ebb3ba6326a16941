"""Issue 19 item 10 in Chromium: every demo role's pages pass axe-core's WCAG 2.1 A/AA rules with no
serious or critical violation, at a desktop width and a phone width, in Chinese and in English; the
log-in and request forms work from the keyboard in visual order; the skip link reaches the content;
the large-text mode enlarges the text and is remembered, with no sideways scrolling on a phone.

axe-core is vendored under static/vendor/axe-core/ and only these tests (and scripts/screens.py) run
it: it is evaluated through DevTools (page.evaluate), which the pages' content security policy does
not apply to (an injected <script> tag would be blocked as an inline script)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import login

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "src" / "gongzhi" / "static" / "vendor" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
ROLES = ["admin", "district", "street", "street2", "community", "grid", "dept", "auditor", "resident"]

#: Pages not ours to judge: Django's admin and the vendored Swagger UI (the API docs).
SKIP = re.compile(r"^/(admin/|api/v1/docs)")
#: The pages of a role's day that hang off a menu entry's own sub-menu rather than the top menu.
DAY = {
    "grid": ["/requests/inbox/grid/", "/requests/new/", "/requests/mine/", "/requests/bypass/"],
    "street": ["/requests/desk/", "/requests/inbox/pushdowns/"],
    "community": ["/requests/inbox/grid/"],
    "dept": ["/requests/inbox/dept/"],
    "district": ["/requests/hotline/", "/requests/figures/", "/requests/mediation/"],
    "resident": ["/requests/new/", "/requests/simple/", "/requests/mine/"],
}
#: Detail pages: the first link in a visited page's content matching each pattern is visited too.
DETAILS = [
    re.compile(r"^/requests/r/[^/]+/$"),
    re.compile(r"^/org/unit/[^/]+/$"),
    re.compile(r"^/alliances/(?!apply/|inbox/|unit/)[^/]+/$"),
    re.compile(r"^/consult/topics/\d+/$"),
]
#: (language, width, path) already checked in this session: a page another role's test checked at
#: the same width and language is not checked again (homes always are), to keep the run short.
_seen: set[tuple[str, int, str]] = set()

_RUN_AXE = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(" ")),
  }));
}"""


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it stands."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate("() => {" + AXE.read_text(encoding="utf-8") + "\n}")
    return page.evaluate(_RUN_AXE, TAGS)


def describe(where: str, violations: list[dict]) -> str:
    return "\n".join(
        f"{where}: {v['id']} ({v['impact']}) {v['help']}: " + ", ".join(v["targets"][:6]) for v in violations
    )


def _settle(page) -> None:
    """Waits for the page's scripts (maps, charts, htmx loads) to draw before axe looks at it."""
    page.wait_for_load_state("load")
    try:
        page.wait_for_load_state("networkidle", timeout=5000)
    except Exception:
        pass


def scan(browser, base: str, user: str | None, paths: list[str] | None, lang: str, viewport: dict) -> list[str]:
    """Logs in as ``user`` (None: logged out), visits ``paths`` (None: the role's home, menu, day pages
    and detail pages) at ``viewport`` in ``lang``; returns one line per serious or critical violation."""
    ctx = browser.new_context(viewport=viewport, locale="zh-CN")
    if lang != "zh-hans":
        ctx.add_cookies([{"name": "django_language", "value": lang, "url": base}])
    page = ctx.new_page()
    page.set_default_timeout(45000)
    blocked: list[str] = []
    page.on(
        "console",
        lambda m: (
            blocked.append(f"{page.url}: {m.text}")
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    problems: list[str] = []
    try:
        if user:
            login(page, base, user)
        details = False
        if paths is None:
            details = True
            hrefs = page.eval_on_selector_all("#site-nav a", "els => els.map(e => e.getAttribute('href'))")
            paths = ["/", *(h for h in hrefs if h.startswith("/") and not SKIP.match(h)), *DAY.get(user or "", [])]
        queue = list(dict.fromkeys(paths))
        wanted = list(DETAILS) if details else []
        while queue:
            path = queue.pop(0)
            key = (lang, viewport["width"], path)
            if path != "/" and key in _seen:
                continue
            _seen.add(key)
            resp = page.goto(base + path)
            assert resp and resp.status < 400, f"{user}: {path} gives {resp and resp.status}"
            _settle(page)
            found = axe_violations(page)
            if found:
                where = f"{user or 'anonymous'} {lang} {viewport['width']}px {path}"
                problems.append(describe(where, found))
            if wanted:
                links = page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))")
                for pattern in list(wanted):
                    hit = next((h for h in links if pattern.match(h.split("?")[0].split("#")[0])), None)
                    if hit:
                        wanted.remove(pattern)
                        queue.append(hit)
    finally:
        ctx.close()
    assert not blocked, "blocked by the content security policy:\n" + "\n".join(blocked)
    return problems


@pytest.mark.parametrize("user", ROLES)
def test_each_role_pages_pass_axe(browser, server_url, user):
    """Each demo role's home, menu pages, day pages and a few detail pages, in Chinese at both widths
    and in English at the phone width (where longer English labels wrap); the home in English on a
    desktop too. The language changes words, not colours, names or landmarks."""
    problems = []
    problems += scan(browser, server_url, user, None, "zh-hans", DESKTOP)
    problems += scan(browser, server_url, user, None, "zh-hans", PHONE)
    problems += scan(browser, server_url, user, None, "en", PHONE)
    problems += scan(browser, server_url, user, ["/"], "en", DESKTOP)
    assert not problems, "axe-core: serious or critical WCAG 2.1 AA violations\n" + "\n".join(problems)


def test_public_pages_pass_axe(browser, server_url):
    """Logged out: the landing page, the log-in page, the request form and the simple (large) mode."""
    paths = ["/", "/login/", "/requests/new/", "/requests/simple/", "/ledger/"]
    problems = []
    for lang in ("zh-hans", "en"):
        for viewport in (DESKTOP, PHONE):
            problems += scan(browser, server_url, None, paths, lang, viewport)
    assert not problems, "axe-core: serious or critical WCAG 2.1 AA violations\n" + "\n".join(problems)


# --- keyboard ---------------------------------------------------------------------------------------

_FIELDS = """(form) => Array.from(document.querySelectorAll(form + " :is(input, select, textarea, button)"))
  .filter(e => e.type !== "hidden" && !e.disabled && !e.closest(".leaflet-container") && e.offsetParent !== null)
  .map(e => e.id || e.name || e.type)"""
_ACTIVE = """() => { const e = document.activeElement; const r = e.getBoundingClientRect();
  return {key: e.id || e.name || e.type, top: r.top + window.scrollY, left: r.left,
          outline: getComputedStyle(e).outlineStyle, map: !!e.closest(".leaflet-container")}; }"""


def _tab_through(page, form: str, first: str) -> list[dict]:
    """Focuses ``first`` and presses Tab until focus leaves ``form``; returns the focused fields in
    order (the map's own controls, which Tab also visits, left out)."""
    page.focus(first)
    seen = [page.evaluate(_ACTIVE)]
    for _ in range(60):
        page.keyboard.press("Tab")
        if not page.evaluate(f"!!document.activeElement.closest({form!r})"):
            break
        here = page.evaluate(_ACTIVE)
        if not here["map"]:
            seen.append(here)
    return seen


def _assert_order(page, form: str, seen: list[dict]) -> None:
    expected = page.evaluate(_FIELDS, form)
    assert [s["key"] for s in seen] == expected, f"Tab order {[s['key'] for s in seen]} != fields {expected}"
    tops = [s["top"] for s in seen]
    assert all(b >= a - 2 for a, b in zip(tops, tops[1:])), f"Tab goes back up the page: {tops}"
    assert all(s["outline"] != "none" for s in seen), f"a focused field shows no focus ring: {seen}"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_login_form_by_keyboard(browser, server_url, viewport):
    ctx = browser.new_context(viewport=viewport, locale="zh-CN")
    page = ctx.new_page()
    page.goto(server_url + "/login/")
    # the first Tab reaches the skip link, which shows itself and leads to the content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')")
    assert page.evaluate("document.activeElement.getBoundingClientRect().top >= 0")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    _assert_order(page, "main form", _tab_through(page, "main form", "#id_username"))
    page.focus("#id_username")
    page.keyboard.type("resident")
    page.keyboard.press("Tab")
    page.keyboard.type("gongzhi-demo")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda u: "/login/" not in u)
    ctx.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_request_form_by_keyboard(browser, server_url, viewport):
    """The request intake form: Tab reaches every field in the order they stand on the page, and Enter
    in a text field sends the form."""
    ctx = browser.new_context(viewport=viewport, locale="zh-CN")
    page = ctx.new_page()
    login(page, server_url, "resident")
    page.goto(server_url + "/requests/new/")
    seen = _tab_through(page, "#request-form", "#id_description")
    _assert_order(page, "#request-form", seen)
    grid = page.evaluate(
        "fetch('/requests/grids.geojson').then(r => r.json()).then(fc => fc.features[0].properties.code)"
    )
    page.focus("#id_description")
    page.keyboard.type("楼道里的灯坏了，晚上看不见路（键盘测试）")
    page.focus("#id_grid")
    page.keyboard.type(grid)
    page.focus("#id_address")
    page.keyboard.type("3号楼2单元")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda u: "/requests/new/" not in u)
    assert "/requests/" in page.url
    ctx.close()


# --- large text ---------------------------------------------------------------------------------------


def test_large_text_mode_in_simple_mode(browser, server_url):
    """The large-text switch in simple mode makes the text at least a quarter larger, fits a phone with
    no sideways scrolling, is remembered on the next page, and switches back."""
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    login(page, server_url, "resident")
    size = "() => parseFloat(getComputedStyle(document.querySelector('main .simple') || document.body).fontSize)"
    wide = "() => document.documentElement.scrollWidth - window.innerWidth"
    page.goto(server_url + "/requests/simple/")
    before = page.evaluate(size)
    toggle = page.locator("button[data-large-text]")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    assert page.evaluate(size) >= 1.25 * before, (before, page.evaluate(size))
    assert page.evaluate(wide) <= 0, "large text scrolls sideways on a phone"
    assert not axe_violations(page), describe("large text /requests/simple/", axe_violations(page))
    # remembered: the next pages open large (the server reads the cookie)
    large = {}
    for path in ("/requests/new/", "/requests/mine/", "/"):
        page.goto(server_url + path)
        assert "large-text" in (page.get_attribute("html", "class") or ""), path
        assert page.evaluate(wide) <= 0, f"large text scrolls sideways on a phone: {path}"
        large[path] = page.evaluate(size)
    page.click("button[data-large-text]")  # the resident's home has the switch too: back to normal
    page.goto(server_url + "/")
    assert "large-text" not in (page.get_attribute("html", "class") or "")
    assert page.evaluate(size) * 1.25 <= large["/"]
    ctx.close()
