"""Benchmark the public record (gongzhi.ledger) against pymerkle, measured in the same run.

Figures:

1. Batched append rate through ``append_events(batch, sign=True)``, end to end: events
   → canonical JSON entries (RFC 8785, salted commitments) → RFC 9162 leaf hashes →
   leaves and every completed subtree hash stored → one signed checkpoint per batch,
   one transaction per batch, on SQLite and PostgreSQL.  Besides the wall-clock rate
   it reports the CPU time per leaf of the appending process (``time.process_time``)
   and, for a local PostgreSQL, of its server backend (from ``/proc``): these stay
   meaningful when other jobs load the machine.
   Peer: pymerkle's ``SqliteTree.append_entries`` (its bulk append) on the same entries,
   wall clock and CPU, in the same run.
2. Inclusion and consistency proof time at 10 million leaves (p50/p95 per proof,
   proofs/s), from the in-memory hash store (``MemoryHashStore``: every complete subtree
   hash, 640 MB at 10M) and, on the same tree in the same run, from PostgreSQL's
   ``DbHashStore``: a scratch database whose ledger tables PostgreSQL fills set-based
   (``sha256()``; ~7 minutes at 10M under load); the root must match, every database
   proof must equal the memory store's, and those checked verify against the root.
   The database stores are also measured at the size of the append run.
3. Peer on proofs: pymerkle's ``InmemoryTree`` at ``--pymerkle-leaves`` (1M by
   default: pymerkle needs ~400 bytes and ~20 µs per leaf, so 10M would take ~4 GB
   and several minutes), with our in-memory store at the same size for the ratio.

Usage::

    .venv/bin/python bench/bench_ledger.py                 # full run (~3-4 minutes)
    .venv/bin/python bench/bench_ledger.py --quick         # small sizes, smoke test
    .venv/bin/python bench/bench_ledger.py --appends-only  # only the database appends (and pymerkle's)
    .venv/bin/python bench/bench_ledger.py --proofs-only   # only the proofs at 10M, memory and PostgreSQL
    .venv/bin/python bench/bench_ledger.py --random-ids    # uuid4-like event ids (random index inserts)

    # every leaf of a real database against rfc8785 and its outbox event:
    GONGZHI_VAR_DIR=/tmp/d gongzhi migrate && GONGZHI_VAR_DIR=/tmp/d gongzhi demo \\
      && GONGZHI_VAR_DIR=/tmp/d gongzhi ledger sync \\
      && GONGZHI_VAR_DIR=/tmp/d .venv/bin/python bench/bench_ledger.py --check-entries

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


def make_events(n: int, seed: int = 0, random_ids: bool = False):
    """``n`` events like the outbox delivers (sequential ids, or uuid4-like with ``random_ids``)."""
    from gongzhi.ledger.services import LedgerEvent

    rng = random.Random(seed)

    kinds = ["request.state_changed", "vote.tallied", "rating.given", "alliance.approved", "points.awarded"]
    when = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    return [
        LedgerEvent(
            event_id=uuid.UUID(int=rng.getrandbits(128), version=4) if random_ids else uuid.UUID(int=(seed << 64) | i),
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


def _backend_cpu(pid: int | None) -> float:
    """CPU seconds used so far by a local process (the PostgreSQL backend), 0 if unknown."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_append(backend: str, url: str, leaves: int, batch: int, queries: int, random_ids: bool = False) -> None:
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
    from django.db import connection

    from gongzhi.ledger import merkle, services
    from gongzhi.ledger.models import Leaf, SignedCheckpoint

    call_command("migrate", "ledger", verbosity=0)
    events = make_events(leaves, random_ids=random_ids)
    connection.ensure_connection()
    server_pid = None
    if backend == "postgresql":
        server_pid = connection.connection.info.backend_pid
        if not Path(f"/proc/{server_pid}/stat").exists():  # not a local server
            server_pid = None
    # Time spent building canonical entries, to report the tree-and-storage part alone.
    # (The timing wrapper costs about 0.5 µs per leaf, counted in the headline figures.)
    build_time = [0.0, 0.0]  # wall, CPU
    entries_fn = services.bulk._iter_entries

    def timed_entries(*a, **k):
        it = entries_fn(*a, **k)
        while True:
            t0 = time.perf_counter()
            c0 = time.process_time()
            try:
                item = next(it)
            except StopIteration:
                return
            finally:
                build_time[0] += time.perf_counter() - t0
                build_time[1] += time.process_time() - c0
            yield item

    # PostgreSQL's COPY path calls bulk._iter_entries; SQLite's goes through entries._entries.
    services.bulk._iter_entries = services.entries._iter_entries = timed_entries
    elapsed = cpu = server = 0.0
    load_start = os.getloadavg()[0]
    with progress() as bar:
        task = bar.add_task(f"append_events on {backend}", total=leaves)
        for start in range(0, leaves, batch):
            chunk = events[start : start + batch]
            s0 = _backend_cpu(server_pid)
            c0 = time.process_time()
            t = time.perf_counter()
            services.append_events(chunk, sign=True)
            elapsed += time.perf_counter() - t
            cpu += time.process_time() - c0
            server += _backend_cpu(server_pid) - s0
            bar.advance(task, len(chunk))
    load_end = os.getloadavg()[0]
    services.bulk._iter_entries = services.entries._iter_entries = entries_fn
    checkpoints = SignedCheckpoint.objects.count()
    assert checkpoints == (leaves + batch - 1) // batch, checkpoints
    t = time.perf_counter()
    services.sign_checkpoint()
    sign_ms = (time.perf_counter() - t) * 1000
    # Re-delivering a batch must cost little and append nothing.
    t = time.perf_counter()
    again = services.append_events(events[:batch], sign=True)
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
                "cpu_us": cpu / leaves * 1e6,
                "server_cpu_us": server / leaves * 1e6 if server_pid else None,
                "storage_rate": leaves / (elapsed - build_time[0]),
                "build_us": build_time[0] / leaves * 1e6,
                "build_cpu_us": build_time[1] / leaves * 1e6,
                "checkpoints": checkpoints,
                "sign_ms": sign_ms,
                "redeliver_rate": batch / redeliver,
                "db_incl_ms": incl,
                "db_cons_ms": cons,
                "root": services.head()[1].hex(),
                "entries_file": str(Path(tmp, "entries.json")),
                "load": [load_start, load_end],
            }
        )
    )


def _fill_postgres(cur, n: int, bar, task) -> dict[str, float]:
    """Fill ``ledger_leaf`` and ``ledger_node`` with the tree of ``n`` leaves ``b"entry %d"``, set-based.

    Everything is computed by PostgreSQL itself (``sha256()``), independently of the Python tree:
    leaves by ``generate_series``, then each level of complete subtrees from the one below by a
    join of left and right children.  The unique and secondary indexes are dropped for the load and
    created again with their own definitions afterwards (the schema the ledger's ``DbHashStore``
    reads is the migrated one).  Returns seconds per step.
    """
    from gongzhi.ledger.models import Leaf, Node

    leaf, node = Leaf._meta.db_table, Node._meta.db_table
    steps: dict[str, float] = {}
    saved = []
    for table in (leaf, node):
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'u'",
            [table],
        )
        for name, definition in cur.fetchall():
            saved.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        cur.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [table],
        )
        for name, definition in cur.fetchall():
            saved.append(definition)
            cur.execute(f'DROP INDEX "{name}"')
    cur.execute("SET maintenance_work_mem = '1GB'")
    cur.execute("SET work_mem = '256MB'")
    t = time.perf_counter()
    step = 1_000_000
    for start in range(0, n, step):
        stop = min(n, start + step)
        cur.execute(
            f'INSERT INTO "{leaf}" (index, event_id, event_type, record, occurred_at, entry, leaf_hash, salts, '
            "appended_at) SELECT i, lpad(to_hex(i), 32, '0')::uuid, 'bench.leaf', 'bench:' || i, "
            "'2026-11-22 03:00:00+00', convert_to('entry ' || i, 'UTF8'), "
            "sha256('\\x00'::bytea || convert_to('entry ' || i, 'UTF8')), '{}', now() "
            "FROM generate_series(%s::bigint, %s::bigint) AS i",
            [start, stop - 1],
        )
        bar.advance(task, stop - start)
    steps["leaves"] = time.perf_counter() - t
    t = time.perf_counter()
    level, width = 1, n // 2
    while width:
        if level == 1:
            src = f'SELECT index, leaf_hash AS hash FROM "{leaf}"'
        else:
            src = f'SELECT index, hash FROM "{node}" WHERE level = {level - 1}'
        cur.execute(
            f'INSERT INTO "{node}" (level, index, hash) '
            f"SELECT %s, a.index / 2, sha256('\\x01'::bytea || a.hash || b.hash) "
            f"FROM ({src}) a JOIN ({src}) b ON b.index = a.index + 1 WHERE a.index %% 2 = 0",
            [level],
        )
        assert cur.rowcount == width, (level, cur.rowcount, width)
        bar.advance(task, width)
        level, width = level + 1, width // 2
    steps["subtrees"] = time.perf_counter() - t
    t = time.perf_counter()
    for statement in saved:
        cur.execute(statement)
    cur.execute(f'ANALYZE "{leaf}"')
    cur.execute(f'ANALYZE "{node}"')
    steps["indexes"] = time.perf_counter() - t
    return steps


def child_proofs(url: str, n: int, queries: int, db_queries: int) -> None:
    """Proofs at ``n`` leaves from MemoryHashStore and from PostgreSQL's DbHashStore, same tree, same run."""
    tmp = tempfile.mkdtemp(prefix="gongzhi-bench-ledger-")
    os.environ["GONGZHI_VAR_DIR"] = tmp
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "gongzhi.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from gongzhi.ledger import merkle, services

    call_command("migrate", "ledger", verbosity=0)
    load = [os.getloadavg()[0]]
    mem, build_rate = build_memory_store(n, f"MemoryHashStore, {n:,} leaves")
    root = mem.root(n)
    rng = random.Random(2)
    idx = [rng.randrange(n) for _ in range(queries)]
    old = [rng.randrange(1, n) for _ in range(queries)]
    mem_incl = _timed(lambda i: merkle.inclusion_proof(i, n, mem), idx)
    mem_cons = _timed(lambda m: merkle.consistency_proof(m, n, mem), old)
    vincl_ms, vcons_ms = _verify_times(mem, n, idx, old, mem_incl[1], mem_cons[1], root)
    load.append(os.getloadavg()[0])

    upper = sum(n >> lv for lv in range(1, n.bit_length()))
    with progress() as bar:
        task = bar.add_task(f"PostgreSQL: {n:,} leaves and {upper:,} subtree hashes, set-based", total=n + upper)
        with transaction.atomic(), connection.cursor() as cur:
            steps = _fill_postgres(cur, n, bar, task)
    with connection.cursor() as cur:
        # As a long-lived log is: vacuumed (hint bits set, visibility map), so that neither the
        # first reads of fresh rows nor autovacuum of 10M new rows is timed with the proofs.
        t = time.perf_counter()
        cur.execute("VACUUM (ANALYZE) ledger_leaf, ledger_node")
        steps["vacuum"] = time.perf_counter() - t
        cur.execute("SELECT pg_total_relation_size('ledger_leaf'), pg_total_relation_size('ledger_node')")
        sizes = cur.fetchone()
    db = services.store
    assert db.root(n) == root, "PostgreSQL's subtree hashes give another root than MemoryHashStore"
    load.append(os.getloadavg()[0])
    # The database's proofs must be the memory store's, and verify against the root.
    di, do = idx[:db_queries], old[:db_queries]
    warm = random.Random(3)  # other leaves than the measured ones: warms the connection, not their pages
    _timed(lambda i: merkle.inclusion_proof(i, n, db), [warm.randrange(n) for _ in range(50)])
    db_incl = _timed(lambda i: merkle.inclusion_proof(i, n, db), di)
    db_cons = _timed(lambda m: merkle.consistency_proof(m, n, db), do)
    assert db_incl[1] == mem_incl[1][: len(di)], "inclusion proofs differ between PostgreSQL and memory"
    assert db_cons[1] == mem_cons[1][: len(do)], "consistency proofs differ between PostgreSQL and memory"
    checked = 0
    for i, p in zip(di, db_incl[1], strict=True):
        merkle.verify_inclusion(i, n, mem.get(0, i), p, root)
        checked += 1
    for m, p in zip(do[:200], db_cons[1], strict=False):
        merkle.verify_consistency(m, n, p, db.root(m), root)
        checked += 1
    load.append(os.getloadavg()[0])
    print(
        json.dumps(
            {
                "leaves": n,
                "build_rate": build_rate,
                "mem_incl": mem_incl[0],
                "mem_cons": mem_cons[0],
                "vincl_ms": vincl_ms,
                "vcons_ms": vcons_ms,
                "db_incl": db_incl[0],
                "db_cons": db_cons[0],
                "db_queries": len(di),
                "queries": queries,
                "fill": steps,
                "sizes_mb": [s / 2**20 for s in sizes],
                "verified": checked,
                "load": load,
            }
        )
    )


def _timed(fn, args) -> tuple[dict[str, float], list]:
    """Per-call wall times of ``fn`` over ``args``: p50/p95/mean in ms and proofs/s; and the results."""
    times, out = [], []
    for a in args:
        t = time.perf_counter()
        out.append(fn(a))
        times.append(time.perf_counter() - t)
    times.sort()
    total = sum(times)
    figures = {
        "p50_ms": times[len(times) // 2] * 1000,
        "p95_ms": times[int(len(times) * 0.95)] * 1000,
        "mean_ms": total / len(times) * 1000,
        "per_s": len(times) / total,
    }
    return figures, out


def _verify_times(store, n, idx, old, incl, cons, root) -> tuple[float, float]:
    from gongzhi.ledger import merkle

    t = time.perf_counter()
    for i, p in zip(idx, incl, strict=True):
        merkle.verify_inclusion(i, n, store.get(0, i), p, root)
    vincl_ms = (time.perf_counter() - t) / len(idx) * 1000
    roots = {m: store.root(m) for m in old}
    t = time.perf_counter()
    for m, p in zip(old, cons, strict=True):
        merkle.verify_consistency(m, n, p, roots[m], root)
    vcons_ms = (time.perf_counter() - t) / len(old) * 1000
    return vincl_ms, vcons_ms


def run_proofs_child(url: str, args) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        "proofs",
        "--proof-leaves",
        str(args.proof_leaves),
        "--queries",
        str(args.queries),
        "--db-queries",
        str(args.db_proof_queries),
        "--pg-url",
        url,
    ]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


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
        *(["--random-ids"] if args.random_ids else []),
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


def bench_pymerkle_sqlite_append(entries: list[bytes]) -> tuple[float, float]:
    """pymerkle's bulk append on SQLite: (leaves/s, CPU µs per leaf)."""
    from pymerkle import SqliteTree

    with tempfile.TemporaryDirectory() as tmp:
        tree = SqliteTree(os.path.join(tmp, "pymerkle.db"))
        c = time.process_time()
        t = time.perf_counter()
        tree.append_entries(entries)
        rate = len(entries) / (time.perf_counter() - t)
        cpu_us = (time.process_time() - c) / len(entries) * 1e6
        tree.close()
    return rate, cpu_us


# --------------------------------------------------------------------------- real entries


def _reference_projection(event_type: str, payload: dict, salts: dict) -> dict:
    """The public ``data`` from the rule, commitments recomputed with ``rfc8785``: fields off the
    type's allow-list committed whole; inside allowed fields every string that is not a structured
    token committed where it stands (JSON Pointer of the salt: ``/data/<field>/...``)."""
    import hashlib

    import rfc8785

    from gongzhi.ledger import public_fields

    allowed = public_fields.allowed_fields(event_type) or frozenset()

    def commit(value, ptr):
        return "sha256:" + hashlib.sha256(bytes.fromhex(salts[ptr]) + rfc8785.dumps(value)).hexdigest()

    def seal(value, ptr):
        if isinstance(value, str):
            return value if public_fields.is_token(value) else commit(value, ptr)
        if isinstance(value, dict):
            if all(isinstance(k, str) and public_fields.is_token(k) for k in value):
                return {k: seal(v, ptr + "/" + k.replace("~", "~0").replace("/", "~1")) for k, v in value.items()}
            return commit(value, ptr)
        if isinstance(value, list):
            return [seal(v, f"{ptr}/{i}") for i, v in enumerate(value)]
        return value

    out = {}
    for k, v in payload.items():
        ptr = "/data/" + str(k).replace("~", "~0").replace("/", "~1")
        out[k] = seal(v, ptr) if k in allowed else commit(v, ptr)
    return out


def check_entries() -> None:
    """Check every leaf of the configured database against ``rfc8785`` and its outbox event.

    Run after ``gongzhi demo`` and ``gongzhi ledger sync`` (same ``GONGZHI_VAR_DIR`` /
    ``DATABASE_URL``): each entry must be exactly the RFC 8785 serialisation of the
    document built from the event as a plain dict, with every commitment recomputed as
    ``SHA-256(salt ‖ JCS(value))`` from the stored salt and the event's personal value.
    """
    import hashlib

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    import django

    django.setup()
    import rfc8785

    from gongzhi.core.models import Event
    from gongzhi.ledger.models import Leaf

    events = {str(e.event_id): e for e in Event.objects.select_related("region")}
    n = bad = cjk = 0
    types = set()
    for leaf in Leaf.objects.order_by("index").iterator():
        entry = bytes(leaf.entry)
        e = events[str(leaf.event_id)]
        payload = dict(e.payload or {})
        personal = dict(payload.pop("personal", None) or {})
        if e.actor_id is not None:
            personal["actor"] = f"user:{e.actor_id}"
        salts = json.loads(leaf.salts)
        version = json.loads(entry).get("v", 1)
        if version >= 2:  # data projected through gongzhi.ledger.public_fields (issue 17)
            payload = _reference_projection(e.type, payload, salts)
        expected = rfc8785.dumps(
            {
                "data": payload,
                "event_id": str(e.event_id),
                "occurred_at": e.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "personal": {
                    str(k): "sha256:" + hashlib.sha256(bytes.fromhex(salts[str(k)]) + rfc8785.dumps(v)).hexdigest()
                    for k, v in personal.items()
                },
                "record": {"id": e.aggregate_id, "type": e.aggregate_type},
                "region": e.region.code if e.region_id else None,
                "type": e.type,
                "v": version,
            }
        )
        if entry != expected or entry != rfc8785.dumps(json.loads(entry)):
            bad += 1
            console.print(f"leaf {leaf.index} differs:\n  {entry[:300]!r}\n  {expected[:300]!r}")
        cjk += any(ord(c) >= 0x2E80 for c in entry.decode())
        types.add(e.type)
        n += 1
    print(f"{n} leaves checked ({len(types)} event types, {cjk} with CJK text): {bad} differ from rfc8785")
    if bad or not n:
        sys.exit(1)


# --------------------------------------------------------------------------- main


def append_section(results: list, args) -> None:
    """1. Appends on databases, with pymerkle's SQLite bulk append on the same entries."""
    from gongzhi.ledger import merkle

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
    pm_sqlite, pm_cpu = bench_pymerkle_sqlite_append(entries)
    peer = f"pymerkle SqliteTree.append_entries {pm_sqlite:,.0f} leaves/s"
    for name, r in db.items():
        results.append(
            (
                f"append_events, {name}, batches of {args.batch}, 1 checkpoint each",
                f"{r['rate']:,.0f} leaves/s",
                peer,
                f"{r['rate'] / pm_sqlite:.2f}×",
            )
        )
    for name, r in db.items():
        server = f" + server {r['server_cpu_us']:.1f}" if r["server_cpu_us"] is not None else ""
        total = r["cpu_us"] + (r["server_cpu_us"] or 0)
        results.append(
            (
                f"  CPU per leaf, {name} (load {r['load'][0]:.1f} → {r['load'][1]:.1f})",
                f"{r['cpu_us']:.1f}{server} µs = {1e6 / total:,.0f} leaves/s of CPU",
                f"pymerkle {pm_cpu:.1f} µs",
                f"{pm_cpu / total:.2f}×",
            )
        )
    for name, r in db.items():
        results.append(
            (
                f"  of which tree + storage + checkpoint only, {name}",
                f"{r['storage_rate']:,.0f} leaves/s",
                f"(building entries: {r['build_us']:.1f} µs/leaf, CPU {r['build_cpu_us']:.1f} µs)",
                f"{r['storage_rate'] / pm_sqlite:.2f}×",
            )
        )
    for name, r in db.items():
        results.append((f"inclusion proof from {name} ({r['leaves']:,} leaves)", f"{r['db_incl_ms']:.3f} ms", "", ""))
        results.append((f"consistency proof from {name}", f"{r['db_cons_ms']:.3f} ms", "", ""))
        results.append((f"sign checkpoint on {name}", f"{r['sign_ms']:.2f} ms", "", ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--append-leaves", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--proof-leaves", type=int, default=10_000_000)
    ap.add_argument("--pymerkle-leaves", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=5000)
    ap.add_argument("--db-queries", type=int, default=500)
    ap.add_argument(
        "--db-proof-queries", type=int, default=2000, help="proofs of each kind from PostgreSQL at --proof-leaves"
    )
    ap.add_argument("--pg-url", default="postgresql://127.0.0.1:5432/test")
    ap.add_argument("--skip-postgres", action="store_true")
    ap.add_argument("--random-ids", action="store_true", help="uuid4-like event ids instead of sequential ones")
    ap.add_argument(
        "--appends-only", action="store_true", help="skip the 10M-leaf proofs and the in-memory pymerkle run"
    )
    ap.add_argument(
        "--proofs-only", action="store_true", help="only the proofs at --proof-leaves (memory and PostgreSQL)"
    )
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    ap.add_argument(
        "--check-entries", action="store_true", help="check the configured database's leaves (see check_entries)"
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-url", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.quick:
        args.db_proof_queries = min(args.db_proof_queries, 500)
    if args.check_entries:
        check_entries()
        return
    if args.child == "proofs":
        child_proofs(args.pg_url, args.proof_leaves, args.queries, args.db_queries)
        return
    if args.child:
        child_append(args.child, args.pg_url, args.append_leaves, args.batch, args.queries, args.random_ids)
        return
    if args.quick:
        args.append_leaves, args.proof_leaves, args.pymerkle_leaves, args.queries = 5000, 200_000, 50_000, 500

    results: list[tuple[str, str, str, str]] = []
    load_before = os.getloadavg()[0]

    if not args.proofs_only:
        append_section(results, args)

    if args.appends_only:
        print_table(results, load_before)
        return

    # 2. Proofs at 10M leaves: the in-memory store, and PostgreSQL's DbHashStore on the same tree.
    n = args.proof_leaves
    if args.skip_postgres:
        store, build_rate = build_memory_store(n, f"MemoryHashStore, {n:,} leaves")
        incl, cons, vincl, vcons = time_proofs(store, n, args.queries)
        results.append((f"MemoryHashStore build, {n:,} leaves", f"{build_rate:,.0f} leaves/s", "", ""))
        results.append((f"inclusion proof at {n:,} leaves", f"{incl * 1000:.1f} µs", "goal < 1 ms", ""))
        results.append((f"consistency proof at {n:,} leaves", f"{cons * 1000:.1f} µs", "goal < 1 ms", ""))
        results.append((f"verify inclusion at {n:,}", f"{vincl * 1000:.1f} µs", "", ""))
        results.append((f"verify consistency at {n:,}", f"{vcons * 1000:.1f} µs", "", ""))
        del store
        gc.collect()
    else:
        url, drop = scratch_postgres(args.pg_url)
        try:
            r = run_proofs_child(url, args)
        finally:
            drop()
        add_proof_rows(results, r)

    if args.proofs_only:
        print_table(results, load_before)
        return

    # 3. pymerkle in memory, with ours at the same size.
    p = args.pymerkle_leaves
    ours, ours_rate = build_memory_store(p, f"MemoryHashStore, {p:,} leaves")
    o_incl, o_cons, _, _ = time_proofs(ours, p, args.queries)
    tree, pm_rate, pm_incl, pm_cons = bench_pymerkle(p, min(args.queries, 2000))
    assert tree.get_root(p) == ours.root(p), "pymerkle and gongzhi.ledger disagree on the root"
    results.append(
        (
            f"in-memory append, {p:,} leaves",
            f"{ours_rate:,.0f} leaves/s",
            f"pymerkle {pm_rate:,.0f} leaves/s",
            f"{ours_rate / pm_rate:.2f}×",
        )
    )
    results.append(
        (
            f"inclusion proof at {p:,}",
            f"{o_incl * 1000:.1f} µs",
            f"pymerkle {pm_incl * 1000:.1f} µs",
            f"{pm_incl / o_incl:.2f}× faster",
        )
    )
    results.append(
        (
            f"consistency proof at {p:,}",
            f"{o_cons * 1000:.1f} µs",
            f"pymerkle {pm_cons * 1000:.1f} µs",
            f"{pm_cons / o_cons:.2f}× faster",
        )
    )

    print_table(results, load_before)


def add_proof_rows(results, r: dict) -> None:
    n = r["leaves"]
    fill = r["fill"]
    ld = r["load"]

    def fig(f: dict, unit: str = "µs") -> str:
        k = 1000 if unit == "µs" else 1
        return f"p50 {f['p50_ms'] * k:.1f} / p95 {f['p95_ms'] * k:.1f} {unit}, {f['per_s']:,.0f}/s"

    results.append(
        (
            f"MemoryHashStore build, {n:,} leaves (load {ld[0]:.1f} → {ld[1]:.1f})",
            f"{r['build_rate']:,.0f} leaves/s",
            "",
            "",
        )
    )
    results.append(
        (
            f"PostgreSQL filled set-based (load {ld[1]:.1f} → {ld[2]:.1f}): leaves / subtrees / indexes / vacuum",
            f"{fill['leaves']:.0f} / {fill['subtrees']:.0f} / {fill['indexes']:.0f} / {fill['vacuum']:.0f} s",
            f"tables {r['sizes_mb'][0]:,.0f} + {r['sizes_mb'][1]:,.0f} MB",
            "",
        )
    )
    for kind, mem, db in (("inclusion", r["mem_incl"], r["db_incl"]), ("consistency", r["mem_cons"], r["db_cons"])):
        results.append(
            (
                f"{kind} proof at {n:,} leaves, MemoryHashStore ({r['queries']:,})",
                fig(mem),
                "goal < 1 ms",
                "",
            )
        )
        results.append(
            (
                f"{kind} proof at {n:,} leaves, PostgreSQL DbHashStore ({r['db_queries']:,}; load → {ld[3]:.1f})",
                fig(db, "ms"),
                "same tree, same proofs",
                f"{db['mean_ms'] / mem['mean_ms']:.0f}× memory's time",
            )
        )
    results.append(
        (
            f"verify inclusion / consistency at {n:,}",
            f"{r['vincl_ms'] * 1000:.1f} / {r['vcons_ms'] * 1000:.1f} µs",
            "",
            "",
        )
    )
    results.append(("PostgreSQL proofs verified against the root", f"{r['verified']:,}", "", ""))


def print_table(results, load_before: float) -> None:
    table = Table(
        title="gongzhi.ledger vs pymerkle (same run)",
        caption=f"{os.cpu_count()} CPUs; 1-minute load average {load_before:.1f} at start, "
        f"{os.getloadavg()[0]:.1f} at end (other processes slow every figure alike)",
    )
    for col in ("measure", "gongzhi.ledger", "peer", "ratio"):
        table.add_column(col)
    for row in results:
        table.add_row(*row)
    Console(width=200).print(table)


if __name__ == "__main__":
    main()
