"""Command centres at city scale on PostgreSQL: dashboard p95 and rollup lag (issue #9).

1. A scratch database (default ``gongzhi_bench`` on the server of GONGZHI_TEST_PG_URL / DATABASE_URL)
   is dropped and created; ``migrate``; ``gongzhi demo --scale city`` (timed).
2. N synthetic requests (default 10,000,000; ``--requests``) with their transitions (submit,
   dispatch, resolve, confirm) generated inside PostgreSQL (INSERT … SELECT over generate_series),
   spread over 365 days, all grids and categories.
3. ``rollups.rebuild()`` (INSERT … SELECT … GROUP BY; timed).
4. City and street dashboards (the centre page and the figures API, Django test client,
   ``--samples`` each): p50/p95. Baseline measured in the same run: the same 30-day figures
   computed straight from the request and transition tables by ``cases.figures.total``
   (what the dashboard would cost without rollups; it grows with history).
5. Rollup lag: the event backlog is drained, a dispatcher process (``dispatch_pending`` for
   the rollup subscriber, in a loop) is started, ``--burst`` requests are submitted through
   ``cases.services.submit``; lag = time from the last commit until the rollups count all of them.

HTTP mode (issue 24, item 3), ``--http``: the dashboards as users load them. gunicorn (``--workers`` ×
``--threads``, gthread) on loopback against the scratch database, ``wrk`` with ``--clients`` (8)
connections, one session per connection (the superuser's), for ``--seconds`` each: the city, district and
street centre pages and figures API over the default 30 days, and the figures API over the
whole history (where a long range pays for its length on the day tables). Every scenario runs in the
same run in three configurations: ``grains, cache`` (as deployed: years, months and ragged days, the
rollup figures cached under the rollups' state), ``grains`` (no cache) and ``days`` (no cache, the day
tables only: the read path before the grains, ``queries.READ_PATH = "days"``), each in its own gunicorn
started through bench/bench_command_wsgi.py. Prints requests/s and p50/p95/p99 (wrk's, from all
requests) per scenario and configuration, and the p95 ratio of ``days`` to it.

``--facts-only``: for sizes where generating requests *and* transitions does not fit (50 M), the facts
(``command_requestfact``, one row per request: what the rollups are grouped from) are generated
directly inside PostgreSQL over ``--days`` days (default: 25 M requests a year, at least 365 days) with
the same distributions as ``load``; the facts table is UNLOGGED (scratch data) and its indexes are built
after the load. Then ``rollups.rebuild(facts=False)``: every rollup table regrouped from the facts (the
rebuild's own cost; recomputing facts from transitions is ``rebuild()``'s first step and is not in it).
No baseline from requests and no burst in this mode (there are no requests).

Run: .venv/bin/python bench/bench_command.py [--requests 10000000] [--pg postgresql://127.0.0.1:5432/x]
     .venv/bin/python bench/bench_command.py --facts-only --requests 50000000 --http
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PY = sys.executable
ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def db_url(base: str, name: str) -> str:
    u = urlsplit(base)
    return urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))


def recreate(base: str, name: str) -> None:
    import psycopg

    with psycopg.connect(db_url(base, "postgres"), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def load(n: int, progress, task, seed: int = 11, chunk: int = 500_000) -> None:
    """Generate ``n`` requests and their transitions inside PostgreSQL (INSERT … SELECT over
    generate_series, in chunks): the same distributions as a request-by-request COPY from Python, without
    shipping every row through the client.

    Each request: a random grid and 5-digit category, created 1–365 days ago, dispatched 1–240 minutes
    later; open (dispatched) with probability ½ when created in the last 10 days, otherwise resolved after
    an exponential time with mean a third of its SLA; 90 % of the resolved are rated (80 % satisfied,
    12 % basically, 8 % unsatisfied). Transitions: submit, dispatch, resolve (with on_time), confirm."""
    from django.db import connection

    from gongzhi.cases.models import ServiceRequest, Transition
    from gongzhi.org.models import Grid, MatterCategory

    sr, tr = ServiceRequest._meta.db_table, Transition._meta.db_table
    grid_t, cat_t = Grid._meta.db_table, MatterCategory._meta.db_table
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(%s)", [((seed % 1000) / 1000.0)])
        cur.execute(f"SELECT COALESCE(MAX(id), 0) + 1000 FROM {sr}")
        start_id = cur.fetchone()[0]
        cur.execute("DROP TABLE IF EXISTS bench_g, bench_c")
        cur.execute(
            f"CREATE TEMP TABLE bench_g AS SELECT (row_number() OVER (ORDER BY id)) - 1 AS i, id, "
            f"region_id, centroid_lon, centroid_lat FROM {grid_t}"
        )
        cur.execute(
            f"CREATE TEMP TABLE bench_c AS SELECT (row_number() OVER (ORDER BY id)) - 1 AS i, id, "
            f"default_sla FROM {cat_t} WHERE code ~ '^[0-9]{{5}}$'"
        )
        cur.execute("CREATE INDEX ON bench_g (i)")
        cur.execute("CREATE INDEX ON bench_c (i)")
        cur.execute("SELECT count(*) FROM bench_g")
        ng = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM bench_c")
        nc = cur.fetchone()[0]
    done = 0
    while done < n:
        k = min(chunk, n - done)
        a, b = start_id + done, start_id + done + k - 1
        with connection.cursor() as cur:
            cur.execute(f"""
WITH base AS MATERIALIZED (
  SELECT s AS rid, floor(random() * {ng})::int AS gi, floor(random() * {nc})::int AS ci,
         date_trunc('second', now()) - make_interval(secs => 86400 + floor(random() * 364 * 86400)) AS created,
         (1 + s % 239)::int AS dmin, random() AS r_open, random() AS r_res, random() AS r_rated,
         floor(random() * 100)::int AS r_rating
  FROM generate_series({a}, {b}) AS s
), r AS (
  SELECT base.*, g.id AS gid, g.region_id, g.centroid_lon AS lon, g.centroid_lat AS lat, c.id AS cat,
         c.default_sla AS sla,
         CASE c.default_sla WHEN 'emergency' THEN 2 WHEN 'utilities' THEN 24 WHEN 'general' THEN 168
                            WHEN 'complex' THEN 360 ELSE 168 END AS h
  FROM base JOIN bench_g g ON g.i = base.gi JOIN bench_c c ON c.i = base.ci
), t AS (
  SELECT r.*, created + make_interval(mins => dmin) AS dispatched,
         created + make_interval(hours => h) AS due,
         (now() - created < interval '10 days' AND r_open < 0.5) AS open_
  FROM r
), u AS (
  SELECT t.*,
         CASE WHEN open_ THEN NULL
              ELSE dispatched + make_interval(secs => -ln(1 - r_res) * h * 3600 / 3.0) END AS resolved,
         CASE WHEN open_ OR r_rated >= 0.9 THEN ''
              WHEN r_rating < 80 THEN 'satisfied' WHEN r_rating < 92 THEN 'basically' ELSE 'unsatisfied' END
           AS rating
  FROM t
)
INSERT INTO {sr} (id, number, token, channel, description, category_id, suggested_category_id,
  suggestion_confidence, region_id, grid_id, lon, lat, address, anonymous, reporter_name, reporter_phone,
  reporter_id_number, reporter_user_id, created_by_id, state, handling_unit_id, routing_reason, routing, sla,
  sla_started_at, due_at, escalation_level, overdue_escalated_at, merged_into_id, rating, fixed, resolution,
  created_at, updated_at, resolved_at, idempotency_key, version)
SELECT rid, 'B' || lpad(rid::text, 19, '0'), lpad(to_hex(rid), 32, '0'), 'web', '合成诉求', cat, NULL, NULL,
  region_id, gid, lon, lat, '', false, '', '', '', NULL, NULL,
  CASE WHEN open_ THEN 'dispatched' WHEN rating <> '' THEN 'confirmed' ELSE 'resolved' END,
  NULL, '', '{{}}'::jsonb, sla, created, due, 0, NULL, NULL, rating,
  CASE WHEN rating = '' THEN NULL ELSE rating <> 'unsatisfied' END, '',
  created, COALESCE(resolved, dispatched), resolved, NULL, 4
FROM u""")
            cur.execute(f"""
INSERT INTO {tr} (request_id, action, from_state, to_state, actor_id, actor_label, unit_id, reason, at, data)
SELECT id, 'submit', '', 'submitted', NULL::integer, '系统', NULL::bigint, '', created_at, '{{}}'::jsonb
  FROM {sr} WHERE id BETWEEN {a} AND {b}
UNION ALL
SELECT id, 'dispatch', 'accepted', 'dispatched', NULL::integer, '系统', NULL::bigint, '',
       created_at + make_interval(mins => (1 + id % 239)::int), '{{}}'::jsonb
  FROM {sr} WHERE id BETWEEN {a} AND {b}
UNION ALL
SELECT id, 'resolve', 'dispatched', 'resolved', NULL::integer, '系统', NULL::bigint, '', resolved_at,
       jsonb_build_object('on_time', resolved_at <= due_at)
  FROM {sr} WHERE id BETWEEN {a} AND {b} AND resolved_at IS NOT NULL
UNION ALL
SELECT id, 'confirm', 'resolved', 'confirmed', NULL::integer, '系统', NULL::bigint, '', resolved_at + interval '1 hour',
       jsonb_build_object('rating', rating, 'fixed', rating <> 'unsatisfied')
  FROM {sr} WHERE id BETWEEN {a} AND {b} AND rating <> ''""")
        done += k
        progress.update(task, completed=done)
    with connection.cursor() as cur:
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{sr}', 'id'), (SELECT MAX(id) FROM {sr}))")
        cur.execute(f"ANALYZE {sr}")
        cur.execute(f"ANALYZE {tr}")


def load_facts(n: int, days: int, progress, task, seed: int = 11, chunk: int = 1_000_000) -> None:
    """Generate ``n`` request facts directly (no requests, no transitions) inside PostgreSQL over the
    last ``days`` days: a random grid and 5-digit category; dispatched 1–239 minutes after submission
    (responded in time unless an emergency dispatched after 2 hours); open with probability ½ in the
    last 10 days, else resolved after an exponential time with mean a third of the SLA (on time when
    within it); 90 % of the resolved rated (80 % satisfied, 12 % basically, 8 % unsatisfied: not fixed);
    2 % returned, 1 % reopened, 0.5 % whistled. The facts table is made UNLOGGED and its secondary
    indexes are dropped for the load and built after it."""
    from django.db import connection

    from gongzhi.command.models import RequestFact
    from gongzhi.core.models import Region
    from gongzhi.org.models import Grid, MatterCategory

    ft, grid_t, cat_t, reg_t = (
        RequestFact._meta.db_table,
        Grid._meta.db_table,
        MatterCategory._meta.db_table,
        Region._meta.db_table,
    )
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(%s)", [((seed % 1000) / 1000.0)])
        cur.execute(f"ALTER TABLE {ft} SET UNLOGGED")
        cur.execute(f"SELECT COALESCE(MAX(request_id), 0) + 1000 FROM {ft}")
        start_id = cur.fetchone()[0]
        cur.execute("DROP TABLE IF EXISTS bench_fg, bench_fc")
        cur.execute(
            f"CREATE TEMP TABLE bench_fg AS SELECT (row_number() OVER (ORDER BY g.id)) - 1 AS i, g.id, "
            f"g.region_id, COALESCE(c.parent_id, c.id) AS street_id, COALESCE(s.parent_id, c.parent_id, c.id) "
            f"AS district_id FROM {grid_t} g JOIN {reg_t} c ON c.id = g.region_id "
            f"LEFT JOIN {reg_t} s ON s.id = c.parent_id"
        )
        cur.execute(
            f"CREATE TEMP TABLE bench_fc AS SELECT (row_number() OVER (ORDER BY id)) - 1 AS i, id, "
            f"default_sla FROM {cat_t} WHERE code ~ '^[0-9]{{5}}$'"
        )
        cur.execute("CREATE INDEX ON bench_fg (i)")
        cur.execute("CREATE INDEX ON bench_fc (i)")
        cur.execute("SELECT count(*) FROM bench_fg")
        ng = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM bench_fc")
        nc = cur.fetchone()[0]
    indexes = [i for i in RequestFact._meta.indexes]
    with connection.schema_editor(atomic=False) as editor:
        for index in indexes:
            editor.remove_index(RequestFact, index)
    done = 0
    while done < n:
        k = min(chunk, n - done)
        a, b = start_id + done, start_id + done + k - 1
        with connection.cursor() as cur:
            cur.execute(f"""
WITH base AS MATERIALIZED (
  SELECT s AS rid, floor(random() * {ng})::int AS gi, floor(random() * {nc})::int AS ci,
         1 + floor(random() * {days})::int AS ago, (1 + s % 239)::int AS dmin, random() AS r_open,
         random() AS r_res, random() AS r_rated, floor(random() * 100)::int AS r_rating, random() AS r_x
  FROM generate_series({a}, {b}) AS s
), r AS (
  SELECT base.*, g.id AS gid, g.region_id, g.street_id, g.district_id, c.id AS cat, c.default_sla AS sla,
         CASE c.default_sla WHEN 'emergency' THEN 2 WHEN 'utilities' THEN 24 WHEN 'general' THEN 168
                            WHEN 'complex' THEN 360 ELSE 168 END AS h,
         (ago <= 10 AND r_open < 0.5) AS open_, -ln(1 - r_res) * 1.0 AS e
  FROM base JOIN bench_fg g ON g.i = base.gi JOIN bench_fc c ON c.i = base.ci
), u AS (
  SELECT r.*, CASE WHEN open_ THEN 0 ELSE 1 END AS res, e * h / 3.0 AS res_h,
         CASE WHEN open_ OR r_rated >= 0.9 THEN 0 ELSE 1 END AS rated_
  FROM r
)
INSERT INTO {ft} (request_id, region_id, street_id, district_id, grid_id, category_id, sla, day, is_open,
  due_at, arrived, dispatched, responded, resolved, closed, on_time, overdue, returned, reopened, rated,
  satisfied, fixed, whistles, minutes_to_dispatch, minutes_to_resolve)
SELECT rid, region_id, street_id, district_id, gid, cat, sla, current_date - ago, open_,
  CASE WHEN open_ THEN (current_date - ago) + make_interval(hours => h) END,
  1, 1, CASE WHEN sla = 'emergency' AND dmin > 120 THEN 0 ELSE 1 END, res, 0,
  CASE WHEN res = 1 AND res_h + dmin / 60.0 <= h THEN 1 ELSE 0 END,
  CASE WHEN res = 1 AND res_h + dmin / 60.0 > h THEN 1 ELSE 0 END,
  CASE WHEN r_x < 0.02 THEN 1 ELSE 0 END, CASE WHEN res = 1 AND r_x >= 0.02 AND r_x < 0.03 THEN 1 ELSE 0 END,
  rated_, CASE WHEN rated_ = 1 AND r_rating < 92 THEN 1 ELSE 0 END,
  CASE WHEN rated_ = 1 AND r_rating < 92 THEN 1 ELSE 0 END, CASE WHEN r_x >= 0.995 THEN 1 ELSE 0 END,
  dmin, CASE WHEN res = 1 THEN dmin + res_h * 60 ELSE 0 END
FROM u""")
        done += k
        progress.update(task, completed=done)
    with connection.schema_editor(atomic=False) as editor:
        for index in indexes:
            editor.add_index(RequestFact, index)
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {ft}")


def session_cookies(user, n: int) -> list[str]:
    """``n`` sessions of ``user`` (one per client connection: every request renews its session row)."""
    from django.conf import settings
    from django.test import Client

    out = []
    for _ in range(n):
        c = Client()
        c.force_login(user)
        out.append(f"{settings.SESSION_COOKIE_NAME}={c.cookies[settings.SESSION_COOKIE_NAME].value}")
    return out


WRK_LUA = """
local cookies = {%(cookies)s}
local n = 0
function setup(thread)
  n = n + 1
  thread:set("cookie", cookies[((n - 1) %% #cookies) + 1])
end
function init(args)
  wrk.headers["Cookie"] = cookie
end
request = function() return wrk.format("GET", "%(path)s") end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%.0f %%.0f %%.0f %%.0f\\n", summary.requests, summary.duration,
    e.status, e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max))
end
"""


def wrk(port: int, path: str, cookies: list[str], clients: int, seconds: int, var: str) -> dict:
    """One wrk run: ``clients`` connections (one thread each) GET ``path`` for ``seconds``."""
    script = Path(var) / "bench_command.lua"
    script.write_text(WRK_LUA % {"cookies": ", ".join(f'"{c}"' for c in cookies), "path": path})
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(clients),
            "-c",
            str(clients),
            "-d",
            f"{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    n, us, status_err, sock_err, p50, p95, p99, mx = (float(v) for v in line.split()[1:])
    return {
        "requests": int(n),
        "rps": n / (us / 1e6),
        "non2xx": int(status_err),
        "socket_errors": int(sock_err),
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "p99": p99 / 1000,
        "max": mx / 1000,
    }


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict, read_path: str, cached: bool, workers: int, threads: int, var: str):
    port = free_port()
    log = open(Path(var) / f"gunicorn-{read_path}-{int(cached)}.log", "w")
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "bench_command_wsgi:application",
            "--pythonpath",
            str(ROOT / "bench"),
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--keep-alive",
            "30",
            "--timeout",
            "180",
        ],
        env={
            **env,
            "GONGZHI_BENCH_READ_PATH": read_path,
            "GONGZHI_BENCH_FIGURES_CACHE": "1" if cached else "0",
            "GONGZHI_HTTPS": "off",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    return proc, port


def wait_http(port: int, proc, seconds: float = 240) -> None:
    import urllib.request

    deadline = time.time() + seconds
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2)
            return
        except Exception:
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"gunicorn did not answer on port {port}") from None
            time.sleep(0.3)


CONFIGS = (("grains", True), ("grains", False), ("days", False))


def http_load(args, env: dict, var: str, pr, regions: dict, cookies: list[str], first, last) -> list[dict]:
    """Every scenario × every configuration (read path, figures cache); one row per pair."""
    whole = f"start={first.isoformat()}&end={last.isoformat()}"
    scenarios = []
    for level, region in regions.items():
        scenarios += [
            (f"{level} page, 30 days", f"/command/{region.code}/"),
            (f"{level} figures API, 30 days", f"/api/v1/command/{region.code}/figures"),
            (f"{level} figures API, whole history", f"/api/v1/command/{region.code}/figures?{whole}"),
        ]
    rows = []
    task = pr.add_task(
        f"HTTP: {len(scenarios)} scenarios × {len(CONFIGS)} configurations × {args.seconds} s",
        total=len(CONFIGS) * len(scenarios),
    )
    for read_path, cached in CONFIGS:
        proc, port = start_gunicorn(env, read_path, cached, args.workers, args.threads, var)
        try:
            wait_http(port, proc)
            for label, path in scenarios:
                wrk(port, path, cookies, args.clients, 2, var)  # warm every worker and connection
                r = wrk(port, path, cookies, args.clients, args.seconds, var)
                rows.append({"scenario": label, "config": f"{read_path}{', cache' if cached else ''}", **r})
                pr.advance(task)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    return rows


def timed(fn, n: int, progress=None, task=None) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
        if progress is not None:
            progress.advance(task)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=10_000_000)
    ap.add_argument(
        "--pg",
        default=os.environ.get("GONGZHI_TEST_PG_URL")
        or os.environ.get("DATABASE_URL")
        or "postgresql://127.0.0.1:5432/test",
    )
    ap.add_argument("--db", default="gongzhi_bench", help="scratch database (dropped and created)")
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument(
        "--baseline-samples",
        type=int,
        default=3,
        help="samples of the baseline from records (0: skip it; at 10 M it takes minutes)",
    )
    ap.add_argument("--burst", type=int, default=10_000)
    ap.add_argument("--keep", action="store_true", help="reuse the database as it is (skip demo and load)")
    ap.add_argument(
        "--reuse-demo",
        action="store_true",
        help="reuse the database with its city demo: skip recreate and demo, load N more requests",
    )
    ap.add_argument(
        "--load-only",
        action="store_true",
        help="stop after the load and the rebuild (measure later with --keep, on a quiet machine)",
    )
    ap.add_argument("--facts-only", action="store_true", help="generate request facts directly (see above)")
    ap.add_argument("--days", type=int, default=0, help="days of history for --facts-only (0: 25 M requests a year)")
    ap.add_argument("--http", action="store_true", help="the HTTP load mode (gunicorn + wrk, both read paths)")
    ap.add_argument("--clients", type=int, default=8, help="HTTP mode: concurrent client connections")
    ap.add_argument("--seconds", type=int, default=10, help="HTTP mode: seconds per scenario and read path")
    ap.add_argument("--workers", type=int, default=4, help="HTTP mode: gunicorn workers")
    ap.add_argument("--threads", type=int, default=2, help="HTTP mode: gunicorn threads per worker")
    args = ap.parse_args()

    url = db_url(args.pg, args.db)
    var = tempfile.mkdtemp(prefix="gongzhi-bench-command-")
    env = dict(
        os.environ,
        DATABASE_URL=url,
        GONGZHI_VAR_DIR=var,
        GONGZHI_TASKS="database",
        DJANGO_SETTINGS_MODULE="gongzhi.settings",
    )
    os.environ.update(env)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    figures: dict[str, str] = {}
    if not args.keep and not args.reuse_demo:
        recreate(args.pg, args.db)
        subprocess.run([PY, "-m", "gongzhi.cli", "migrate", "--noinput", "-v0"], env=env, check=True)
        t0 = time.perf_counter()
        subprocess.run(
            [PY, "-m", "gongzhi.cli", "demo", "--scale", "city", "-v0"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        figures["demo --scale city"] = f"{time.perf_counter() - t0:.1f} s"

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection
    from django.db.models import Sum
    from django.test import Client
    from django.utils import timezone

    from gongzhi.cases import figures as case_figures
    from gongzhi.cases import services as case_services
    from gongzhi.cases.models import ServiceRequest
    from gongzhi.command import queries, rollups
    from gongzhi.command.models import AreaDay
    from gongzhi.command.subscribers import NAME
    from gongzhi.core.events import dispatch_pending
    from gongzhi.core.models import Region
    from gongzhi.org.models import Grid, StaffRole, Unit

    settings.ALLOWED_HOSTS = ["*"]
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as pr:
        if not args.keep:
            task = pr.add_task(
                f"generate {args.requests:,} {'facts' if args.facts_only else 'requests'}", total=args.requests
            )
            t0 = time.perf_counter()
            if args.facts_only:
                days = args.days or max(365, round(args.requests / 25_000_000 * 365))
                load_facts(args.requests, days, pr, task)
                figures["load facts (INSERT … SELECT, UNLOGGED, indexes after)"] = (
                    f"{time.perf_counter() - t0:.1f} s ({args.requests:,} facts over {days} days)"
                )
            else:
                load(args.requests, pr, task)
                figures["load (INSERT … SELECT)"] = f"{time.perf_counter() - t0:.1f} s ({args.requests:,} requests)"
            steps = 1 + len(rollups.BUILD_ORDER) + 2 + (0 if args.facts_only else 1)
            task = pr.add_task("rollups rebuild", total=steps)
            step_times: list[tuple[str, float]] = []

            def step(label: str) -> None:
                step_times.append((label, time.perf_counter()))
                pr.update(task, description=f"rollups rebuild: {label}", advance=1)

            t0 = time.perf_counter()
            counts = rollups.rebuild(None, progress=step, facts=not args.facts_only)
            t1 = time.perf_counter()
            pr.update(task, completed=steps)
            figures["rollups rebuild" + (" (facts=False: every rollup from the facts)" if args.facts_only else "")] = (
                f"{t1 - t0:.1f} s ({counts['facts']:,} facts, {counts['daily']:,} grid-day rows, "
                f"{counts['area_day']:,} area-day, {counts['area_month']:,} area-month, "
                f"{counts['area_year']:,} area-year rows)"
            )
            marks = [*step_times, ("end (ANALYZE)", t1)]
            figures["rebuild steps"] = ", ".join(
                f"{a} {marks[i + 1][1] - t:.1f} s" for i, (a, t) in enumerate(marks[:-1])
            )
        if args.load_only:
            for k, v in figures.items():
                print(f"{k}: {v}")
            return
        with connection.cursor() as cur:  # fresh planner statistics after the load (7.6 s at 10 M requests)
            cur.execute("ANALYZE")
        n_req = ServiceRequest.objects.count()
        from gongzhi.command.models import RequestFact

        def fact_count() -> str:
            with connection.cursor() as cur:
                cur.execute(f"SELECT reltuples::bigint FROM pg_class WHERE relname = '{RequestFact._meta.db_table}'")
                return f"~{cur.fetchone()[0]:,}"

        figures["requests in the database"] = f"{n_req:,}"
        city = Region.objects.filter(level="city").order_by("code").first()
        street = Region.objects.filter(level="street").order_by("code").first()
        User = get_user_model()
        admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser("bench_admin")
        cadre, _ = User.objects.get_or_create(username="bench_street", defaults={"is_staff": True})
        unit = Unit.objects.filter(region=street).order_by("depth", "code").first()
        StaffRole.objects.get_or_create(user=cadre, unit=unit, role="street_cadre", defaults={"region": street})
        start, end = queries.period()
        if args.http:
            from gongzhi.command.models import AreaDay as _AreaDay

            district = Region.objects.filter(level="district", parent=city).order_by("code").first()
            street = Region.objects.filter(level="street", parent=district).order_by("code").first()
            first = _AreaDay.objects.order_by("day").values_list("day", flat=True).first()
            cookies = session_cookies(admin, args.clients)
            connection.close()
            rows = http_load(
                args, env, var, pr, {"city": city, "district": district, "street": street}, cookies, first, end
            )
            load_avg = os.getloadavg()
            print(
                f"\ncommand centres over HTTP on PostgreSQL ({args.db}, {n_req if not args.facts_only else 'no'} requests, "
                f"{fact_count()} facts, history {first} – {end}): gunicorn {args.workers} workers × {args.threads} "
                f"threads, wrk {args.clients} connections, {args.seconds} s per scenario; load average "
                f"{load_avg[0]:.2f} {load_avg[1]:.2f} {load_avg[2]:.2f}"
            )
            for k, v in figures.items():
                print(f"  {k}: {v}")
            print(
                f"  {'scenario':36} {'configuration':14} {'req/s':>7} {'p50':>8} {'p95':>8} {'p99':>8} {'errors':>6}"
                "  p95 of days / this"
            )
            by = {(r["scenario"], r["config"]): r for r in rows}
            for r in rows:
                other = by.get((r["scenario"], "days"))
                ratio = f"{other['p95'] / r['p95']:.2f}×" if other and r["config"] != "days" and r["p95"] else ""
                print(
                    f"  {r['scenario']:36} {r['config']:14} {r['rps']:7.1f} {r['p50']:6.0f}ms {r['p95']:6.0f}ms "
                    f"{r['p99']:6.0f}ms {r['non2xx'] + r['socket_errors']:6d}  {ratio}"
                )
            print("  goal: p95 < 100 ms at 50 M requests with 8 clients")
            return
        for label, user, region in (("city", admin, city), ("street", cadre, street)):
            c = Client()
            c.force_login(user)
            assert c.get(f"/command/{region.code}/").status_code == 200  # warm-up
            task = pr.add_task(f"{label} dashboard × {args.samples}", total=2 * args.samples)
            page = timed(lambda c=c, r=region: c.get(f"/command/{r.code}/"), args.samples, pr, task)
            api = timed(lambda c=c, r=region: c.get(f"/api/v1/command/{r.code}/figures"), args.samples, pr, task)
            figures[f"{label} centre page"] = f"p50 {pct(page, 50):.0f} ms, p95 {pct(page, 95):.0f} ms"
            figures[f"{label} figures API"] = f"p50 {pct(api, 50):.0f} ms, p95 {pct(api, 95):.0f} ms"
            if not args.baseline_samples:
                figures[f"{label} baseline from requests"] = "skipped (--baseline-samples 0)"
                continue
            tz = timezone.get_current_timezone()
            s = timezone.make_aware(dt.datetime.combine(start, dt.time()), tz)
            e = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()), tz)
            task = pr.add_task(
                f"{label} baseline (cases.figures) × {args.baseline_samples}", total=args.baseline_samples
            )
            base = timed(
                lambda s=s, e=e, r=region: case_figures.total(start=s, end=e, within=r), args.baseline_samples, pr, task
            )
            ours = queries.totals(region, start, end)
            theirs = case_figures.total(start=s, end=e, within=region)
            same = all(
                (ours[k]["num"], ours[k]["den"]) == (theirs[k]["num"], theirs[k]["den"])
                for k in ("response_rate", "satisfaction_rate", "on_time_rate", "resolution_rate")
            )
            figures[f"{label} baseline from requests"] = (
                f"median {statistics.median(base):,.0f} ms for {theirs['requests']:,} requests in 30 days "
                f"= {statistics.median(base) / pct(api, 50):,.0f}× the rollup API p50; rates equal: {same}"
            )

        # rollup lag after a burst
        task = pr.add_task("drain event backlog", total=None)
        dispatch_pending([NAME], batch=2000)
        pr.update(task, total=1, completed=1)
        code = (
            "import os, time, django; os.environ['DJANGO_SETTINGS_MODULE']='gongzhi.settings'; django.setup()\n"
            "from gongzhi.core.events import dispatch_pending\n"
            "while True:\n    n = dispatch_pending(['command.rollups'], batch=500)\n"
            "    time.sleep(0.05 if n else 0.2)\n"
        )
        disp = subprocess.Popen([PY, "-c", code], env=env)
        try:
            grids = list(
                Grid.objects.filter(region__path__startswith=city.path).values_list("centroid_lon", "centroid_lat")
            )
            today = timezone.localdate()
            base_today = AreaDay.objects.filter(day=today).aggregate(n=Sum("arrived"))["n"] or 0
            rng = random.Random(5)
            task = pr.add_task(f"burst of {args.burst:,} submissions", total=args.burst)
            t_burst = time.perf_counter()
            for _ in range(args.burst):
                lon, lat = grids[rng.randrange(len(grids))]
                case_services.submit(
                    AnonymousUser(), description="压测诉求：路灯不亮", category="02003", lon=lon, lat=lat
                )
                pr.advance(task)
            t_commit = time.perf_counter()
            target = base_today + args.burst
            task = pr.add_task("waiting for the rollups", total=args.burst)
            while True:
                n = AreaDay.objects.filter(day=today).aggregate(n=Sum("arrived"))["n"] or 0
                pr.update(task, completed=max(0, n - base_today))
                if n >= target:
                    break
                if time.perf_counter() - t_commit > 1800:
                    raise SystemExit("rollups did not catch up within 30 minutes")
                time.sleep(0.05)
            lag = time.perf_counter() - t_commit
        finally:
            disp.terminate()
            disp.wait(timeout=30)
        figures["burst submit rate"] = f"{args.burst / (t_commit - t_burst):,.0f} requests/s through services"
        figures["rollup lag after the burst"] = f"{lag:.2f} s from the last commit"
        connection.close()
    load_avg = os.getloadavg()
    print(
        f"\ncommand centre bench on PostgreSQL ({args.db}), load average {load_avg[0]:.2f} {load_avg[1]:.2f} "
        f"{load_avg[2]:.2f}:"
    )
    for k, v in figures.items():
        print(f"  {k}: {v}")
    print("  goal: dashboard p95 < 200 ms")


if __name__ == "__main__":
    main()
