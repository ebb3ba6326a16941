"""The entry page's inclusion proof, checked in Chromium (issue 19 item 8): ``ledger-proof.js`` on a real
proof, a withheld entry's marker and a tampered proof, and its verifier on the RFC 6962 test vectors;
and the API docs page running from vendored Swagger UI with no other host (the platform runs offline).

The server is ``gongzhi serve`` on a fresh SQLite database holding a few signed entries (no demo)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("GONGZHI_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
TESTDATA = Path("/work/shared/data/merkle/testdata")
if not TESTDATA.is_dir():
    TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "merkle" / "testdata"

if not Path(CHROMIUM).exists():
    pytestmark = [pytestmark, pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}")]

SETUP = """
import uuid
from datetime import UTC, datetime
import django
django.setup()
from gongzhi.core.actors import SYSTEM
from gongzhi.ledger import services
from gongzhi.ledger.services import LedgerEvent
events = [
    LedgerEvent(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"browser-{i}"),
        type="cases.request.accept",
        occurred_at=datetime(2026, 12, 6, 20, 27, tzinfo=UTC),
        aggregate_type="request",
        aggregate_id=f"R{i}",
        payload={},
    )
    for i in range(13)
]
services.append_events(events, sign=True)
services.withhold(SYSTEM, [6], reason="personal_data")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server_url():
    var = Path(tempfile.mkdtemp(prefix="gongzhi-ledger-pages-"))
    env = dict(
        os.environ,
        GONGZHI_VAR_DIR=str(var),
        DATABASE_URL="",
        GONGZHI_TASKS="immediate",
        DJANGO_SETTINGS_MODULE="gongzhi.settings",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.pop("GONGZHI_LEDGER_KEY", None)
    cli = [sys.executable, "-m", "gongzhi.cli"]
    subprocess.run([*cli, "migrate", "--noinput", "-v0"], env=env, check=True)
    subprocess.run([sys.executable, "-c", SETUP], env=env, check=True)
    port = _free_port()
    log = open(var / "server.log", "w")
    proc = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", "1", "--no-worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/ledger/checkpoint", timeout=2)
            break
        except Exception:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError("server did not start:\n" + (var / "server.log").read_text()[-3000:]) from None
            time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    shutil.rmtree(var, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server_url):
    ctx = browser.new_context(locale="zh-CN")
    pg = ctx.new_page()
    pg.set_default_timeout(30000)
    problems: list[str] = []
    pg.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" and "Content Security Policy" in m.text else None,
    )
    yield pg
    ctx.close()
    assert not problems, "blocked by the content security policy:\n" + "\n".join(problems)


def _result(pg) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        result = pg.evaluate("document.getElementById('proof-status').dataset.result")
        if result not in ("pending", None):
            return result
        time.sleep(0.1)
    raise TimeoutError("the proof check did not finish")


def test_a_real_proof_is_verified_in_the_browser(page, server_url):
    page.goto(server_url + "/ledger/")
    assert page.locator("#cp-size").inner_text() == "13"
    page.click("#entries a >> text='5'")
    assert page.url.endswith("/ledger/entries/5/")
    assert _result(page) == "verified"
    assert "已验证" in page.locator("#proof-status").inner_text()


def test_filter_by_kind_and_find_a_receipt(page, server_url):
    page.goto(server_url + "/ledger/")
    page.select_option("select[name=kind]", "cases.request.accept")  # submits on change (app.js)
    page.wait_for_url("**kind=cases.request.accept**")
    assert page.locator("#entries a").count() == 13
    page.select_option("select[name=kind]", "cases.request.submit")
    page.wait_for_url("**kind=cases.request.submit**")
    assert page.locator("#entries a").count() == 0
    receipt = "ab04a2c5-0000-5000-8000-000000000000"  # not in the log
    page.fill("#receipt-search input[name=q]", receipt)
    page.click("#receipt-search button")
    assert page.locator("#not-found").is_visible()


def test_a_withheld_entry_still_verifies(page, server_url):
    page.goto(server_url + "/ledger/entries/6/")
    assert page.locator("#withheld").is_visible()
    assert _result(page) == "verified"


def test_a_tampered_proof_fails(page, server_url):
    def tamper(route):
        response = route.fetch()
        body = response.text()
        start = body.index('<script id="proof-data" type="application/json">') + len(
            '<script id="proof-data" type="application/json">'
        )
        end = body.index("</script>", start)
        data = json.loads(body[start:end])
        first = bytearray(base64.b64decode(data["proof"][0]))
        first[0] ^= 1
        data["proof"][0] = base64.b64encode(bytes(first)).decode()
        route.fulfill(response=response, body=body[:start] + json.dumps(data) + body[end:])

    page.route("**/ledger/entries/3/", tamper)
    page.goto(server_url + "/ledger/entries/3/")
    assert _result(page) == "failed"
    assert "does not match" in page.locator("#proof-detail").inner_text()


def test_tampered_entry_and_checkpoint_fail(page, server_url):
    page.goto(server_url + "/ledger/entries/2/")
    assert _result(page) == "verified"
    outcomes = page.evaluate(
        """async () => {
          const d = JSON.parse(document.getElementById('proof-data').textContent);
          const L = window.gongzhiLedger;
          const run = async (x) => { try { await L.check(x); return 'ok'; } catch (e) { return e.message; } };
          const entry = L.b64decode(d.entry); entry[entry.length - 2] ^= 1;
          const lines = d.checkpoint.split('\\n'); lines[1] = String(d.tree_size + 1);
          return {
            real: await run(d),
            entry: await run({...d, entry: L.b64encode(entry)}),
            index: await run({...d, index: d.index + 1}),
            checkpoint: await run({...d, checkpoint: lines.join('\\n')}),
          };
        }"""
    )
    assert outcomes["real"] == "ok"
    assert "leaf hash" in outcomes["entry"]
    assert outcomes["index"] != "ok" and outcomes["checkpoint"] != "ok"


@pytest.mark.skipif(not TESTDATA.is_dir(), reason="shared Merkle test vectors not available")
def test_the_verifier_agrees_with_the_rfc6962_vectors(page, server_url):
    vectors = []
    for path in sorted((TESTDATA / "inclusion").rglob("*.json")):
        v = json.loads(path.read_text())
        v["name"] = str(path.relative_to(TESTDATA))
        vectors.append(v)
    assert len(vectors) >= 80
    page.goto(server_url + "/ledger/entries/0/")
    results = page.evaluate(
        """async (vectors) => {
          const L = window.gongzhiLedger;
          const b = (x) => x ? L.b64decode(x) : new Uint8Array(0);
          const out = {};
          for (const v of vectors) {
            try {
              await L.verifyInclusion(v.leafIdx, v.treeSize, b(v.leafHash), (v.proof || []).map(b), b(v.root));
              out[v.name] = false;
            } catch (e) { out[v.name] = true; }
          }
          return out;
        }""",
        vectors,
    )
    wrong = [v["name"] for v in vectors if results[v["name"]] != v["wantErr"]]
    assert not wrong, wrong


def test_api_docs_load_from_this_site_only(page, server_url):
    hosts = set()
    console: list[str] = []
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.goto(server_url + "/api/v1/docs")
    try:
        page.locator(".swagger-ui .opblock").first.wait_for()
    except Exception:
        raise AssertionError("\n".join(console) + "\n" + page.content()[:3000]) from None
    # Swagger UI draws tags as they scroll into view; the schema it read has every app's operations.
    tags = page.evaluate("window.ui.specSelectors.taggedOperations().keySeq().toJS()")
    assert {"org", "cases", "ledger"} <= set(tags)
    assert hosts == {server_url.split("/")[2]}
