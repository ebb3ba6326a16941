"""Screenshots of each demo role's home page, for docs/screens/ (linked from the README).

    .venv/bin/python scripts/screens.py                 # a fresh demo district on a scratch SQLite file
    .venv/bin/python scripts/screens.py --url http://127.0.0.1:8000   # an already running demo server

Starts `gongzhi serve` on a scratch var directory loaded with `gongzhi demo --seed 1` (unless --url is
given), opens Debian's Chromium with Playwright, logs in as each demo user and saves the home page in
Chinese at 1366×768 (<role>-desktop.png) and 390×844 (<role>-phone.png), plus the logged-out landing
page. Each file is the visible window (not the whole page), colour-reduced to keep it small.

Needs a Chinese font for Chromium (else the text shows as boxes): `apt-get install fonts-wqy-microhei`."""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("GONGZHI_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PASSWORD = "gongzhi-demo"
ROLES = ["admin", "district", "street", "street2", "community", "grid", "dept", "auditor", "resident"]
SIZES: dict[str, Any] = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(var: Path) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, GONGZHI_VAR_DIR=str(var), DATABASE_URL="", GONGZHI_TASKS="immediate")
    cli = [sys.executable, "-m", "gongzhi.cli"]
    subprocess.run([*cli, "migrate", "--noinput", "-v0"], env=env, check=True)
    subprocess.run([*cli, "demo", "--seed", "1", "-v0"], env=env, check=True, stdout=subprocess.DEVNULL)
    port = _free_port()
    log = open(var / "server.log", "w")
    proc = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", "2", "--no-worker"], env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(url + "/login/", timeout=2)
            return proc, url
        except Exception:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise SystemExit("the server did not start:\n" + (var / "server.log").read_text()[-3000:]) from None
            time.sleep(0.5)


def save(png: bytes, path: Path) -> int:
    """Writes the screenshot reduced to a 256-colour palette (text and flat colours survive it)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(path, format="PNG", optimize=True)
    return path.stat().st_size


def settle(page: Any) -> None:
    page.wait_for_load_state("load")
    try:
        page.wait_for_load_state("networkidle", timeout=8000)
    except Exception:
        pass
    page.wait_for_timeout(300)  # charts' entry animations


def shoot(url: str, out: Path) -> list[tuple[str, int]]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for role in ["landing", *ROLES]:
            for size, viewport in SIZES.items():
                ctx = browser.new_context(viewport=viewport, locale="zh-CN", device_scale_factor=1)
                page = ctx.new_page()
                if role != "landing":
                    page.goto(url + "/login/")
                    page.fill("#id_username", role)
                    page.fill("#id_password", PASSWORD)
                    page.click("button[type=submit]")
                    page.wait_for_url(lambda u: "/login/" not in u)
                page.goto(url + "/")
                settle(page)
                path = out / f"{role}-{size}.png"
                written.append((path.name, save(page.screenshot(), path)))
                ctx.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running demo server (default: start one on a scratch database)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screens"), help="where to write the PNG files")
    opts = parser.parse_args()
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    if not fonts.strip():
        raise SystemExit("no Chinese font: apt-get install fonts-wqy-microhei (the screenshots would show boxes)")
    proc = var = None
    url = opts.url
    try:
        if not url:
            var = Path(tempfile.mkdtemp(prefix="gongzhi-screens-"))
            proc, url = start_server(var)
        written = shoot(url.rstrip("/"), Path(opts.out))
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=20)
        if var:
            shutil.rmtree(var, ignore_errors=True)
    total = 0
    for name, size in written:
        total += size
        print(f"{name}\t{size // 1024} KB")
    print(f"{len(written)} files, {total // 1024} KB")


if __name__ == "__main__":
    main()
