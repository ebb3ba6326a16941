"""Issue 19 item 6: every page reachable from each role's menu speaks the viewer's language.

For each demo log-in the crawl opens every menu link and, from each menu page, one detail page of
each kind it links to (a request, a unit, an alliance, a topic, a plan goal…), in English and in
Chinese. It reads only interface text — the menu, headings, labels, buttons, table headers,
messages, legends, captions, and the placeholder, title and aria-label attributes — and skips what
a template marks as data with the standard ``translate="no"`` attribute (names of places and
persons, request text, anything a user typed). In English it fails on Chinese characters there; in
Chinese it fails on raw message keys (``cases.request.submit``), file paths (``docs/cases.md``) and
bare codes ("grid community street").
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest

from .conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

ROLES = ["admin", "district", "street", "street2", "community", "grid", "dept", "auditor", "resident"]

# The interface text of a page: [where, text] pairs. Text inside translate="no" (data) is left out,
# and so are the language switcher's options (each language's own name).
READ_INTERFACE = """(everywhere) => {
  // Data: what a template marks translate="no", literal computer text (code, kbd, samp: a command, a
  // query key to type), form values, and charts (their generated description reads out the data).
  const DATA = '[translate="no"], code, kbd, samp, script, style, template, select, textarea, [hidden], [_echarts_instance_]';
  const out = [];
  const text = el => {
    const c = el.cloneNode(true);
    c.querySelectorAll(DATA).forEach(n => n.remove());
    return c.textContent.replace(/\\s+/g, ' ').trim();
  };
  let SEL = 'nav, h1, h2, h3, h4, label, button, th, .messages, legend, caption, summary';
  // In Chinese a raw key or a file path is wrong anywhere, in data cells and paragraphs too.
  if (everywhere) SEL += ', main p, main td, main li, main dd, main dt, main span';
  // A checkbox or radio choice whose value is a record (an id, a unit code) is data; one whose value is
  // a code word (a choice of the model: "general", "street") is interface text.
  const dataChoice = el => {
    const input = el.querySelector('input[type=checkbox], input[type=radio]');
    return el.tagName === 'LABEL' && input && !/^[a-z_]+$/.test(input.value);
  };
  for (const el of document.querySelectorAll(SEL)) {
    if (el.closest(DATA) || dataChoice(el)) continue;
    const t = text(el);
    if (t) out.push([el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''), t]);
  }
  for (const attr of ['placeholder', 'title', 'aria-label']) {
    for (const el of document.querySelectorAll('[' + attr + ']')) {
      if (el.closest(DATA)) continue;
      const t = (el.getAttribute(attr) || '').trim();
      if (t) out.push([el.tagName.toLowerCase() + '@' + attr, t]);
    }
  }
  return out;
}"""

LINKS = """() => Array.from(document.querySelectorAll('main a[href]')).map(a => a.getAttribute('href'))"""
MENU = """() => Array.from(document.querySelectorAll('#site-nav a[href]')).map(a => a.getAttribute('href'))"""

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
RAW_KEY = re.compile(r"\b[a-z_]+\.[a-z_]+(?:\.[a-z_]+)*\b")
DOC_PATH = re.compile(r"\bdocs/[\w/.-]+\.md\b")
BARE_CODES = re.compile(
    r"\b(?:grid|community|street|district|department|city)(?:\s+(?:grid|community|street|district|department|city)){1,}\b"
)
# Things that look like keys but are interface text in both languages: file names, host names.
KEY_ALLOWED = re.compile(
    r"^(?:[\w-]+\.(?:csv|xlsx|pdf|json|geojson|png|jpg|md|txt|zip|webmanifest|js)|e\.g|i\.e|pol\.is)$"
)

# Paths never opened: downloads, log-out, the API and its docs, static files, feeds.
SKIP_PATH = re.compile(
    r"^/(?:static|media|api|i18n|logout|admin|sw\.js|manifest\.webmanifest|ledger/tile|ledger/checkpoint)"
    r"|\.(?:csv|xlsx|pdf|json|geojson|xml|txt|zip|png|svg)$|/(?:export|download|pdf|xlsx|csv)/?$"
)
DETAILS_PER_KIND = 1
# A guard, not a target: on a loaded 2-core machine the English pass took about 4 minutes, the Chinese 2.
MAX_SECONDS = 420


def _kind(path: str) -> str:
    """A page's kind: its path with numbers, codes and tokens replaced (one page opened per kind)."""
    return re.sub(r"/[^/]*\d[^/]*(?=/|$)", "/<id>", path)


def _same_site(href: str, base: str) -> str | None:
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
        return None
    parts = urlsplit(href)
    if parts.netloc and parts.netloc != urlsplit(base).netloc:
        return None
    path = parts.path or "/"
    if SKIP_PATH.search(path):
        return None
    return path + (("?" + parts.query) if parts.query else "")


def _problems(lang: str, items: list[list[str]]) -> list[str]:
    out = []
    for where, text in items:
        if lang == "en":
            if CJK.search(text):
                out.append(f"{where}: {text[:160]}")
        else:
            keys = [
                m.group()
                for m in RAW_KEY.finditer(text)
                if not KEY_ALLOWED.match(m.group())
                # part of an address (a host name, a path, a URL) is not a message key
                and text[m.end() : m.end() + 1] != "/"
                and text[max(m.start() - 1, 0) : m.start()] not in ("/", ":", "@")
            ]
            found = keys + DOC_PATH.findall(text) + BARE_CODES.findall(text)
            if found:
                out.append(f"{where}: {found} in {text[:160]}")
    return out


def _crawl(browser, server_url: str, lang: str, deadline: float) -> dict[str, list[str]]:
    """Every page the roles' menus reach (and one detail page of each kind): {url: problems}."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    found: dict[str, list[str]] = {}
    seen_kinds: set[str] = set()
    seen_menu: set[str] = set()  # a page the menus of several roles link to is read once (the home page per role)
    host = urlsplit(server_url).hostname
    for role in ROLES:
        ctx = browser.new_context(locale="zh-CN" if lang == "zh-hans" else "en-US")
        ctx.add_cookies([{"name": "django_language", "value": lang, "domain": host, "path": "/"}])
        # Maps' tiles and images tell nothing about the text: not fetched.
        ctx.route(re.compile(r".*\.(?:png|jpg|jpeg|svg|woff2?)(\?.*)?$"), lambda r: r.abort())
        page = ctx.new_page()
        page.set_default_timeout(60000)
        page.goto(server_url + "/login/")
        page.fill("#id_username", role)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda u: "/login/" not in u)

        def visit(path: str, role=role, page=page) -> list[str]:
            try:
                resp = page.goto(server_url + path, wait_until="domcontentloaded")
            except PlaywrightTimeout:
                found[f"{role} {path}"] = ["did not load in time"]
                return found[f"{role} {path}"]
            status = resp.status if resp else 0
            problems = _problems(lang, page.evaluate(READ_INTERFACE, lang != "en"))
            if status >= 400:
                problems.append(f"HTTP {status}")
            if problems:
                found[f"{role} {path}"] = problems
            return problems

        visit("/")
        menu = []
        for href in page.evaluate(MENU):
            path = _same_site(href, server_url)
            if path and path not in menu:
                menu.append(path)
        for path in menu:
            if time.monotonic() > deadline:
                break
            if path in seen_menu or path == "/":
                continue
            seen_menu.add(path)
            visit(path)
            details = []
            for href in page.evaluate(LINKS):
                d = _same_site(href, server_url)
                if not d or d in menu:
                    continue
                k = _kind(urlsplit(d).path)
                if k in seen_kinds:
                    continue
                seen_kinds.add(k)
                details.append(d)
            for d in details:
                if time.monotonic() > deadline:
                    break
                visit(d)
        ctx.close()
    return found


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_every_menu_page_speaks_the_language(browser, server_url, lang):
    deadline = time.monotonic() + MAX_SECONDS
    found = _crawl(browser, server_url, lang, deadline)
    assert time.monotonic() <= deadline, "the crawl ran out of time before it reached every page"
    report = "\n".join(f"{url}\n    " + "\n    ".join(p) for url, p in sorted(found.items()))
    what = "Chinese interface text in English" if lang == "en" else "raw keys or codes in Chinese"
    assert not found, f"{what} on {len(found)} pages:\n{report}"
