"""Slow clients do not take the server down (issue 17, item 8): `gongzhi serve` as a user runs it,
with sockets that stall before their headers and after headers announcing a large body."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.sqlite_only


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("slow")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONGZHI_", "DJANGO_"))}
    env.update(GONGZHI_VAR_DIR=str(var), DATABASE_URL="", GONGZHI_BODY_READ_TIMEOUT="3")
    cli = [sys.executable, "-m", "gongzhi.cli"]
    subprocess.run([*cli, "migrate", "--noinput", "-v0"], env=env, check=True)
    port = _free_port()
    log = open(var / "serve.log", "w")
    proc = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", "1", "--no-worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(url + "/login/", timeout=5).read()
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError((var / "serve.log").read_text()[-3000:]) from None
            time.sleep(0.5)
    yield port, url
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _stall(port: int, count: int, with_headers: bool) -> list[socket.socket]:
    socks = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        if with_headers:
            s.sendall(
                b"POST /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 100000\r\n\r\nusername=a"
            )
        else:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0")
        socks.append(s)
    return socks


def _timed_get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
        r.read()
    return time.perf_counter() - started


def test_stalled_bodies_and_headers_do_not_block_others(server):
    port, url = server
    # One worker process; 4x more stalled sockets than a gthread worker of 4 threads could hold.
    socks = _stall(port, 16, with_headers=True) + _stall(port, 16, with_headers=False)
    try:
        time.sleep(0.5)
        times = [_timed_get(url + "/healthz") for _ in range(5)]
        assert max(times) < 2.0, times
        assert _timed_get(url + "/login/") < 5.0
    finally:
        for s in socks:
            s.close()


def test_a_stalled_body_is_cut_off(server):
    port, _ = server
    (s,) = _stall(port, 1, with_headers=True)
    s.settimeout(15)
    started = time.monotonic()
    try:
        answer = s.recv(200)
    except OSError:
        answer = b""
    finally:
        s.close()
    # Cut off after GONGZHI_BODY_READ_TIMEOUT (3 s here): a 400 or a closed connection, well before 15 s.
    assert time.monotonic() - started < 12
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400")
