"""The public record under intake load: the time from a public event's commit to its leaf in a signed
checkpoint, and whether the backlog drains while the load continues (issue 18, item 2).

What it does, for each layout of the background work (in the same run, on the same database server):
1. a fresh PostgreSQL database (``--db``) with the tiny demo district, an API token;
2. ``gongzhi serve`` (gunicorn + supervised workers + scheduler) on loopback, with the layout's workers:
   ``queues``: the ledger, the other event subscribers and the periodic jobs each on their own queue and
   worker (the default), and
   ``one-worker``: one worker taking every queue (the layout before this change), the baseline;
3. the client load of ``bench/bench_intake.py`` (``--clients`` processes filing requests through the
   JSON API, each with an Idempotency-Key) for ``--seconds``; every second it samples the ledger's
   backlog (public events not yet appended) and enqueues a probe task on the ``periodic`` queue, whose
   wait (enqueue → start) is what an escalation would wait;
4. after the load, waits until the backlog is empty (the drain time);
5. reads from the records: every public event of the run, the first signed checkpoint holding its leaf,
   and prints p50/p95/max of that lag, the backlog's peak and its value when the load stopped, the
   drain time, the periodic queue's wait, and the intake rate achieved.

Goal: p95 lag < 5 s at the intake rate of bench_intake.py, the backlog drains while the load continues.
Run: .venv/bin/python bench/bench_ledger_lag.py [--seconds 30 --clients 4 --workers 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_intake import client, recreate_db, run, serving  # noqa: E402

LAYOUTS = {
    "queues": ["--queues", "ledger", "--queues", "dispatch", "--queues", "periodic,default"],
    "one-worker": ["--queues", "ledger,dispatch,periodic,default"],
}


def backlog() -> int:
    from gongzhi.ops.health import ledger_backlog

    return ledger_backlog()["backlog"]


def one_layout(name: str, args, env: dict, var: Path, points, bar, task) -> dict:
    from django.db import close_old_connections
    from django_tasks_db.models import DBTaskResult

    from gongzhi.core.models import Event
    from gongzhi.ledger import lag
    from gongzhi.ops.tasks import probe

    options = ["--workers", str(args.workers), "--worker-class", "gthread", "--threads", "2", *LAYOUTS[name]]
    with serving(env, var / f"serve-{name}.log", *options) as port:
        # Warm the web workers, then let the background catch up, so the run starts from an empty backlog.
        with mp.Pool(args.clients) as pool:
            pool.map(client, [(port, args.token, 1.0, points, 900 + i) for i in range(args.clients)])
        while backlog():
            time.sleep(0.5)
        close_old_connections()
        start = dt.datetime.now(dt.UTC)
        first_seq = Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        samples: list[tuple[float, int]] = []
        probes = []
        t0 = time.perf_counter()
        with mp.Pool(args.clients) as pool:
            pending = pool.map_async(client, [(port, args.token, args.seconds, points, i) for i in range(args.clients)])
            while not pending.ready():
                probes.append(probe.using(queue_name="periodic").enqueue(0).id)
                samples.append((time.perf_counter() - t0, backlog()))
                bar.update(task, description=f"{name}: load, backlog {samples[-1][1]}")
                pending.wait(1.0)
            out = pending.get()
        load_s = time.perf_counter() - t0
        at_stop = backlog()
        while True:
            left = backlog()
            bar.update(task, description=f"{name}: draining, backlog {left}")
            if not left:
                break
            if time.perf_counter() - t0 > load_s + args.drain_limit:
                break
            time.sleep(0.2)
        drain_s = time.perf_counter() - t0 - load_s
        close_old_connections()
        public = Event.objects.filter(seq__gt=first_seq, public=True).count()
        lags = lag.lags(start)
        waits = [
            (r.started_at - r.enqueued_at).total_seconds()
            for r in DBTaskResult.objects.filter(id__in=probes, started_at__isnull=False)
        ]
    filed = sum(len(o[0]) for o in out)
    peak = max((b for _, b in samples), default=0)
    return {
        "filed": filed,
        "rate": filed / load_s,
        "errors": sum(o[1] for o in out),
        "public": public,
        "leaves": len(lags),
        "p50": float(np.percentile(lags, 50)) if lags else None,
        "p95": float(np.percentile(lags, 95)) if lags else None,
        "max": max(lags) if lags else None,
        "peak": peak,
        "at_stop": at_stop,
        "drain_s": drain_s,
        "drained": not backlog(),
        "probe_p95": float(np.percentile(waits, 95)) if waits else None,
        "probe_max": max(waits) if waits else None,
        "probes": f"{len(waits)}/{len(probes)}",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", default=os.environ.get("BENCH_PG", "postgresql://127.0.0.1:5432"))
    ap.add_argument("--db", default="gongzhi_bench_ledger_lag")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    ap.add_argument("--drain-limit", type=float, default=300, help="seconds to wait for the backlog to drain")
    ap.add_argument("--layouts", default="queues,one-worker")
    args = ap.parse_args()
    console = Console(width=None if sys.stdout.isatty() else 180)
    var = Path(tempfile.mkdtemp(prefix="gongzhi-bench-ledger-lag-"))
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
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("database + tiny demo district", total=None)
        recreate_db(args.server, args.db)
        run([*cli, "migrate", "--noinput", "-v0"], env)
        run([*cli, "demo", "--scale", "tiny", "--seed", "1", "-v0"], env)
        args.token = run([*cli, "token", "admin", "bench"], env).stdout.strip().splitlines()[-1]
        os.environ.update(DATABASE_URL=db_url, GONGZHI_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="gongzhi.settings")
        import django

        django.setup()
        from gongzhi.org.models import Grid

        points = [(g.centroid_lon, g.centroid_lat) for g in Grid.objects.all()]
        for name in args.layouts.split(","):
            results[name] = one_layout(name, args, env, var, points, bar, task)
    table = Table(title=f"Ledger lag under intake load ({args.clients} clients × {args.seconds:.0f} s, PostgreSQL)")
    for col in (
        "layout",
        "filed/s",
        "public events",
        "lag p50 s",
        "lag p95 s",
        "lag max s",
        "backlog peak",
        "at load stop",
        "drain s",
        "periodic wait p95 s",
        "periodic wait max s",
    ):
        table.add_column(col)

    def f(x, digits=2):
        return "—" if x is None else f"{x:.{digits}f}"

    for name, r in results.items():
        table.add_row(
            name,
            f(r["rate"], 0),
            f"{r['public']} ({r['leaves']} in checkpoints)",
            f(r["p50"]),
            f(r["p95"]),
            f(r["max"]),
            str(r["peak"]),
            str(r["at_stop"]),
            f(r["drain_s"], 1) + ("" if r["drained"] else " (not drained)"),
            f(r["probe_p95"]),
            f(r["probe_max"]),
        )
    console.print(table)
    for name, r in results.items():
        console.print(f"{name}: {r['filed']} filed, {r['errors']} errors, probes started {r['probes']}")
    if "queues" in results and results["queues"]["p95"] is not None:
        ok = results["queues"]["p95"] < 5 and results["queues"]["drained"]
        console.print(f"goal p95 < 5 s and drained: {'met' if ok else 'NOT met'}")
        base = results.get("one-worker")
        if base and base["p95"]:
            console.print(f"p95 lag one-worker / queues: {base['p95'] / results['queues']['p95']:.1f}×")


if __name__ == "__main__":
    main()
