"""The outbox dispatcher on a large outbox: each subscriber reads on from its cursor's frontier
(``core.OutboxCursor``) instead of from the first event ever written.

What it does: creates a fresh PostgreSQL database (``--db``), migrates it, writes ``--events``
events (in SQL, ``generate_series``; of a type no subscriber wants), sets every subscriber's cursor
past them (frontier and settled mark, as the dispatcher leaves them), adds ``--new`` fresh events (no
subscriber wants either kind: the figure is the dispatcher's own cost), then times

- ``dispatch_pending()`` — from the cursors: reads the fresh events, then finds nothing pending;
- the baseline: the same with every frontier put back to 0, i.e. a dispatcher without a cursor,
  which reads the whole outbox (batch by batch) to find what is new.

Run: .venv/bin/python bench/bench_outbox.py [--events 1000000] [--new 100] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench_intake import recreate_db  # the sibling bench's (run as a script, bench/ is on the path)
from rich.console import Console
from rich.progress import Progress
from rich.table import Table


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default=os.environ.get("BENCH_PG", "postgresql://127.0.0.1:5432"))
    ap.add_argument("--db", default="gongzhi_bench_outbox")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--new", type=int, default=100, help="fresh events written before each timed dispatch")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = ap.parse_args()
    console = Console()
    var = tempfile.mkdtemp(prefix="gongzhi-bench-outbox-")
    os.environ.update(
        DATABASE_URL=f"{args.server}/{args.db}",
        GONGZHI_VAR_DIR=var,
        DJANGO_SETTINGS_MODULE="gongzhi.settings",
        GONGZHI_TASKS="immediate",
    )
    with Progress(console=console, transient=True) as bar:
        t = bar.add_task("database", total=None)
        recreate_db(args.server, args.db)
        subprocess.run([sys.executable, "-m", "gongzhi.cli", "migrate", "--noinput", "-v0"], check=True, env=os.environ)
        import django

        django.setup()
        from django.db import connection, transaction
        from django.utils import timezone

        from gongzhi.core import events
        from gongzhi.core.models import Event, OutboxCursor

        names = sorted(events.subscribers())
        bar.update(t, description=f"{args.events:,} events, delivered to {len(names)} subscribers")
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO core_event (event_id, type, occurred_at, aggregate_type, aggregate_id, payload, "
                "public) SELECT gen_random_uuid(), 'bench.loaded', now(), 'bench', g::text, '{}', false "
                "FROM generate_series(1, %s) g",
                [args.events],
            )
            for name in names:
                cur.execute(
                    "INSERT INTO core_outboxcursor (subscriber, through_seq, frontier_seq, holes, version) "
                    "SELECT %s, max(seq), max(seq), '[]', 0 FROM core_event",
                    [name],
                )
            cur.execute("ANALYZE core_event")
        settle = dt.timedelta(seconds=int(os.environ.get("GONGZHI_OUTBOX_SETTLE_SECONDS", "3600")))
        now = timezone.now()
        bar.update(t, description="cursors settle (the one full search, when a cursor is first set)")
        t0 = time.perf_counter()
        events.dispatch_pending(now=now)
        events.dispatch_pending(now=now + settle)
        first = time.perf_counter() - t0

        def fresh():
            with transaction.atomic():
                Event.objects.bulk_create(
                    [
                        Event(
                            type="bench.fresh",
                            occurred_at=timezone.now(),
                            aggregate_type="bench",
                            aggregate_id=str(i),
                            payload={},
                            public=False,
                        )
                        for i in range(args.new)
                    ]
                )

        timings = {k: [] for k in ("cursor", "rescan", "cursor_idle", "rescan_idle")}
        for i in range(args.repeat):
            bar.update(t, description=f"timed dispatches {i + 1}/{args.repeat}")
            for label in ("cursor", "rescan"):
                fresh()
                if label == "rescan":
                    OutboxCursor.objects.update(frontier_seq=0, holes=[])
                t0 = time.perf_counter()
                events.dispatch_pending(now=now + settle)
                timings[label].append(time.perf_counter() - t0)
                if label == "rescan":
                    OutboxCursor.objects.update(frontier_seq=0, holes=[])
                t0 = time.perf_counter()
                events.dispatch_pending(now=now + settle)
                timings[label + "_idle"].append(time.perf_counter() - t0)
                top = Event.objects.order_by("-seq").values_list("seq", flat=True).first()
                OutboxCursor.objects.update(frontier_seq=top, holes=[])
        connection.close()
    if not args.keep:
        recreate_db(args.server, args.db)
    ms = {k: statistics.median(v) * 1000 for k, v in timings.items()}
    table = Table(
        title=f"Outbox dispatch: {args.events:,} delivered events × {len(names)} subscribers, median of {args.repeat}"
    )
    for c in ("dispatch pass", "from the cursors (ms)", "without a cursor, from the first event (ms)", "ratio"):
        table.add_column(c)
    for key, what in (("_idle", "nothing pending"), ("", f"{args.new} fresh events")):
        table.add_row(
            what,
            f"{ms['cursor' + key]:.1f}",
            f"{ms['rescan' + key]:.1f}",
            f"{ms['rescan' + key] / ms['cursor' + key]:.0f}×",
        )
    console.print(table)
    load = os.getloadavg()
    console.print(
        f"first pass after the cursors are created (once): {first:.1f} s; "
        f"load average at the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"
    )


if __name__ == "__main__":
    main()
