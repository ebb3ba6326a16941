"""Intake throughput and p95 latency of the request loop on PostgreSQL, beside
pgbench's simple-insert TPS on the same server in the same run, and the
routing decision time.

What it does:
1. creates a fresh database (``--db``, default ``gongzhi_bench_intake``) on the
   PostgreSQL server of ``--server`` and loads the tiny demo district into it;
2. starts gunicorn (``--workers``) on loopback and issues an API token;
3. runs ``--clients`` client processes for ``--seconds``, each POSTing new
   requests (JSON API, category given, so each is routed by the
   responsibility list and dispatched; each with an Idempotency-Key) over a
   keep-alive connection; reports requests/s and latency percentiles; with
   ``--unprepared-baseline`` the same load again with ``GONGZHI_DB_PREPARE=0`` (the hot
   path's statements not prepared), the baseline of the prepared path in the same run;
4. runs pgbench (if installed) with a one-row INSERT script, the same number
   of clients, for the same time, on the same server: the peer;
5. measures the server-side CPU time of one intake in-process through the WSGI application gunicorn
   serves (the lean route of ``gongzhi.api.fastpath``) and through Django's full stack, and the
   queries each runs: the figures that stay meaningful when the machine is shared; during the
   run itself it reads the CPU used by the gunicorn processes, the PostgreSQL backends serving
   them and the client processes (from /proc and getrusage), per intake;
6. times ``gongzhi.org.responsibility.resolve`` over every (category, grid) pair of the demo:
   the first call after the routing snapshot is dropped (cold), then warm, with the grid given
   and located from a point.

Goals (issue 3): ≥ 500 requests/s and p95 < 50 ms on a 2-core machine; routing < 10 ms.
Run: .venv/bin/python bench/bench_intake.py [--seconds 10 --clients 4 --workers 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def run(cmd, env, **kw):
    return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu(pids) -> float:
    """CPU seconds (user + system) used so far by the given live processes, from /proc."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def gunicorn_pids(master: int) -> list[int]:
    kids = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [master, *map(int, kids)]


def wait_for_http(port: int, proc: subprocess.Popen, log: Path, tail: int = 2000, seconds: float = 240) -> None:
    """Wait until the server started as ``proc`` answers /login/ on ``port``; if it exits or ``seconds`` pass,
    raise with the end of its ``log``."""
    deadline = time.time() + seconds
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2)
            return
        except Exception:
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(log.read_text()[-tail:]) from None
            time.sleep(0.3)


def recreate_db(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def client(args) -> tuple[list[float], int]:
    port, token, seconds, points, seed = args
    rng = np.random.default_rng(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    lat, errors = [], 0
    cats = ["01001", "01005", "02001", "02003", "03001", "04004", "05001", "09001"]
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        lon, la = points[rng.integers(len(points))]
        body = json.dumps(
            {
                "description": "小区门口垃圾堆放多日无人清运",
                "category": cats[rng.integers(len(cats))],
                "lon": lon,
                "lat": la,
                "reporter_phone": "13800001111",
            }
        )
        t0 = time.perf_counter()
        conn.request(
            "POST",
            "/api/v1/cases/requests",
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex,
            },
        )
        r = conn.getresponse()
        r.read()
        lat.append(time.perf_counter() - t0)
        if r.status != 201:
            errors += 1
    conn.close()
    return lat, errors


def cpu_per_request(token: str, grids, n: int) -> dict:
    """Server-side CPU time of one intake through the WSGI application gunicorn serves
    (``gongzhi.wsgi.application``: the lean route for this call, Django for the rest), called
    in-process with the environ a server would build, and the queries it runs: meaningful on a
    loaded machine where wall-clock throughput is not. The same through Django's full stack
    (middleware, URL resolution, the Ninja view) is measured beside it."""
    import io

    from django.db import connection

    from gongzhi.wsgi import application, django_application

    cats = ["01001", "01005", "02001", "02003", "03001", "04004", "05001", "09001"]

    def one(app, i):
        g = grids[i % len(grids)]
        body = json.dumps(
            {
                "description": "小区门口垃圾堆放多日无人清运",
                "category": cats[i % len(cats)],
                "lon": g.centroid_lon,
                "lat": g.centroid_lat,
                "reporter_phone": "13800001111",
            }
        ).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/cases/requests",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "QUERY_STRING": "",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/json",
            "HTTP_AUTHORIZATION": f"Bearer {token}",
            "HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex,
        }
        status = []
        b"".join(app(environ, lambda s, h, e=None: status.append(s)))
        assert status[0].startswith("201"), status

    out = {"n": n}
    for label, app in (("lean", application), ("django", django_application)):
        for i in range(20):
            one(app, i)
        sql = []

        def count(execute, query, params, many, context, sql=sql):
            sql.append(query)
            return execute(query, params, many, context)

        with connection.execute_wrapper(count):
            one(app, 0)
        t0, w0 = time.process_time(), time.perf_counter()
        for i in range(n):
            one(app, i)
        out[label] = {
            "cpu_ms": (time.process_time() - t0) / n * 1000,
            "wall_ms": (time.perf_counter() - w0) / n * 1000,
            "queries": len(sql),
        }
    return out


def routing_bench(grids) -> dict:
    """resolve() over every (category, grid) pair of the demo district: the first call after the snapshot
    is dropped (cold: includes building it), then every pair cold-cache and warm."""
    from gongzhi.org import responsibility
    from gongzhi.org.models import MatterCategory

    cats = list(MatterCategory.objects.filter(code__regex=r"^\d{5}$").values_list("code", flat=True))
    pairs = [(c, g) for g in grids for c in cats]
    out = {"pairs": len(pairs)}
    colds = []
    for _ in range(5):
        responsibility.invalidate()
        t1 = time.perf_counter()
        responsibility.resolve(pairs[0][0], grid=pairs[0][1])
        colds.append((time.perf_counter() - t1) * 1000)
    out["cold_ms"] = float(np.median(colds))
    for label in ("warm", "warm_point"):
        times = []
        for c, g in pairs:
            t1 = time.perf_counter()
            if label == "warm":
                responsibility.resolve(c, grid=g)
            else:
                responsibility.resolve(c, lon=g.centroid_lon, lat=g.centroid_lat)
            times.append((time.perf_counter() - t1) * 1000)
        out[label] = {"p50": np.percentile(times, 50), "p95": np.percentile(times, 95)}
    return out


def run_load(args, env: dict, var: Path, token: str, points, connection) -> dict:
    """Start gunicorn with ``env``, warm it, run the client processes for ``--seconds``; requests/s,
    latency percentiles and the CPU each side used per intake."""
    port = free_port()
    log = open(var / "gunicorn.log", "w")
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "gongzhi.wsgi",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "--keep-alive",
            "30",
            "--threads",
            str(args.threads),
            "--timeout",
            "180",
        ],  # a loaded shared machine boots workers slowly
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    try:
        wait_for_http(port, proc, var / "gunicorn.log")
        # Warm every worker (imports, connections, grid index).
        with mp.Pool(args.clients) as pool:
            pool.map(client, [(port, token, 1.0, points, 100 + i) for i in range(args.clients)])
        with connection.cursor() as cur:  # the PostgreSQL backends serving the gunicorn workers
            cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [args.db])
            backends = [r[0] for r in cur.fetchall()]
        workers = gunicorn_pids(proc.pid)
        cpu0 = (proc_cpu(workers), proc_cpu(backends), resource.getrusage(resource.RUSAGE_CHILDREN))
        t0 = time.perf_counter()
        with mp.Pool(args.clients) as pool:
            out = pool.map(client, [(port, token, args.seconds, points, i) for i in range(args.clients)])
        wall = time.perf_counter() - t0
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        split = {
            "gunicorn": proc_cpu(workers) - cpu0[0],
            "postgres": proc_cpu(backends) - cpu0[1],
            "clients": (ru.ru_utime + ru.ru_stime) - (cpu0[2].ru_utime + cpu0[2].ru_stime),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    lats = np.concatenate([np.array(o[0]) for o in out]) * 1000
    return {
        "n": len(lats),
        "rps": len(lats) / wall,
        "p50": np.percentile(lats, 50),
        "p95": np.percentile(lats, 95),
        "p99": np.percentile(lats, 99),
        "errors": sum(o[1] for o in out),
        "split": {k: v / len(lats) * 1000 for k, v in split.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default=os.environ.get("BENCH_PG", "postgresql://127.0.0.1:5432"))
    ap.add_argument("--db", default="gongzhi_bench_intake")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="gunicorn threads per worker (> 1: the gthread worker, which keeps connections alive)",
    )
    ap.add_argument(
        "--unprepared-baseline",
        action="store_true",
        help="run the load a second time with GONGZHI_DB_PREPARE=0 (statements not prepared): the "
        "baseline of the prepared hot path, in the same run",
    )
    ap.add_argument("--cpu-requests", type=int, default=300, help="intakes timed in-process for CPU/request")
    args = ap.parse_args()
    console = Console()
    var = Path(tempfile.mkdtemp(prefix="gongzhi-bench-intake-"))
    db_url = f"{args.server}/{args.db}"
    env = dict(
        os.environ,
        DATABASE_URL=db_url,
        GONGZHI_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="gongzhi.settings",
        GONGZHI_TASKS="database",
    )
    cli = [sys.executable, "-m", "gongzhi.cli"]
    results = {}
    try:
        with Progress(console=console, transient=True) as bar:
            t = bar.add_task("database + tiny demo district", total=None)
            recreate_db(args.server, args.db)
            run([*cli, "migrate", "--noinput", "-v0"], env)
            run([*cli, "demo", "--scale", "tiny", "--seed", "1", "-v0"], env)
            token = run([*cli, "token", "admin", "bench"], env).stdout.strip().splitlines()[-1]
            # Points inside the district's grids.
            os.environ.update(DATABASE_URL=db_url, GONGZHI_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="gongzhi.settings")
            import django

            django.setup()
            from django.db import connection

            from gongzhi.org.models import Grid

            grids = list(Grid.objects.all())
            points = [(g.centroid_lon, g.centroid_lat) for g in grids]
            runs = [("intake", {})]
            if args.unprepared_baseline:
                runs.append(("intake_unprepared", {"GONGZHI_DB_PREPARE": "0"}))
            for key, extra in runs:
                bar.update(t, description=f"{key}: {args.clients} clients × {args.seconds:.0f} s")
                results[key] = run_load(args, dict(env, **extra), var, token, points, connection)
            if shutil.which("pgbench"):
                bar.update(t, description="pgbench simple insert")
                with connection.cursor() as cur:
                    cur.execute("DROP TABLE IF EXISTS bench_intake_peer")
                    cur.execute(
                        "CREATE TABLE bench_intake_peer (id bigserial primary key, k int, t text, "
                        "at timestamptz default now())"
                    )
                script = var / "insert.sql"
                script.write_text(
                    "\\set k random(1, 1000000)\nINSERT INTO bench_intake_peer (k, t) VALUES (:k, 'x');\n"
                )
                r = subprocess.run(
                    [
                        "pgbench",
                        "-n",
                        "-f",
                        str(script),
                        "-c",
                        str(args.clients),
                        "-j",
                        str(min(args.clients, 2)),
                        "-T",
                        str(int(args.seconds)),
                        db_url,
                    ],
                    capture_output=True,
                    text=True,
                )
                tps = next(
                    (float(line.split("=")[1].split()[0]) for line in r.stdout.splitlines() if line.startswith("tps")),
                    None,
                )
                results["pgbench"] = tps
            bar.update(t, description="server CPU per intake (in-process)")
            results["cpu"] = cpu_per_request(token, grids, args.cpu_requests)
            bar.update(t, description="routing decisions")
            results.update(routing_bench(grids))
            connection.close()
    finally:
        shutil.rmtree(var, ignore_errors=True)
    i = results["intake"]
    table = Table(
        title=f"Intake on PostgreSQL: {args.clients} client processes, {args.workers} gunicorn workers × "
        f"{args.threads} threads, "
        f"{args.seconds:.0f} s"
    )
    for c in ("measure", "value", "goal"):
        table.add_column(c)
    table.add_row("requests created", f"{i['n']:,} ({i['errors']} errors)", "")
    table.add_row("intake requests/s", f"{i['rps']:.0f}", "≥ 500")
    table.add_row("latency p50 / p95 / p99 (ms)", f"{i['p50']:.1f} / {i['p95']:.1f} / {i['p99']:.1f}", "p95 < 50")
    sp = i["split"]
    table.add_row(
        "CPU per intake during the run: gunicorn / PostgreSQL backends / clients (ms)",
        f"{sp['gunicorn']:.2f} / {sp['postgres']:.2f} / {sp['clients']:.2f}",
        "",
    )
    if "intake_unprepared" in results:
        u = results["intake_unprepared"]
        table.add_row(
            "baseline, same run: statements not prepared (GONGZHI_DB_PREPARE=0), requests/s",
            f"{u['rps']:.0f} ({u['errors']} errors); prepared ÷ not {i['rps'] / u['rps']:.2f}",
            "",
        )
        table.add_row("  its latency p50 / p95 / p99 (ms)", f"{u['p50']:.1f} / {u['p95']:.1f} / {u['p99']:.1f}", "")
        sp = u["split"]
        table.add_row(
            "  its CPU per intake: gunicorn / PostgreSQL backends / clients (ms)",
            f"{sp['gunicorn']:.2f} / {sp['postgres']:.2f} / {sp['clients']:.2f}",
            "",
        )
    if results.get("pgbench"):
        table.add_row("pgbench one-row INSERT TPS (peer)", f"{results['pgbench']:.0f}", "")
        table.add_row("intake ÷ pgbench", f"{i['rps'] / results['pgbench']:.3f}", "")
    cpu = results["cpu"]
    for label, name in (("lean", "WSGI application (lean route)"), ("django", "Django's full stack")):
        c = cpu[label]
        table.add_row(
            f"server CPU per intake in-process, {name}, {cpu['n']} requests",
            f"{c['cpu_ms']:.2f} ms CPU ({c['wall_ms']:.2f} ms wall), {c['queries']} queries",
            "",
        )
    table.add_row(
        "  ⇒ intake/s one core could serve (1000 ÷ lean CPU ms, Python side only)",
        f"{1000 / cpu['lean']['cpu_ms']:.0f}",
        "",
    )
    table.add_row("routing snapshot build (first resolve() after a change)", f"{results['cold_ms']:.1f} ms", "")
    for label, name in (("warm", "grid given"), ("warm_point", "located from lon/lat")):
        r = results[label]
        table.add_row(
            f"routing decision resolve(), {name}, {results['pairs']} pairs p50 / p95 (ms)",
            f"{r['p50']:.3f} / {r['p95']:.3f}",
            "< 10",
        )
    load = os.getloadavg()
    table.add_row("load average (1/5/15 min) at the end", f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}", "")
    console.print(table)


if __name__ == "__main__":
    main()
