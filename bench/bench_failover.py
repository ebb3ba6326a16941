"""Break the cluster and count: request filings through nginx while a web node, a task worker and the
PostgreSQL primary are killed in turn (kill -9).

What it does:
1. brings the one-machine cluster up (``gongzhi cluster up``: pg_auto_failover monitor + two PostgreSQL
   nodes with a synchronous standby, two PgBouncers following the monitor, two web nodes, two workers,
   the scheduler, nginx), or uses the one running under ``--var-dir`` and ``--base-port``;
2. runs ``--clients`` client threads filing requests through nginx (the JSON API, as
   ``bench/bench_intake.py``: token, payload, a new Idempotency-Key per filing) at a bounded rate
   (``--rate`` filings/s in all). A client retries the *same* key on a connection error, a 5xx, 409 or 429,
   with a short back-off, until the filing's deadline (``--deadline`` s), as a real client would;
3. while the load runs it kills, in turn, with kill -9:
   - one web node (web1's gunicorn master and its workers; ``serve``'s supervisor starts it again; nginx
     sends the requests to web2 meanwhile),
   - worker1's task workers (the processes ``serve --role worker`` forked; its supervisor starts them again),
   - the PostgreSQL primary: its pg_autoctl keeper and its postmaster with every backend, so nothing
     restarts it; pg_auto_failover promotes the standby and the PgBouncers follow. Later the node is
     started again and rejoins as the standby;
4. stops the load, lets the ledger catch up (``gongzhi ledger sync`` + ``checkpoint``) and counts:
   filings acknowledged (201), acknowledged but missing from the database (must be 0), duplicated (one key
   → several requests, or more requests than keys sent: must be 0), for each kill the longest time without
   an acknowledged filing, whether the killed web node / worker came back and how fast, and whether
   ``gongzhi verify --full`` passes on the public ledger.

Run: .venv/bin/python bench/bench_failover.py [--short] [--var-dir var] [--base-port 24400] [--down] [--purge]
Exit status 1 when a filing was lost or duplicated, or the ledger does not verify.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from gongzhi.ops import cluster  # noqa: E402

CATEGORIES = ["01001", "01005", "02001", "02003", "03001", "04004", "05001", "09001"]
RETRY_STATUSES = {409, 429, 500, 502, 503, 504}


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent_keys: set[str] = field(default_factory=set)
    acked: dict[str, float] = field(default_factory=dict)  # key → time acknowledged (monotonic)
    numbers: dict[str, str] = field(default_factory=dict)  # key → request number answered
    attempts: int = 0
    retries: int = 0
    given_up: int = 0
    rejected: collections.Counter = field(default_factory=collections.Counter)


def client(
    base_port: int,
    token: str,
    points: list,
    run_id: str,
    rate: float,
    stop: threading.Event,
    deadline_s: float,
    st: Stats,
    seed: int,
) -> None:
    rng = random.Random(seed)
    conn: http.client.HTTPConnection | None = None
    next_at = time.monotonic()
    while not stop.is_set():
        next_at = max(next_at + 1 / rate, time.monotonic() - 1)
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        key = uuid.uuid4().hex
        lon, lat = rng.choice(points)
        body = json.dumps(
            {
                "description": f"小区门口垃圾堆放多日无人清运 bench-failover {run_id} {key}",
                "category": rng.choice(CATEGORIES),
                "lon": lon,
                "lat": lat,
                "reporter_phone": "13800001111",
            }
        )
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": key}
        with st.lock:
            st.sent_keys.add(key)
        give_up = time.monotonic() + deadline_s
        backoff = 0.2
        while True:
            status, payload = None, b""
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", base_port, timeout=30)
                conn.request("POST", "/api/v1/cases/requests", body=body.encode(), headers=headers)
                r = conn.getresponse()
                payload = r.read()
                status = r.status
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                conn = None
            with st.lock:
                st.attempts += 1
            if status in (200, 201):
                with st.lock:
                    st.acked[key] = time.monotonic()
                    with_number = json.loads(payload).get("number") if payload else None
                    st.numbers[key] = with_number or ""
                break
            if status is not None and status not in RETRY_STATUSES:
                with st.lock:
                    st.rejected[status] += 1
                break
            if time.monotonic() > give_up:
                with st.lock:
                    st.given_up += 1
                break
            with st.lock:
                st.retries += 1
            time.sleep(backoff * (0.5 + rng.random()))
            backoff = min(backoff * 1.5, 1.0)
    if conn is not None:
        conn.close()


def longest_gap(times: list[float], start: float, end: float) -> float:
    """Longest time without an acknowledged filing within [start, end]: counted from the last one
    before ``start`` (or ``start``) to the first after it, and so on up to ``end``."""
    before = [t for t in times if t < start]
    points = [before[-1] if before else start] + [t for t in times if start <= t <= end]
    if points[-1] < end:
        points.append(end)
    return max((b - a for a, b in zip(points, points[1:])), default=0.0)


def poll(test, timeout: float, step: float = 0.1) -> float | None:
    """Seconds until ``test()`` is true, or None after ``timeout``."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if test():
                return time.monotonic() - t0
        except Exception:  # noqa: BLE001 - not yet
            pass
        time.sleep(step)
    return None


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def gunicorn_pids(layout: cluster.Layout, name: str) -> list[int]:
    """web node's gunicorn master and workers (below its ``serve`` process, or the process itself)."""
    top = cluster.read_pid(layout, name)
    if not top:
        return []
    pids = [p for p in cluster.descendants(top) if any("gunicorn" in a for a in cmdline(p))]
    return pids or [top, *cluster.descendants(top)]


def task_worker_pids(layout: cluster.Layout, name: str) -> list[int]:
    """The task worker processes of a worker node: the children ``serve --role worker`` forked, one per
    queue group (ledger, dispatch, periodic+default)."""
    top = cluster.read_pid(layout, name)
    if not top:
        return []
    return [p for p in cluster.descendants(top) if "worker" in cmdline(p) and cluster._alive(p)]


def kill9(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def admin(layout: cluster.Layout, *args: str, timeout: float = 600) -> str:
    return cluster.gongzhi(layout, "admin", *args, timeout=timeout)


def db_rows(layout: cluster.Layout, run_id: str) -> list[tuple[str, str]]:
    import psycopg

    p = layout.ports
    with psycopg.connect(
        host="127.0.0.1,127.0.0.1",
        port=f"{p['pgbouncer1']},{p['pgbouncer2']}",
        dbname=cluster.DB_NAME,
        user=cluster.DB_USER,
        connect_timeout=5,
        prepare_threshold=None,
    ) as conn:
        return conn.execute(
            "select number, description from cases_servicerequest where description like %s",
            [f"%bench-failover {run_id} %"],
        ).fetchall()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--short", action="store_true", help="the short version (as the cluster test runs it)")
    ap.add_argument("--var-dir", default=os.environ.get("GONGZHI_VAR_DIR", str(ROOT / "var")))
    ap.add_argument(
        "--base-port", type=int, default=int(os.environ.get("GONGZHI_CLUSTER_PORT", cluster.DEFAULT_BASE_PORT))
    )
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--rate", type=float, default=None, help="filings per second, all clients (default 16; short 10)")
    ap.add_argument("--deadline", type=float, default=120, help="seconds a client keeps retrying one filing")
    ap.add_argument("--down", action="store_true", help="stop the cluster at the end")
    ap.add_argument("--purge", action="store_true", help="stop it and remove its data at the end")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    short = args.short
    rate = args.rate or (10.0 if short else 16.0)
    warmup, phase, after_promotion, settle = (5, 12, 8, 5) if short else (20, 40, 30, 20)
    console = Console()
    # The short version: one gunicorn worker per web node and the demo district without module data, so
    # that it starts in time on a small machine.
    layout = cluster.Layout(
        root=Path(args.var_dir).resolve() / "cluster", base_port=args.base_port, web_workers=1 if short else 2
    )
    results: dict[str, Any] = {"version": "short" if short else "full", "rate": rate, "clients": args.clients}
    results["demo"] = "district-only" if short else "tiny"
    try:
        return run(args, console, layout, results, rate, warmup, phase, after_promotion, settle)
    finally:
        if args.down or args.purge:
            cluster.down(layout, purge=args.purge, say=lambda s: None)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2, default=str))


def run(args, console, layout, results, rate, warmup, phase, after_promotion, settle) -> int:
    t_start = time.monotonic()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task("cluster up", total=None)
        running = cluster.ours(layout)
        if len(running) < 13:
            t0 = time.monotonic()
            steps = results.setdefault("cluster_up_steps", [])

            def say(line: str) -> None:
                steps.append(f"{time.monotonic() - t0:6.1f} s  {line}")
                bar.update(task, description=f"cluster up: {line}")

            cluster.up(layout, say=say, demo=results["demo"])
            results["cluster_up_s"] = round(time.monotonic() - t0, 1)
        else:
            results["cluster_up_s"] = "already running"
        bar.update(task, description="token and grid points")
        token = admin(layout, "token", "admin", "bench-failover").strip().splitlines()[-1]
        pts = admin(
            layout,
            "shell",
            "-c",
            "import json; from gongzhi.org.models import Grid; "
            "print(json.dumps([(g.centroid_lon, g.centroid_lat) for g in Grid.objects.all()]))",
        )
        points = json.loads(pts.strip().splitlines()[-1])
        run_id = uuid.uuid4().hex[:8]
        st = Stats()
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=client,
                args=(layout.ports["nginx"], token, points, run_id, rate / args.clients, stop, args.deadline, st, i),
                daemon=True,
            )
            for i in range(args.clients)
        ]
        for t in threads:
            t.start()
        t_load = time.monotonic()
        planned = warmup + 2 * phase + after_promotion + 60 + settle
        bar.update(task, total=planned, completed=0)

        def tick(label: str, seconds: float) -> None:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                bar.update(
                    task,
                    completed=min(time.monotonic() - t_load, planned),
                    description=f"{label}: {len(st.acked)} acknowledged, {st.retries} retries",
                )
                time.sleep(0.25)

        kills: dict[str, dict[str, Any]] = {}
        tick("warm-up", warmup)

        # 1. a web node
        pids = gunicorn_pids(layout, "web1")
        t_kill = time.monotonic()
        kill9(pids)
        back = {}

        def web_back() -> bool:
            return all(not cluster._alive(p) for p in pids) and cluster.web_ready(layout, "web1")

        watcher = threading.Thread(target=lambda: back.update(s=poll(web_back, phase + 60)), daemon=True)
        watcher.start()
        tick("web1 killed", phase)
        while watcher.is_alive():  # the next kill only once this one is over
            tick("web1 killed: waiting for it", 1)
        tick("web1 back", 2)
        kills["web node (web1 gunicorn)"] = {
            "t": t_kill,
            "end": time.monotonic(),
            "killed": len(pids),
            "back_s": back.get("s"),
        }

        # 2. a task worker
        pids = task_worker_pids(layout, "worker1")
        t_kill = time.monotonic()
        kill9(pids)
        back = {}

        def worker_back() -> bool:
            now = task_worker_pids(layout, "worker1")
            return bool(now) and not set(now) & set(pids) and all(cluster._alive(p) for p in now)

        watcher = threading.Thread(target=lambda: back.update(s=poll(worker_back, phase + 60)), daemon=True)
        watcher.start()
        tick("worker1 killed", phase)
        while watcher.is_alive():
            tick("worker1 killed: waiting for it", 1)
        kills["task worker (worker1)"] = {
            "t": t_kill,
            "end": time.monotonic(),
            "killed": len(pids),
            "back_s": back.get("s"),
        }

        # 3. the PostgreSQL primary: keeper + postmaster + backends, so that nothing restarts it
        old = cluster.current_primary(layout)
        assert old, "no primary before the kill"
        name = old[0]
        keeper = cluster.read_pid(layout, name)
        pids = [p for p in [keeper, *cluster.descendants(keeper or 0), cluster.postmaster_pid(layout, name)] if p]
        t_kill = time.monotonic()
        kill9(pids)
        bar.update(task, description=f"primary {name} killed: waiting for the promotion")

        def promoted() -> bool:
            now = cluster.current_primary(layout)
            return bool(now) and now[0] != name

        promoted_s = poll(promoted, 120, 0.2)
        t_first = poll(lambda: any(t > t_kill for t in list(st.acked.values())), 120, 0.1)
        tick(f"primary {name} killed, promoted in {promoted_s}", after_promotion)
        bar.update(task, description=f"{name} restarted: rejoining as standby")
        t_restart = time.monotonic()
        cluster.start_node(layout, name, say=lambda s: None)

        def rejoined() -> bool:
            return any(n["name"] == name and n["reported"] == "secondary" for n in cluster.monitor_state(layout))

        rejoin = {}
        watcher = threading.Thread(target=lambda: rejoin.update(s=poll(rejoined, 240, 0.5)), daemon=True)
        watcher.start()
        while watcher.is_alive():
            tick(f"{name} rejoining as standby", 1)
        tick("after the rejoin", settle)
        kills[f"PostgreSQL primary ({name})"] = {
            "t": t_kill,
            "end": time.monotonic(),
            "killed": len(pids),
            "promoted_s": promoted_s,
            "first_ack_s": t_first,
            "rejoined_s": rejoin.get("s"),
            "restart_at_s": round(t_restart - t_kill, 1),
        }
        stop.set()
        bar.update(task, description="clients finishing their last filings")
        for t in threads:
            t.join(timeout=args.deadline + 30)
        t_end = time.monotonic()

        bar.update(task, description="ledger: sync + checkpoint; counting")
        admin(layout, "ledger", "sync")
        admin(layout, "ledger", "checkpoint")
        rows = db_rows(layout, run_id)
        per_key = collections.Counter(desc.rsplit(" ", 1)[-1] for _num, desc in rows)
        acked = set(st.acked)
        missing = sorted(acked - set(per_key))
        same_key_dups = sum(c - 1 for c in per_key.values() if c > 1)
        over_keys = max(0, len(rows) - len(st.sent_keys))
        bar.update(task, description="gongzhi verify --full")
        vkey = admin(layout, "ledger", "verifier-key").strip().splitlines()[-1]
        verify = subprocess.run(
            [sys.executable, "-m", "gongzhi.cli", "verify", "--full", "--key", vkey, f"{layout.base_url}/ledger/"],
            env=cluster.app_env(layout, "admin"),
            capture_output=True,
            text=True,
            timeout=900,
        )
    times = sorted(st.acked.values())
    results.update(
        {
            "run_id": run_id,
            "seconds_of_load": round(t_end - t_load, 1),
            "filings_sent": len(st.sent_keys),
            "acknowledged": len(acked),
            "acknowledged_missing": len(missing),
            "missing_keys": missing[:20],
            "duplicated": same_key_dups + over_keys,
            "duplicated_same_key": same_key_dups,
            "requests_beyond_keys": over_keys,
            "requests_in_db": len(rows),
            "attempts": st.attempts,
            "retries": st.retries,
            "given_up": st.given_up,
            "rejected": dict(st.rejected),
            "verify_ok": verify.returncode == 0,
            "verify_output": (verify.stdout + verify.stderr).strip()[-1500:],
            "total_s": round(time.monotonic() - t_start, 1),
        }
    )
    for label, k in kills.items():
        k["longest_gap_s"] = round(longest_gap(times, k["t"], k["end"]), 2)
        results.setdefault("kills", {})[label] = {key: v for key, v in k.items() if key not in ("t", "end")}

    table = Table(
        title=f"Failover bench ({results['version']}): {args.clients} clients, {rate:g} filings/s through nginx, "
        f"{results['seconds_of_load']:.0f} s of load"
    )
    table.add_column("measure")
    table.add_column("value")
    table.add_column("goal")
    table.add_row("filings sent (distinct Idempotency-Keys)", f"{len(st.sent_keys):,}", "")
    table.add_row(
        "acknowledged (201)",
        f"{len(acked):,} ({st.attempts:,} attempts, {st.retries:,} retries, {st.given_up} given up, rejected {dict(st.rejected) or 0})",
        "",
    )
    table.add_row("acknowledged but missing afterwards", str(len(missing)), "0")
    table.add_row(
        "duplicated",
        f"{same_key_dups + over_keys} (one key → several requests: {same_key_dups}; requests beyond keys: {over_keys}; "
        f"{len(rows):,} requests in the database)",
        "0",
    )
    for label, k in results["kills"].items():
        line = f"longest without a filing {k['longest_gap_s']:.2f} s"
        if "back_s" in k:
            line += (
                f"; came back in {k['back_s']:.1f} s" if k["back_s"] is not None else "; did NOT come back"
            ) + f" ({k['killed']} processes killed)"
        else:
            promoted = f"{k['promoted_s']:.1f} s" if k["promoted_s"] is not None else "NOT promoted"
            first = f"{k['first_ack_s']:.1f} s" if k["first_ack_s"] is not None else "never"
            rejoined = f"{k['rejoined_s']:.1f} s after its restart" if k["rejoined_s"] is not None else "did NOT rejoin"
            line += f"; standby promoted after {promoted}; first filing after the kill {first}; old primary rejoined {rejoined}"
        table.add_row(f"kill -9: {label}", line, "")
    table.add_row("gongzhi verify --full (public ledger)", "passes" if verify.returncode == 0 else "FAILS", "passes")
    table.add_row(
        "cluster up",
        f"{results['cluster_up_s']} s" if isinstance(results["cluster_up_s"], float) else results["cluster_up_s"],
        "",
    )
    load = os.getloadavg()
    table.add_row("load average (1/5/15 min) at the end", f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}", "")
    console.print(table)
    if verify.returncode:
        console.print(results["verify_output"])
    ok = not missing and same_key_dups + over_keys == 0 and verify.returncode == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
