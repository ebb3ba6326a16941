"""Benchmark: gongzhi.consult.math beside red-dwarf, on the same votes, in the same run.

Data sets: a synthetic conversation of 8,000 participants × 8,000 statements × 1,000,000 votes
(three latent opinion camps, seeded), and each real conversation in /work/shared/data/polis.

Each side runs in its own child process, one at a time: the child loads the votes and imports its
libraries, then times the analysis (best of --repeat runs), and the parent reads the child's
peak resident memory from ``os.wait4`` (the whole process: interpreter, libraries, input, work).
Goal for ours on the synthetic set: ≤ 2.5 s and ≤ 1 GB peak.

    .venv/bin/python bench/bench_consensus.py                 # everything
    .venv/bin/python bench/bench_consensus.py --only synthetic
    .venv/bin/python bench/bench_consensus.py --no-red-dwarf  # ours only
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

POLIS_DATA = Path("/work/shared/data/polis")
SYNTHETIC = "synthetic-8000x8000x1M"


def synthetic_votes(n_participants=8000, n_statements=8000, n_votes=1_000_000, seed=2026):
    """Votes of three latent camps; (participant, statement) pairs are distinct, in time order."""
    import numpy as np

    rng = np.random.default_rng(seed)
    keys = rng.choice(n_participants * n_statements, size=n_votes, replace=False)
    participant, statement = keys // n_statements, keys % n_statements
    camp = rng.integers(0, 3, n_participants)
    stance = rng.normal(size=(3, n_statements))
    score = stance[camp[participant], statement] + rng.normal(scale=0.8, size=n_votes)
    vote = np.where(score > 0.4, 1, np.where(score < -0.4, -1, 0)).astype(np.int8)
    timestamp = np.arange(n_votes, dtype=np.int64)
    return participant, statement, vote, timestamp, []


def load(dataset: str):
    if dataset == SYNTHETIC:
        return synthetic_votes()
    from gongzhi.consult.polis_io import read_export

    conv = read_export(POLIS_DATA / dataset)
    return (conv.votes_participant, conv.votes_statement, conv.votes_value, conv.votes_timestamp, conv.moderated_out)


def worker(side: str, dataset: str, repeat: int) -> None:
    """Child process: load, import, then time the analysis; print one JSON line."""
    p, s, v, t, mod_out = load(dataset)
    times, cpu = [], []
    if side == "ours":
        from gongzhi.consult import math as cm  # imports NumPy/SciPy/scikit-learn before the clock

        for _ in range(repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            vm = cm.build_vote_matrix(p, s, v, t)
            an = cm.analyse(vm, mod_out, seed=0)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        groups = an.n_groups
        sizes = an.group_sizes()
    else:
        import warnings

        from reddwarf.implementations.polis import run_pipeline

        votes = [
            {"participant_id": int(a), "statement_id": int(b), "vote": int(c), "modified": int(d)}
            for a, b, c, d in zip(p.tolist(), s.tolist(), v.tolist(), t.tolist())
        ]
        del p, s, v, t
        for _ in range(repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = run_pipeline(votes=votes, mod_out_statement_ids=list(mod_out), random_state=0)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        labels = result.participants_df["cluster_id"].dropna().astype(int)
        groups = int(labels.nunique())
        sizes = sorted(labels.value_counts().tolist(), reverse=True)
    best = min(range(len(times)), key=times.__getitem__)
    print(json.dumps({"seconds": times[best], "cpu": cpu[best], "groups": groups, "sizes": sizes}), flush=True)


def run_child_measured(side: str, dataset: str, repeat: int) -> dict:
    """Run the worker and read its own peak RSS (ru_maxrss, KiB on Linux) from os.wait4."""
    cmd = [sys.executable, __file__, "--worker", side, "--dataset", dataset, "--repeat", str(repeat)]
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_consensus_{os.getpid()}.out"
    with out_path.open("w") as out, open(os.devnull, "w") as devnull:
        proc = subprocess.Popen(cmd, stdout=out, stderr=devnull)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    text = out_path.read_text()
    out_path.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise SystemExit(f"{side} on {dataset} failed (exit {proc.returncode}); run:\n  {' '.join(cmd)}")
    data = json.loads(text.strip().splitlines()[-1])
    data["peak_mb"] = usage.ru_maxrss / 1024
    return data


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", choices=["ours", "red-dwarf"], help=argparse.SUPPRESS)
    ap.add_argument("--dataset", help=argparse.SUPPRESS)
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs per side, best time kept (default 3; red-dwarf on the synthetic set: 1)",
    )
    ap.add_argument(
        "--only", choices=["synthetic", "real"], help="only the synthetic set or only the real conversations"
    )
    ap.add_argument("--no-red-dwarf", action="store_true", help="skip the red-dwarf side")
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, args.dataset, args.repeat)
        return

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    datasets = []
    if args.only != "real":
        datasets.append(SYNTHETIC)
    if args.only != "synthetic":
        datasets += sorted(d.name for d in POLIS_DATA.iterdir() if (d / "votes.csv").is_file())
    sides = ["ours"] + ([] if args.no_red_dwarf else ["red-dwarf"])
    results: dict[tuple[str, str], dict] = {}
    with Progress() as progress:
        task = progress.add_task("consensus math", total=len(datasets) * len(sides))
        for dataset in datasets:
            for side in sides:
                progress.update(task, description=f"{side} · {dataset}")
                repeat = 1 if (side == "red-dwarf" and dataset == SYNTHETIC) else args.repeat
                results[(dataset, side)] = run_child_measured(side, dataset, repeat)
                progress.advance(task)

    table = Table(title="Consensus math: gongzhi.consult.math vs red-dwarf (same votes, same run)")
    for col in (
        "data set",
        "ours s",
        "ours CPU s",
        "red-dwarf s",
        "red-dwarf CPU s",
        "speed-up",
        "ours peak MB",
        "red-dwarf peak MB",
        "memory ratio",
        "groups (ours / red-dwarf)",
    ):
        table.add_column(col, justify="right" if col != "data set" else "left")
    for dataset in datasets:
        o = results[(dataset, "ours")]
        r = results.get((dataset, "red-dwarf"))
        table.add_row(
            dataset,
            f"{o['seconds']:.3f}",
            f"{o['cpu']:.3f}",
            f"{r['seconds']:.3f}" if r else "–",
            f"{r['cpu']:.3f}" if r else "–",
            f"{r['seconds'] / o['seconds']:.1f}×" if r else "–",
            f"{o['peak_mb']:.1f}",
            f"{r['peak_mb']:.1f}" if r else "–",
            f"{r['peak_mb'] / o['peak_mb']:.1f}×" if r else "–",
            f"{o['groups']} / {r['groups']}" if r else f"{o['groups']}",
        )
    console = Console(width=None if sys.stdout.isatty() else 170)
    console.print(table)
    if SYNTHETIC in datasets:
        o = results[(SYNTHETIC, "ours")]
        ok = o["seconds"] <= 2.5 and o["peak_mb"] <= 1024
        console.print(
            f"goal on {SYNTHETIC}: ≤ 2.5 s and ≤ 1024 MB peak → ours {o['seconds']:.2f} s "
            f"(CPU {o['cpu']:.2f} s), {o['peak_mb']:.0f} MB: {'met' if ok else 'NOT met'}"
        )
        console.print(
            f"load average while running: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
            f"on {os.cpu_count()} CPUs (wall times grow with other load; CPU times much less)"
        )


if __name__ == "__main__":
    main()
