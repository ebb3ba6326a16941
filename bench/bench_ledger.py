"""Benchmark the public record (gongzhi.ledger) against pymerkle, measured in the same run.

Figures:

1. Batched append rate through ``append_events`` (canonical JSON entry, leaf hash,
   every completed subtree hash, one transaction per batch) on SQLite and PostgreSQL.
   Peer: pymerkle's ``SqliteTree.append_entries`` (its bulk append) on the same entries.
2. Inclusion and consistency proof time at 10 million leaves, from the in-memory
   hash store (``MemoryHashStore``: every complete subtree hash, 640 MB at 10M).
   The database store is measured too, at the size of the append run.
3. Peer on proofs: pymerkle's ``InmemoryTree`` at ``--pymerkle-leaves`` (1M by
   default: pymerkle needs ~400 bytes and ~20 µs per leaf, so 10M would take ~4 GB
   and several minutes), with our in-memory store at the same size for the ratio.

Usage::

    .venv/bin/python bench/bench_ledger.py                 # full run (~3-4 minutes)
    .venv/bin/python bench/bench_ledger.py --quick         # small sizes, smoke test

PostgreSQL: ``--pg-url postgresql://127.0.0.1:5432/test`` (default); the script
creates and drops its own scratch database.  ``--skip-postgres`` leaves it out.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

console = Console(stderr=True)


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def make_events(n: int, seed: int = 0):
    from gongzhi.ledger.services import LedgerEvent

    kinds = ["request.state_changed", "vote.tallied", "rating.given", "alliance.approved", "points.awarded"]
    when = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    return [
        LedgerEvent(
            event_id=uuid.UUID(int=(seed << 64) | i),
            type=kinds[i % 5],
            occurred_at=when,
            aggregate_type=kinds[i % 5].split(".")[0],
            aggregate_id=str(i // 3),
            payload={"state": "accepted", "count": i % 97, "personal": {"name": "居民", "phone": "13800000000"}},
            region_code="320102001001",
        )
        for i in range(n)
    ]


# --------------------------------------------------------------------------- child: one database backend


def child_append(backend: str, url: str, leaves: int, batch: int, queries: int) -> None:
    """Runs in a fresh process so that Django is configured for one database."""
    tmp = tempfile.mkdtemp(prefix="gongzhi-bench-ledger-")
    os.environ["GONGZHI_VAR_DIR"] = tmp
    os.environ["DATABASE_URL"] = url if backend == "postgresql" else f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "gongzhi.settings"
    from gongzhi.ledger.note import Signer

    os.environ["GONGZHI_LEDGER_KEY"] = Signer.generate("bench.local/ledger").to_key()
    import django

    django.setup()
    from django.core.management import call_command

    from gongzhi.ledger import merkle, services
    from gongzhi.ledger.models import Leaf

    call_command("migrate", "ledger", verbosity=0)
    events = make_events(leaves)
    # Time spent building canonical entries, to report the tree-and-storage part alone.
    build_time = [0.0]
    build_entry = services.build_entry

    def timed_build_entry(*a, **k):
        t0 = time.perf_counter()
        try:
            return build_entry(*a, **k)
        finally:
            build_time[0] += time.perf_counter() - t0

    services.build_entry = timed_build_entry
    elapsed = 0.0
    with progress() as bar:
        task = bar.add_task(f"append_events on {backend}", total=leaves)
        for start in range(0, leaves, batch):
            chunk = events[start : start + batch]
            t = time.perf_counter()
            services.append_events(chunk)
            elapsed += time.perf_counter() - t
            bar.advance(task, len(chunk))
    services.build_entry = build_entry
    t = time.perf_counter()
    services.sign_checkpoint()
    sign_ms = (time.perf_counter() - t) * 1000
    # Re-delivering a batch must cost little and append nothing.
    t = time.perf_counter()
    again = services.append_events(events[:batch])
    redeliver = time.perf_counter() - t
    assert not again.appended
    rng = random.Random(1)
    n = leaves
    t = time.perf_counter()
    for _ in range(queries):
        merkle.inclusion_proof(rng.randrange(n), n, services.store)
    incl = (time.perf_counter() - t) / queries * 1000
    t = time.perf_counter()
    for _ in range(queries):
        merkle.consistency_proof(rng.randrange(1, n), n, services.store)
    cons = (time.perf_counter() - t) / queries * 1000
    entries = [bytes(e) for e in Leaf.objects.order_by("index").values_list("entry", flat=True)]
    Path(tmp, "entries.json").write_text(json.dumps([e.decode() for e in entries]))
    print(
        json.dumps(
            {
                "backend": backend,
                "leaves": leaves,
                "rate": leaves / elapsed,
                "storage_rate": leaves / (elapsed - build_time[0]),
                "build_us": build_time[0] / leaves * 1e6,
                "sign_ms": sign_ms,
                "redeliver_rate": batch / redeliver,
                "db_incl_ms": incl,
                "db_cons_ms": cons,
                "root": services.head()[1].hex(),
                "entries_file": str(Path(tmp, "entries.json")),
            }
        )
    )


def run_child(backend: str, args) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        backend,
        "--append-leaves",
        str(args.append_leaves),
        "--batch",
        str(args.batch),
        "--queries",
        str(args.db_queries),
        "--pg-url",
        args.child_url or args.pg_url,
    ]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def scratch_postgres(pg_url: str):
    """Create a scratch database next to ``pg_url``; returns (url, drop)."""
    import psycopg

    name = f"gongzhi_bench_ledger_{os.getpid()}"
    admin = psycopg.connect(pg_url, autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    base = pg_url.rsplit("/", 1)[0]

    def drop():
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return f"{base}/{name}", drop


# --------------------------------------------------------------------------- in-memory proofs and pymerkle


def time_proofs(store, n: int, queries: int, seed: int = 2):
    from gongzhi.ledger import merkle

    rng = random.Random(seed)
    idx = [rng.randrange(n) for _ in range(queries)]
    old = [rng.randrange(1, n) for _ in range(queries)]
    t = time.perf_counter()
    incl = [merkle.inclusion_proof(i, n, store) for i in idx]
    incl_ms = (time.perf_counter() - t) / queries * 1000
    t = time.perf_counter()
    cons = [merkle.consistency_proof(m, n, store) for m in old]
    cons_ms = (time.perf_counter() - t) / queries * 1000
    root = store.root(n)
    t = time.perf_counter()
    for i, p in zip(idx, incl, strict=True):
        merkle.verify_inclusion(i, n, store.get(0, i), p, root)
    vincl_ms = (time.perf_counter() - t) / queries * 1000
    roots = {m: store.root(m) for m in old}
    t = time.perf_counter()
    for m, p in zip(old, cons, strict=True):
        merkle.verify_consistency(m, n, p, roots[m], root)
    vcons_ms = (time.perf_counter() - t) / queries * 1000
    return incl_ms, cons_ms, vincl_ms, vcons_ms


def build_memory_store(n: int, label: str):
    from gongzhi.ledger import merkle

    store = merkle.MemoryHashStore()
    step = 100_000
    t = time.perf_counter()
    with progress() as bar:
        task = bar.add_task(label, total=n)
        for start in range(0, n, step):
            stop = min(n, start + step)
            store.extend(merkle.leaf_hash(b"entry %d" % i) for i in range(start, stop))
            bar.advance(task, stop - start)
    return store, n / (time.perf_counter() - t)


def bench_pymerkle(n: int, queries: int):
    from pymerkle import InmemoryTree

    tree = InmemoryTree()
    t = time.perf_counter()
    with progress() as bar:
        task = bar.add_task(f"pymerkle InmemoryTree, {n:,} leaves", total=n)
        for start in range(0, n, 100_000):
            stop = min(n, start + 100_000)
            for i in range(start, stop):
                tree.append_entry(b"entry %d" % i)
            bar.advance(task, stop - start)
    rate = n / (time.perf_counter() - t)
    rng = random.Random(2)
    idx = [rng.randrange(n) for _ in range(queries)]
    old = [rng.randrange(1, n) for _ in range(queries)]
    t = time.perf_counter()
    for i in idx:
        tree.prove_inclusion(i + 1, n)  # pymerkle counts leaves from one
    incl_ms = (time.perf_counter() - t) / queries * 1000
    t = time.perf_counter()
    for m in old:
        tree.prove_consistency(m, n)
    cons_ms = (time.perf_counter() - t) / queries * 1000
    return tree, rate, incl_ms, cons_ms


def bench_pymerkle_sqlite_append(entries: list[bytes]) -> float:
    from pymerkle import SqliteTree

    with tempfile.TemporaryDirectory() as tmp:
        tree = SqliteTree(os.path.join(tmp, "pymerkle.db"))
        t = time.perf_counter()
        tree.append_entries(entries)
        rate = len(entries) / (time.perf_counter() - t)
        tree.close()
    return rate


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--append-leaves", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--proof-leaves", type=int, default=10_000_000)
    ap.add_argument("--pymerkle-leaves", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=5000)
    ap.add_argument("--db-queries", type=int, default=500)
    ap.add_argument("--pg-url", default="postgresql://127.0.0.1:5432/test")
    ap.add_argument("--skip-postgres", action="store_true")
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-url", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_append(args.child, args.pg_url, args.append_leaves, args.batch, args.queries)
        return
    if args.quick:
        args.append_leaves, args.proof_leaves, args.pymerkle_leaves, args.queries = 5000, 200_000, 50_000, 500

    results: list[tuple[str, str, str, str]] = []
    load_before = os.getloadavg()[0]
    from gongzhi.ledger import merkle

    # 1. Appends on databases, with pymerkle's SQLite bulk append on the same entries.
    db = {}
    db["sqlite"] = run_child("sqlite", args)
    if not args.skip_postgres:
        url, drop = scratch_postgres(args.pg_url)
        try:
            args.child_url = url
            db["postgresql"] = run_child("postgresql", args)
        finally:
            args.child_url = None
            drop()
    entries = [e.encode() for e in json.loads(Path(db["sqlite"]["entries_file"]).read_text())]
    assert merkle.root_from_leaves(merkle.leaf_hash(e) for e in entries).hex() == db["sqlite"]["root"]
    pm_sqlite = bench_pymerkle_sqlite_append(entries)
    for name, r in db.items():
        results.append(
            (
                f"append_events, {name}, batches of {args.batch}",
                f"{r['rate']:,.0f} leaves/s",
                f"pymerkle SqliteTree.append_entries {pm_sqlite:,.0f} leaves/s",
                f"{r['rate'] / pm_sqlite:.2f}×",
            )
        )
    for name, r in db.items():
        results.append(
            (
                f"  of which tree + storage only, {name}",
                f"{r['storage_rate']:,.0f} leaves/s",
                f"(building entries: {r['build_us']:.1f} µs/leaf)",
                f"{r['storage_rate'] / pm_sqlite:.2f}×",
            )
        )
    for name, r in db.items():
        results.append((f"inclusion proof from {name} ({r['leaves']:,} leaves)", f"{r['db_incl_ms']:.3f} ms", "", ""))
        results.append((f"consistency proof from {name}", f"{r['db_cons_ms']:.3f} ms", "", ""))
        results.append((f"sign checkpoint on {name}", f"{r['sign_ms']:.2f} ms", "", ""))

    # 2. Proofs at 10M leaves from the in-memory store.
    n = args.proof_leaves
    store, build_rate = build_memory_store(n, f"MemoryHashStore, {n:,} leaves")
    incl, cons, vincl, vcons = time_proofs(store, n, args.queries)
    results.append((f"MemoryHashStore build, {n:,} leaves", f"{build_rate:,.0f} leaves/s", "", ""))
    results.append((f"inclusion proof at {n:,} leaves", f"{incl * 1000:.1f} µs", "goal < 1 ms", ""))
    results.append((f"consistency proof at {n:,} leaves", f"{cons * 1000:.1f} µs", "goal < 1 ms", ""))
    results.append((f"verify inclusion at {n:,}", f"{vincl * 1000:.1f} µs", "", ""))
    results.append((f"verify consistency at {n:,}", f"{vcons * 1000:.1f} µs", "", ""))
    del store
    gc.collect()

    # 3. pymerkle in memory, with ours at the same size.
    p = args.pymerkle_leaves
    ours, ours_rate = build_memory_store(p, f"MemoryHashStore, {p:,} leaves")
    o_incl, o_cons, _, _ = time_proofs(ours, p, args.queries)
    tree, pm_rate, pm_incl, pm_cons = bench_pymerkle(p, min(args.queries, 2000))
    assert tree.get_root(p) == ours.root(p), "pymerkle and gongzhi.ledger disagree on the root"
    results.append(
        (f"in-memory append, {p:,} leaves", f"{ours_rate:,.0f} leaves/s", f"pymerkle {pm_rate:,.0f} leaves/s", f"{ours_rate / pm_rate:.2f}×")
    )
    results.append(
        (f"inclusion proof at {p:,}", f"{o_incl * 1000:.1f} µs", f"pymerkle {pm_incl * 1000:.1f} µs", f"{pm_incl / o_incl:.2f}× faster")
    )
    results.append(
        (f"consistency proof at {p:,}", f"{o_cons * 1000:.1f} µs", f"pymerkle {pm_cons * 1000:.1f} µs", f"{pm_cons / o_cons:.2f}× faster")
    )

    table = Table(
        title="gongzhi.ledger vs pymerkle (same run)",
        caption=f"{os.cpu_count()} CPUs; 1-minute load average {load_before:.1f} at start, "
        f"{os.getloadavg()[0]:.1f} at end (other processes slow every figure alike)",
    )
    for col in ("measure", "gongzhi.ledger", "peer", "ratio"):
        table.add_column(col)
    for row in results:
        table.add_row(*row)
    Console().print(table)


if __name__ == "__main__":
    main()
