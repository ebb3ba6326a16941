"""Slow clients against `gongzhi serve`: gthread (the old default) vs gevent (the default now).

For each worker class: serve on a scratch SQLite database (2 workers), open N sockets that send
headers announcing a 100 kB body and then stall, and time GET /healthz from a well-behaved client
(timeout 10 s). Prints, per class and N, the p50/max latency of 5 probes or how many timed out.

    .venv/bin/python bench/bench_slow_clients.py [--stalled 8,64,512]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(var: Path, worker_class: str) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONGZHI_", "DJANGO_"))}
    env.update(GONGZHI_VAR_DIR=str(var), DATABASE_URL="")
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gongzhi.cli",
            "serve",
            "--port",
            str(port),
            "--no-worker",
            "--workers",
            "2",
            "--worker-class",
            worker_class,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=5).read()
            # Both workers warm (the app loads on each worker's first request).
            for _ in range(6):
                urllib.request.urlopen(url + "/login/", timeout=10).read()
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"{worker_class}: server did not start")


def probe(url: str, port: int, stalled: int) -> str:
    socks = []
    for _ in range(stalled):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(
            b"POST /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 100000\r\n\r\nusername=a"
        )
        socks.append(s)
    time.sleep(1)
    times, failed = [], 0
    for _ in range(5):
        started = time.perf_counter()
        try:
            urllib.request.urlopen(url + "/healthz", timeout=10).read()
            times.append(time.perf_counter() - started)
        except OSError:
            failed += 1
    for s in socks:
        s.close()
    time.sleep(1)
    if not times:
        return "5/5 probes timed out (10 s)"
    times.sort()
    return f"p50 {times[len(times) // 2] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms" + (
        f", {failed}/5 timed out" if failed else ""
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stalled", default="8,64,512")
    args = parser.parse_args()
    counts = [int(n) for n in args.stalled.split(",")]
    var = Path(tempfile.mkdtemp(prefix="gongzhi-slow-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONGZHI_", "DJANGO_"))}
    env.update(GONGZHI_VAR_DIR=str(var), DATABASE_URL="")
    subprocess.run([sys.executable, "-m", "gongzhi.cli", "migrate", "--noinput", "-v0"], env=env, check=True)
    for worker_class in ("gthread", "gevent"):
        proc, url = serve(var, worker_class)
        port = int(url.rsplit(":", 1)[1])
        try:
            for n in counts:
                print(
                    f"{worker_class:8} 2 workers, {n:4} stalled bodies: GET /healthz {probe(url, port, n)}", flush=True
                )
        finally:
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
