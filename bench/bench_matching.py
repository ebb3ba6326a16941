"""Benchmark: the common-pool matcher on scarce and plentiful instances.

For each instance, in the same run: the exact matcher (the default,
``gongzhi.resources.matching.solve`` with every feasible pair), the old
candidate-limited mode (``MatchConfig(k_nearest=8)``, each need sees only its
8 nearest feasible resources) and the greedy baseline
(``gongzhi.resources.matching.greedy``: needs in priority order, each takes
its cheapest feasible resources).  Prints time (median of ``--repeat`` runs),
served units per priority class, total cost and the ratios, and whether the
candidate-limited plan serves a higher class less than the exact one.

Instances: ``random_instance(needs, resources)``; the plentiful one has
``--resources`` resources (10,000 × 10,000 has 1.84× more capacity than
demand), the scarce ones as many resources as give capacity of about
``--scarce`` × demand (the actual ratio is printed).  After the plentiful
instance, 1 % of its resources drop out and the repair is timed.

    .venv/bin/python bench/bench_matching.py            # 10,000 needs; scarce 0.3, 0.5, 0.8; plentiful 10,000 resources
    .venv/bin/python bench/bench_matching.py --needs 2000 --resources 2000 --scarce 0.4 --repeat 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np
from rich.console import Console
from rich.table import Table

from gongzhi.resources.matching import MatchConfig, Priority, _Encoded, greedy, repair, solve
from gongzhi.resources.synthetic import random_instance

GOAL_SECONDS = 2.0
MEAN_CAPACITY = 5.5  # random_instance: capacity uniform on 1..10
MEAN_QUANTITY = 3.0  # random_instance: quantity uniform on 1..5


def _timed(fn, repeat):
    times, plan = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        plan = fn()
        times.append(time.perf_counter() - t)
    return plan, statistics.median(times), times


def _vector(plan) -> list[int]:
    return [plan.served_by_priority[p] for p in Priority]


def _first_difference(exact, limited) -> str:
    """Where the limited plan's served vector first differs from the exact one (lexicographic order)."""
    for p, a, b in zip(Priority, _vector(exact), _vector(limited)):
        if a != b:
            word = "fewer" if b < a else "more"
            return f"{abs(a - b):,} {word} {p.name.lower()} units"
    return "same served units"


def _idle_while_short(plan, pairs) -> tuple[int, int]:
    """Needs left short while a resource they could use has idle units; and those idle units."""
    short = plan.shortfalls
    needs, idle = set(), set()
    for nid, rid in pairs:
        if nid in short and plan.remaining(rid) > 0:
            needs.add(nid)
            idle.add(rid)
    return len(needs), sum(plan.remaining(rid) for rid in idle)


def run_instance(console, label, resources, needs, args):
    exact_cfg, limited_cfg = MatchConfig(), MatchConfig(k_nearest=args.k)
    exact, t_exact, runs_exact = _timed(lambda: solve(resources, needs, exact_cfg), args.repeat)
    limited, t_limited, _ = _timed(lambda: solve(resources, needs, limited_cfg), args.repeat)
    base, t_greedy, _ = _timed(lambda: greedy(resources, needs, exact_cfg), args.repeat)
    enc = _Encoded(resources, needs, exact_cfg)  # every feasible pair, for the idle-resource check
    an, ar, _ = enc.candidates(np.arange(len(needs), dtype=np.int64), None)
    pairs = [(needs[i].id, resources[j].id) for i, j in zip(an.tolist(), ar.tolist())]
    idle = [_idle_while_short(p, pairs) for p in (exact, limited, base)]
    capacity = sum(r.capacity for r in resources)
    demand_total = sum(n.quantity for n in needs)
    ratio = capacity / demand_total
    table = Table(
        title=f"{label}: {len(needs):,} needs × {len(resources):,} resources, "
        f"capacity {ratio:.2f}× demand (seed {args.seed})"
    )
    table.add_column("")
    table.add_column("exact (default)", justify="right")
    table.add_column(f"k_nearest={args.k}", justify="right")
    table.add_column("greedy", justify="right")
    table.add_row("time, median (s)", f"{t_exact:.3f}", f"{t_limited:.3f}", f"{t_greedy:.3f}")
    table.add_row("arcs", f"{exact.arcs:,}", f"{limited.arcs:,}", f"{base.arcs:,}")
    demand = exact.demand_by_priority
    for p in Priority:
        table.add_row(
            f"served {p.name.lower()} (of {demand[p]:,})",
            f"{exact.served_by_priority[p]:,}",
            f"{limited.served_by_priority[p]:,}",
            f"{base.served_by_priority[p]:,}",
        )
    table.add_row("served total", f"{exact.served_total:,}", f"{limited.served_total:,}", f"{base.served_total:,}")
    table.add_row("total cost", f"{exact.total_cost:,}", f"{limited.total_cost:,}", f"{base.total_cost:,}")
    table.add_row("short needs with an idle usable resource", *(f"{n:,} ({u:,} idle units)" for n, u in idle))
    table.add_row(
        "cost per unit served", *(f"{p.total_cost / max(1, p.served_total):.2f}" for p in (exact, limited, base))
    )
    console.print(table)
    worse = _vector(limited) < _vector(exact)
    console.print(
        f"{label}: k={args.k}/exact time {t_limited / t_exact:.2f}; k={args.k} serves "
        f"{_first_difference(exact, limited)}{' (lexicographically WORSE)' if worse else ''}; "
        f"greedy/exact time {t_greedy / t_exact:.2f}, cost {base.total_cost / max(1, exact.total_cost):.3f}, "
        f"served {base.served_total / max(1, exact.served_total):.4f}; exact runs: "
        f"{', '.join(f'{x:.3f}' for x in runs_exact)}"
    )
    assert _vector(exact) >= _vector(limited) and _vector(exact) >= _vector(base), "exact plan not maximal"
    assert idle[0] == (0, 0), "exact plan left a need short next to idle capacity"
    return {
        "label": label,
        "idle": idle,
        "ratio": ratio,
        "exact": exact,
        "limited": limited,
        "greedy": base,
        "t_exact": t_exact,
        "t_limited": t_limited,
        "t_greedy": t_greedy,
        "worse": worse,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--needs", type=int, default=10_000)
    ap.add_argument("--resources", type=int, default=10_000, help="resources of the plentiful instance")
    ap.add_argument(
        "--scarce",
        default="0.3,0.5,0.8",
        help="capacity/demand targets of the scarce instances, comma-separated ('' for none)",
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each method (median reported)")
    ap.add_argument("--k", type=int, default=8, help="candidates per need of the candidate-limited mode")
    args = ap.parse_args(argv)
    console = Console(width=160)
    targets = [float(x) for x in args.scarce.split(",") if x.strip()]
    load_start = os.getloadavg()[0]
    rows = []
    for target in targets:
        n_res = max(1, round(target * args.needs * MEAN_QUANTITY / MEAN_CAPACITY))
        resources, needs = random_instance(args.needs, n_res, seed=args.seed)
        rows.append(run_instance(console, f"scarce {target:g}", resources, needs, args))
    resources, needs = random_instance(args.needs, args.resources, seed=args.seed)
    plentiful = run_instance(console, "plentiful", resources, needs, args)
    rows.append(plentiful)

    summary = Table(title=f"exact vs k_nearest={args.k}, same run")
    for col in (
        "instance",
        "capacity/demand",
        "exact (s)",
        f"k={args.k} (s)",
        f"k={args.k}/exact time",
        "exact served E/B/D",
        f"k={args.k} served E/B/D",
        f"k={args.k}/exact cost",
    ):
        summary.add_column(col, justify="right")
    for r in rows:
        summary.add_row(
            r["label"],
            f"{r['ratio']:.2f}",
            f"{r['t_exact']:.3f}",
            f"{r['t_limited']:.3f}",
            f"{r['t_limited'] / r['t_exact']:.2f}",
            "/".join(f"{v:,}" for v in _vector(r["exact"])),
            "/".join(f"{v:,}" for v in _vector(r["limited"])) + (" worse" if r["worse"] else ""),
            f"{r['limited'].total_cost / max(1, r['exact'].total_cost):.4f}",
        )
    console.print(summary)
    t_opt = plentiful["t_exact"]
    console.print(
        f"goal ≤ {GOAL_SECONDS:.0f} s on the plentiful instance: {'met' if t_opt <= GOAL_SECONDS else 'NOT met'}"
    )
    console.print(
        f"load average (1 min) at start {load_start:.2f}, now {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs"
    )

    opt = plentiful["exact"]
    drop = {r.id for r in resources[::100]}  # 1 % of the resources drop out
    t = time.perf_counter()
    fixed = repair(opt, drop)
    repair_time = time.perf_counter() - t
    before = {(a.need_id, a.resource_id): a.quantity for a in opt.assignments if a.resource_id not in drop}
    after = {(a.need_id, a.resource_id): a.quantity for a in fixed.assignments}
    unchanged = sum(1 for key, q in before.items() if after.get(key) == q)
    untouched_changed = sum(1 for key, q in before.items() if after.get(key) != q and key[0] not in fixed.affected)
    console.print(
        f"repair after {len(drop)} resources dropped: {repair_time:.3f} s; {len(fixed.affected)} needs re-solved "
        f"({len(fixed.bumped)} of them bumped by higher priority); {unchanged:,}/{len(before):,} kept assignments "
        f"unchanged, {untouched_changed} changed outside the re-solved needs; served {opt.served_total:,} -> "
        f"{fixed.served_total:,}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
