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

Run: .venv/bin/python bench/bench_command.py [--requests 10000000] [--pg postgresql://127.0.0.1:5432/x]
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
from urllib.parse import urlsplit, urlunsplit

PY = sys.executable


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
            task = pr.add_task(f"generate {args.requests:,} requests", total=args.requests)
            t0 = time.perf_counter()
            load(args.requests, pr, task)
            figures["load (INSERT … SELECT)"] = f"{time.perf_counter() - t0:.1f} s ({args.requests:,} requests)"
            task = pr.add_task("rollups rebuild", total=None)
            t0 = time.perf_counter()
            counts = rollups.rebuild(None)
            figures["rollups rebuild"] = (
                f"{time.perf_counter() - t0:.1f} s "
                f"({counts['facts']:,} facts, {counts['daily']:,} daily rows, "
                f"{counts['area_day']:,} area-day rows)"
            )
            pr.update(task, total=1, completed=1)
        if args.load_only:
            for k, v in figures.items():
                print(f"{k}: {v}")
            return
        with connection.cursor() as cur:  # fresh planner statistics after the load (7.6 s at 10 M requests)
            cur.execute("ANALYZE")
        n_req = ServiceRequest.objects.count()
        figures["requests in the database"] = f"{n_req:,}"
        city = Region.objects.filter(level="city").order_by("code").first()
        street = Region.objects.filter(level="street").order_by("code").first()
        User = get_user_model()
        admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser("bench_admin")
        cadre, _ = User.objects.get_or_create(username="bench_street", defaults={"is_staff": True})
        unit = Unit.objects.filter(region=street).order_by("depth", "code").first()
        StaffRole.objects.get_or_create(user=cadre, unit=unit, role="street_cadre", defaults={"region": street})
        start, end = queries.period()
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
