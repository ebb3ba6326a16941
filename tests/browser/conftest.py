"""Browser tests: Playwright for Python driving Debian's Chromium against the
real server (gunicorn, `gongzhi serve`) on a fresh SQLite database loaded with
the demo district."""

from __future__ import annotations

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

CHROMIUM = os.environ.get("GONGZHI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
DEMO_PASSWORD = "gongzhi-demo"


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"Chromium not found at {CHROMIUM} (CI must install Debian's chromium)")
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server_url():
    var = Path(tempfile.mkdtemp(prefix="gongzhi-browser-"))
    env = dict(
        os.environ,
        GONGZHI_VAR_DIR=str(var),
        DATABASE_URL="",
        GONGZHI_TASKS="immediate",
        DJANGO_SETTINGS_MODULE="gongzhi.settings",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    cli = [sys.executable, "-m", "gongzhi.cli"]
    subprocess.run([*cli, "migrate", "--noinput", "-v0"], env=env, check=True)
    subprocess.run([*cli, "demo", "--seed", "1", "-v0"], env=env, check=True, stdout=subprocess.DEVNULL)
    port = _free_port()
    log = open(var / "server.log", "w")
    proc = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", "2", "--no-worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/login/", timeout=2)
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


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _poll(pg, expression: str, arg=None, timeout: float | None = None):
    deadline = time.monotonic() + (timeout if timeout is not None else 45000) / 1000
    from playwright.sync_api import Error

    problem = None
    while True:
        try:
            value = pg.evaluate(expression, arg) if arg is not None else pg.evaluate(expression)
        except Error as exc:  # the element is not there yet, or the page is navigating
            value, problem = None, exc
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"timed out waiting for {expression!r}" + (f" (last error: {problem})" if problem else "")
            )
        time.sleep(0.1)


@pytest.fixture
def page(browser, server_url):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(45000)  # a shared CI machine can be slow; waits end as soon as the page is ready
    # Every page of every browser test runs under the content security policy: a script or style it
    # blocks (an inline handler, a script without the nonce) fails the test that met it.
    blocked: list[str] = []
    pg.on(
        "console",
        lambda m: (
            blocked.append(f"{pg.url}: {m.text}") if m.type == "error" and "Content Security Policy" in m.text else None
        ),
    )
    # Playwright's wait_for_function polls by evaluating its string in the page, which the policy's
    # script-src (no 'unsafe-eval') forbids; poll with evaluate(), which runs through DevTools instead.
    pg.wait_for_function = lambda expression, arg=None, timeout=None, **_: _poll(pg, expression, arg, timeout)
    yield pg
    ctx.close()
    assert not blocked, "blocked by the content security policy:\n" + "\n".join(blocked)


def login(page, server_url, username, password=DEMO_PASSWORD):
    page.goto(server_url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login/" not in u)


@pytest.fixture
def logged_in(page, server_url):
    """Returns a function: logged_in("street") logs the page in as that demo user and returns the page."""

    def go(username="admin"):
        login(page, server_url, username)
        return page

    return go
