"""Intake on PostgreSQL end to end: filings/s with every background worker running, and the time from a
filing's commit to each subscriber's effect; beside pgbench with a comparable transaction, the CPU per
filing, and the routing decision time.

What it does:
1. creates a fresh database (``--db``, default ``gongzhi_bench_intake``) on the PostgreSQL server of
   ``--server``, loads the tiny demo district and issues an API token;
2. **end to end** (``--runs end-to-end``): ``gongzhi serve`` as deployed — gunicorn (``--workers``) and
   the task workers of the default layout (``ledger`` / ``dispatch`` / ``periodic,default``) and the
   scheduler; ``--clients`` client processes POST new requests (JSON API, category given, so each is
   routed and dispatched; each with an Idempotency-Key) over keep-alive connections for ``--seconds``
   (the goal: 300), sampling every subscriber's backlog each second; then waits until every subscriber
   has caught up. Reports filings/s, and per subscriber p50/p95/max of the time from the event (written
   in the filing's transaction) to the commit of the delivery batch that handed it over, which commits
   the subscriber's effect with it: the ledger's leaf in a signed checkpoint, the command centre's
   rollups, the pool need raised, the burden meter's items (``core.DeliveryBatch``);
3. **outbox only** (``--runs outbox``): gunicorn alone, no worker: the rate of filings committed to the
   outbox (the figure reported before end to end was measured); with ``--unprepared-baseline`` the same
   with ``GONGZHI_DB_PREPARE=0``;
4. the peer: pgbench with the same number of clients, each transaction writing one filing's rows (1
   request, 3 transitions, 3 outbox events, copied from real rows into tables ``LIKE`` the real ones),
   for ``--pgbench-seconds``; its TPS and the CPU per transaction of its backends and of pgbench;
5. the server-side CPU time of one filing in-process through the WSGI application gunicorn serves
   (the lean route of ``gongzhi.api.fastpath``) and through Django's full stack, and the queries each
   runs: the figures that stay meaningful when the machine is shared;
6. times ``gongzhi.org.responsibility.resolve`` over every (category, grid) pair of the demo:
   the first call after the routing snapshot is dropped (cold), then warm, with the grid given
   and located from a point.

Goals (issue 24): ≥ 500 filings/s sustained for 5 minutes with every subscriber's p95 lag under 5 s.
Run: .venv/bin/python bench/bench_intake.py [--seconds 300 --clients 4 --workers 4 --runs end-to-end,outbox]
"""

from __future__ import annotations

import argparse
import contextlib
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
        t0, w0, pg0 = time.process_time(), time.perf_counter(), backend_pid_cpu(connection)
        for i in range(n):
            one(app, i)
        out[label] = {
            "postgres_ms": (backend_pid_cpu(connection) - pg0) / n * 1000,
            "cpu_ms": (time.process_time() - t0) / n * 1000,
            "wall_ms": (time.perf_counter() - w0) / n * 1000,
            "queries": len(sql),
        }
    return out


def backend_pid_cpu(connection) -> float:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return proc_cpu([cur.fetchone()[0]])


def background_cpu(connection) -> dict:
    """CPU per filing of each subscriber's handling, in-process: the filings just made by
    :func:`cpu_per_request` (no worker was running, so their events wait), handed over subscriber by
    subscriber by ``dispatch_pending``; this process's CPU and its PostgreSQL backend's, and the same
    for the filings themselves, so the whole budget of one filing on this machine can be added up."""
    from gongzhi.cases.models import ServiceRequest
    from gongzhi.core import events

    filings = ServiceRequest.objects.count() - background_cpu.before
    out = {"filings": filings, "subscribers": {}}
    for name in sorted(events.subscribers()):
        py0, pg0 = time.process_time(), backend_pid_cpu(connection)
        handed = events.dispatch_pending([name])
        out["subscribers"][name] = {
            "events": handed,
            "python_ms": (time.process_time() - py0) / max(filings, 1) * 1000,
            "postgres_ms": (backend_pid_cpu(connection) - pg0) / max(filings, 1) * 1000,
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


# What each subscriber's handling means for a user (its effect, committed with its delivery batch).
EFFECTS = {
    "ledger": "leaf in a signed checkpoint",
    "command.rollups": "command-centre rollups updated",
    "resources.pool_from_cases": "pool need raised / cancelled",
    "burden.platform_demands": "burden meter's platform items recorded",
    "resources.pool_from_alliances": "pool needs from alliance lists",
}


def backlogs() -> dict[str, int]:
    """Per subscriber, the events it wants and has not been handed yet."""
    from gongzhi.core import events

    return {name: events.undelivered(name).count() for name in sorted(events.subscribers())}


def delivery_lags(after_seq: int) -> dict[str, np.ndarray]:
    """Per subscriber, for every event after ``after_seq`` it wants: seconds from the event (written in
    the filing's transaction, just before its commit) to the commit of the delivery batch that handed
    it over (the handler's effect commits with it). From ``core.DeliveryBatch``: each batch covers
    ``first_seq``..``last_seq`` except its ``skipped`` runs; batches are taken in the order they were
    delivered, so an event read past before it committed counts from the batch that filled it."""
    from gongzhi.core import events
    from gongzhi.core.models import DeliveryBatch, Event

    out = {}
    for name, sub in sorted(events.subscribers().items()):
        rows = list(
            Event.objects.filter(sub.where(), seq__gt=after_seq).order_by("seq").values_list("seq", "occurred_at")
        )
        if not rows:
            out[name] = np.array([])
            continue
        seqs = np.array([r[0] for r in rows])
        at = np.array([r[1].timestamp() for r in rows])
        done = np.full(len(seqs), np.nan)
        batches = DeliveryBatch.objects.filter(subscriber=name, last_seq__gt=after_seq).order_by("delivered_at", "id")
        for first, last, skipped, when in batches.values_list("first_seq", "last_seq", "skipped", "delivered_at"):
            lo, hi = np.searchsorted(seqs, first), np.searchsorted(seqs, last, side="right")
            if lo == hi:
                continue
            take = np.isnan(done[lo:hi])
            for a, b in skipped or []:
                take &= ~((seqs[lo:hi] >= a) & (seqs[lo:hi] <= b))
            done[lo:hi][take] = when.timestamp()
        lags = done - at
        out[name] = lags[~np.isnan(lags)]
        if np.isnan(done).any():
            out[name + " (never delivered)"] = np.array([np.isnan(done).sum()])
    return out


@contextlib.contextmanager
def serving(env: dict, log_path: Path, *options: str):
    """``gongzhi serve`` on a free loopback port in its own session, with ``options``; yields the port once
    it answers; on exit stops the whole session (SIGTERM, then SIGKILL after 30 s)."""
    port = free_port()
    log = open(log_path, "w")
    serve = subprocess.Popen(
        [sys.executable, "-m", "gongzhi.cli", "serve", "--port", str(port), *options],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_http(port, serve, log_path, tail=3000)
        yield port
    finally:
        os.killpg(serve.pid, 15)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, 9)
        log.close()


def run_end_to_end(args, env: dict, var: Path, token: str, points, bar, task) -> dict:
    """``gongzhi serve`` (gunicorn + the task workers of every queue + the scheduler, as deployed) under
    the client load for ``--seconds``; the backlog of every subscriber sampled each second; after the
    load, the wait until every subscriber has caught up; then each subscriber's lag from the records."""
    from django.db import close_old_connections

    from gongzhi.core.models import Event

    options = ["--workers", str(args.workers), "--worker-class", "gthread", "--threads", str(args.threads)]
    # The default worker layout: ledger / dispatch / periodic,default, one process each.
    with serving(env, var / "serve.log", *options) as port:
        with mp.Pool(args.clients) as pool:  # warm the web workers, then let the background catch up
            pool.map(client, [(port, token, 1.0, points, 900 + i) for i in range(args.clients)])
        while sum(backlogs().values()):
            time.sleep(0.5)
        close_old_connections()
        first_seq = Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        samples: list[tuple[float, dict[str, int]]] = []
        t0 = time.perf_counter()
        with mp.Pool(args.clients) as pool:
            pending = pool.map_async(client, [(port, token, args.seconds, points, i) for i in range(args.clients)])
            while not pending.ready():
                samples.append((time.perf_counter() - t0, backlogs()))
                worst = max(samples[-1][1].items(), key=lambda kv: kv[1])
                bar.update(
                    task,
                    completed=min(time.perf_counter() - t0, args.seconds),
                    description=f"end to end: load, largest backlog {worst[0]} {worst[1]}",
                )
                pending.wait(1.0)
            out = pending.get()
        load_s = time.perf_counter() - t0
        at_stop = backlogs()
        while True:
            left = backlogs()
            bar.update(task, description=f"end to end: draining, {sum(left.values())} events left")
            if not sum(left.values()) or time.perf_counter() - t0 > load_s + args.drain_limit:
                break
            time.sleep(0.2)
        drain_s = time.perf_counter() - t0 - load_s
        close_old_connections()
        lags = delivery_lags(first_seq)
        events_written = Event.objects.filter(seq__gt=first_seq).count()
        from gongzhi.core.models import DeliveryBatch

        batch_rows = DeliveryBatch.objects.filter(last_seq__gt=first_seq).count()
    lat = np.concatenate([np.array(o[0]) for o in out]) * 1000
    filed = len(lat)
    names = sorted(at_stop)
    return {
        "filed": filed,
        "rate": filed / load_s,
        "errors": sum(o[1] for o in out),
        "p50": float(np.percentile(lat, 50)),
        "p95": float(np.percentile(lat, 95)),
        "events": events_written,
        "batch_rows": batch_rows,
        "peak": {n: max((b[n] for _, b in samples), default=0) for n in names},
        "at_stop": at_stop,
        "drain_s": drain_s,
        "drained": not sum(backlogs().values()),
        "lags": lags,
    }


PEER_TABLES = {"cases_servicerequest": 1, "cases_transition": 3, "core_event": 3}  # rows one filing writes


def pgbench_peer(db_url: str, connection, args, var: Path) -> dict:
    """pgbench with the same number of clients and a comparable transaction: per commit, the rows one
    filing writes (1 request, 3 transitions, 3 outbox events), copied from real rows of this database
    into tables made ``LIKE`` the real ones (same columns, defaults and indexes), every unique column
    given a fresh value. Also the CPU per transaction of pgbench's backends and of pgbench itself."""
    with connection.cursor() as cur:
        overrides = {}
        for table in PEER_TABLES:
            cur.execute(f"DROP TABLE IF EXISTS peer_{table}")
            cur.execute(f"CREATE TABLE peer_{table} (LIKE {table} INCLUDING DEFAULTS INCLUDING INDEXES)")
            cur.execute(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_index i "
                "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indrelid = %s::regclass AND i.indisunique",
                [table],
            )
            fresh = []
            for col, typ in cur.fetchall():
                if typ == "uuid":
                    fresh.append(f"'{col}', gen_random_uuid()")
                elif typ in ("bigint", "integer"):
                    fresh.append(f"'{col}', nextval('peer_ids')")
                else:
                    fresh.append(f"'{col}', 'p' || nextval('peer_ids')")
            overrides[table] = ", ".join(fresh)
        cur.execute("DROP SEQUENCE IF EXISTS peer_ids")
        cur.execute("CREATE SEQUENCE peer_ids START 1000000000")
        cur.execute("SELECT min(id), max(id) FROM cases_servicerequest")
        lo, hi = cur.fetchone()
    lines = [f"\\set r random({lo}, {hi})", "BEGIN;"]
    for table, n in PEER_TABLES.items():
        src = {
            "cases_servicerequest": "SELECT * FROM cases_servicerequest WHERE id = :r",
            "cases_transition": f"SELECT * FROM cases_transition WHERE request_id = :r LIMIT {n}",
            "core_event": f"SELECT * FROM core_event ORDER BY seq DESC LIMIT {n}",
        }[table]
        lines.append(
            f"INSERT INTO peer_{table} SELECT (jsonb_populate_record(NULL::peer_{table}, "
            f"to_jsonb(s) || jsonb_build_object({overrides[table]}))).* FROM ({src}) s;"
        )
    lines.append("COMMIT;")
    script = var / "filing.sql"
    script.write_text("\n".join(lines) + "\n")
    # -M prepared: planned once per connection, as our hot path's statements are (GONGZHI_DB_PREPARE).
    cmd = ["pgbench", "-n", "-M", "prepared", "-f", str(script), "-c", str(args.clients)]
    cmd += ["-j", str(min(args.clients, 2))]
    cmd += ["-T", str(int(args.pgbench_seconds)), "-P", "1", db_url]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    with connection.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench'")
        backends = [r[0] for r in cur.fetchall()]
    c1, w1 = proc_cpu(backends), time.perf_counter()
    time.sleep(max(1.0, args.pgbench_seconds - 3))
    c2, w2 = proc_cpu(backends), time.perf_counter()
    stdout, stderr = proc.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    tps = next((float(x.split("=")[1].split()[0]) for x in stdout.splitlines() if x.startswith("tps")), None)
    done = next((int(x.split(":")[1].split()[0]) for x in stdout.splitlines() if "transactions actually" in x), None)
    if tps is None or not done:
        return {"error": (stderr or stdout)[-500:]}
    client_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "tps": tps,
        "backend_ms": (c2 - c1) / (tps * (w2 - w1)) * 1000,  # window CPU ÷ transactions in the window
        "client_ms": client_cpu / done * 1000,
    }


def report_end_to_end(console, args, e: dict, peer: dict | None, cpu: dict) -> None:
    table = Table(
        title=f"End to end: gongzhi serve ({args.workers} web workers, task workers ledger / dispatch / "
        f"periodic,default), {args.clients} clients × {args.seconds:.0f} s"
    )
    for c in ("measure", "value", "goal"):
        table.add_column(c)
    table.add_row("filings", f"{e['filed']:,} ({e['errors']} errors), {e['events']:,} outbox events", "")
    table.add_row("filings/s sustained with every worker running", f"{e['rate']:.0f}", "≥ 500")
    table.add_row(
        "delivery bookkeeping: DeliveryBatch rows, all subscribers (per filing)",
        f"{e['batch_rows']:,} ({e['batch_rows'] / max(e['filed'], 1):.2f})",
        "",
    )
    table.add_row("filing latency p50 / p95 (ms)", f"{e['p50']:.1f} / {e['p95']:.1f}", "")
    drained = "caught up" if e["drained"] else "NOT caught up"
    table.add_row("after the load: time until every subscriber caught up", f"{e['drain_s']:.1f} s ({drained})", "")
    for name in sorted(e["peak"]):
        lags = e["lags"].get(name, np.array([]))
        effect = EFFECTS.get(name, "handled")
        if len(lags):
            figure = (
                f"{len(lags):,} events: p50 {np.percentile(lags, 50):.2f} s, p95 {np.percentile(lags, 95):.2f} s, "
                f"max {lags.max():.2f} s"
            )
        else:
            figure = "no event of its types"
        missing = e["lags"].get(name + " (never delivered)")
        if missing is not None:
            figure += f"; {int(missing[0])} never delivered"
        table.add_row(f"{name}: commit → {effect}", figure, "p95 < 5 s")
        table.add_row(
            "  its backlog: peak / when the load stopped", f"{e['peak'][name]:,} / {e['at_stop'][name]:,}", ""
        )
    if peer and "tps" in peer:
        table.add_row(
            "peer: pgbench, same clients, one filing's rows per transaction (1 + 3 + 3 rows), TPS",
            f"{peer['tps']:.0f}",
            "",
        )
        table.add_row("  end-to-end filings/s ÷ pgbench TPS", f"{e['rate'] / peer['tps']:.3f}", "")
        table.add_row(
            "  CPU per transaction: pgbench backends / pgbench client (ms)",
            f"{peer['backend_ms']:.2f} / {peer['client_ms']:.2f}",
            "",
        )
        table.add_row(
            "  CPU per filing, ours in-process (WSGI lean route), beside it (ms)", f"{cpu['lean']['cpu_ms']:.2f}", ""
        )
    elif peer:
        table.add_row("peer: pgbench failed", peer.get("error", "?"), "")
    console.print(table)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default=os.environ.get("BENCH_PG", "postgresql://127.0.0.1:5432"))
    ap.add_argument("--db", default="gongzhi_bench_intake")
    ap.add_argument("--seconds", type=float, default=60, help="load time of each run (the goal: 300)")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument(
        "--runs",
        default="end-to-end,outbox",
        help="end-to-end (gongzhi serve with its workers: filings/s and every subscriber's lag) and/or "
        "outbox (gunicorn alone, no worker: the rate of filings committed to the outbox, the old figure)",
    )
    ap.add_argument("--drain-limit", type=float, default=600, help="seconds to wait for the subscribers to catch up")
    ap.add_argument("--pgbench-seconds", type=float, default=20)
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
            wanted = args.runs.split(",")
            if "end-to-end" in wanted:
                e2e = bar.add_task("end to end", total=args.seconds)
                results["e2e"] = run_end_to_end(args, env, var, token, points, bar, e2e)
            runs = [("intake", {})] if "outbox" in wanted else []
            if args.unprepared_baseline:
                runs.append(("intake_unprepared", {"GONGZHI_DB_PREPARE": "0"}))
            for key, extra in runs:
                bar.update(t, description=f"{key}: {args.clients} clients × {args.seconds:.0f} s, no worker")
                results[key] = run_load(args, dict(env, **extra), var, token, points, connection)
            if shutil.which("pgbench"):
                bar.update(t, description="pgbench: one filing's rows per transaction")
                results["pgbench"] = pgbench_peer(db_url, connection, args, var)
            bar.update(t, description="server CPU per intake (in-process)")
            from gongzhi.cases.models import ServiceRequest
            from gongzhi.core.events import dispatch_pending

            dispatch_pending()  # what the runs left, so that only the filings below wait
            background_cpu.before = ServiceRequest.objects.count()  # type: ignore[attr-defined]
            results["cpu"] = cpu_per_request(token, grids, args.cpu_requests)
            bar.update(t, description="background CPU per filing, per subscriber (in-process)")
            results["background"] = background_cpu(connection)
            bar.update(t, description="routing decisions")
            results.update(routing_bench(grids))
            connection.close()
    finally:
        shutil.rmtree(var, ignore_errors=True)
    load = os.getloadavg()
    if "e2e" in results:
        report_end_to_end(console, args, results["e2e"], results.get("pgbench"), results["cpu"])
    table = Table(title=f"Intake on PostgreSQL: {args.clients} client processes, {args.workers} gunicorn workers")
    for c in ("measure", "value", "goal"):
        table.add_column(c)
    if "intake" in results:
        i = results["intake"]
        table.add_row("no worker running: filings committed to the outbox", f"{i['n']:,} ({i['errors']} errors)", "")
        table.add_row("  filings/s (to the outbox only)", f"{i['rps']:.0f}", "")
        table.add_row("  latency p50 / p95 / p99 (ms)", f"{i['p50']:.1f} / {i['p95']:.1f} / {i['p99']:.1f}", "")
        sp = i["split"]
        table.add_row(
            "  CPU per filing: gunicorn / PostgreSQL backends / clients (ms)",
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
    cpu = results["cpu"]
    for label, name in (("lean", "WSGI application (lean route)"), ("django", "Django's full stack")):
        c = cpu[label]
        table.add_row(
            f"server CPU per intake in-process, {name}, {cpu['n']} requests",
            f"{c['cpu_ms']:.2f} ms CPU + {c['postgres_ms']:.2f} ms its PostgreSQL backend's "
            f"({c['wall_ms']:.2f} ms wall), {c['queries']} queries",
            "",
        )
    bg = results.get("background")
    if bg:
        total = 0.0
        for name, b in bg["subscribers"].items():
            total += b["python_ms"] + b["postgres_ms"]
            table.add_row(
                f"background CPU per filing, {name} ({b['events']} events for {bg['filings']} filings): "
                "Python / PostgreSQL (ms)",
                f"{b['python_ms']:.2f} / {b['postgres_ms']:.2f}",
                "",
            )
        table.add_row("  background CPU per filing, all subscribers (ms)", f"{total:.2f}", "")
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
    table.add_row("load average (1/5/15 min) at the end", f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}", "")
    console.print(table)


if __name__ == "__main__":
    main()
