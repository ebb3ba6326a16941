"""Benchmark: gongzhi.consult.math beside red-dwarf, on the same votes, in the same run.

Data sets:

* ``synthetic-8000x8000x1M``: 8,000 participants × 8,000 statements × 1,000,000 votes (three
  latent opinion camps, seeded): a stress test of size, far wider than any real conversation;
* ``realistic-50000x300``: 50,000 participants × 300 statements with the shape of the real
  conversations (votes per participant, uneven exposure of statements, pass rate, all measured on
  /work/shared/data/polis), three planted opinion groups and planted consensus, divisive and
  background statements, so that quality can be scored against a known answer;
* each real conversation in /work/shared/data/polis (no known answer: ours and red-dwarf are
  compared with each other).

Each side runs in its own child process, one at a time: the child loads the votes and imports its
libraries, then times the analysis (best of --repeat runs), and the parent reads the child's
peak resident memory from ``os.wait4`` (the whole process: interpreter, libraries, input, work).
The child then prints its groups, group-informed consensus, majority consensus and representative
statements; the parent scores them (docs/consultation.md, "Performance and quality").
Goal for ours on the 8k × 8k synthetic set: ≤ 2.5 s and ≤ 1 GB peak.

    .venv/bin/python bench/bench_consensus.py                 # everything
    .venv/bin/python bench/bench_consensus.py --only realistic
    .venv/bin/python bench/bench_consensus.py --only synthetic
    .venv/bin/python bench/bench_consensus.py --only real
    .venv/bin/python bench/bench_consensus.py --no-red-dwarf  # ours only
    .venv/bin/python bench/bench_consensus.py --only realistic --seed 7  # another draw of the plant
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
REALISTIC = "realistic-50000x300"
SHAPE_MIN_STATEMENTS = 150  # the real conversations nearest 300 statements in size set the shape
KINDS = ("consensus", "divisive", "background")
TOP_LIST = 10  # the results page shows the first 10 of the 最大公约数 list
HEAVY_VOTES = 30  # the ARI is also given over the participants with at least this many votes


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


def summary(name, per_participant, n_statements, counts) -> dict:
    """Shape of one conversation: votes per participant (quantiles), pass rate, agree share."""
    import numpy as np

    q = np.percentile(per_participant, [25, 50, 75, 90, 99])
    return {
        "name": name,
        "participants": int(per_participant.shape[0]),
        "statements": int(n_statements),
        "votes": int(per_participant.sum()),
        "per_participant": [float(x) for x in q],
        "under_7": float(np.mean(per_participant < 7)),
        "pass_rate": float(counts[2] / counts.sum()),
        "agree_share": float(counts[0] / (counts[0] + counts[1])),
    }


def real_shape(min_statements: int = SHAPE_MIN_STATEMENTS) -> dict:
    """Measured on the real conversations with at least ``min_statements`` statements (pooled).

    ``fractions``: each participant's votes as a share of the conversation's statements;
    ``weights``: each non-moderated statement's votes over the conversation's mean (how unevenly
    statements are shown); ``pass_rate`` and ``agree_share`` (agrees among agrees + disagrees) over
    all their votes; ``per_conversation``: the summary of every real conversation.
    """
    import numpy as np

    from gongzhi.consult import math as cm
    from gongzhi.consult.polis_io import read_export

    fractions, weights, counts, rows = [], [], np.zeros(3), []
    for d in sorted(d for d in POLIS_DATA.iterdir() if (d / "votes.csv").is_file()):
        conv = read_export(d)
        vm = cm.build_vote_matrix(conv.votes_participant, conv.votes_statement, conv.votes_value, conv.votes_timestamp)
        m = vm.shape[1]
        per = np.diff(vm.indptr)
        c = np.array([(vm.data > 0).sum(), (vm.data < 0).sum(), (vm.data == 0).sum()], dtype=float)
        rows.append(summary(d.name, per, m, c))
        if m >= min_statements:
            fractions.append(per / m)
            seen = np.bincount(vm.indices, minlength=m).astype(float)
            kept = seen[~np.isin(vm.statements, conv.moderated_out)]
            weights.append(kept / kept.mean())
            counts += c
    if not fractions:
        raise SystemExit(f"no conversation with ≥ {min_statements} statements in {POLIS_DATA}")
    return {
        "fractions": np.concatenate(fractions),
        "weights": np.concatenate(weights),
        "pass_rate": counts[2] / counts.sum(),
        "agree_share": counts[0] / (counts[0] + counts[1]),
        "per_conversation": rows,
    }


def realistic_votes(n_participants=50_000, n_statements=300, sizes=(0.5, 0.3, 0.2), seed=2026):
    """A conversation of the real shape with planted opinion groups and planted statement kinds.

    Participants belong to latent groups (``sizes``). How many statements each votes on is drawn
    from the real conversations' votes-per-participant shares (``real_shape``), which ones from
    the real statements' uneven exposure (weighted sampling without replacement), and each vote is
    a pass with the statement's pass probability (drawn around the real pass rate). Otherwise the
    participant agrees with P(agree | not pass) of their group:

    * *consensus* (20 %): 0.75–0.95 in every group, pass probability at most 0.12;
    * *divisive* (30 %): each group agrees (0.85–0.97) or disagrees (0.05–0.25), never all alike;
      every third one is a *decoy*: every group agrees but the smallest (80 % of the
      participants), as widely as on some consensus statements, so a plain majority count over
      everyone ranks some decoys among the consensus;
    * *background* (50 %): one value 0.40–0.60 for every group (split within each group).

    So by the true group-informed consensus Π_g P(agree | g) (passes count as not agreeing, as in
    pol.is) every consensus statement is above every other one; ``realistic_votes`` checks it.
    Returns the votes and the plant: group per participant, kind per statement (0, 1, 2 as
    ``KINDS``), P(agree | not pass) per group and statement, P(pass) per statement, the real shape.
    """
    import numpy as np

    shape = real_shape()
    rng = np.random.default_rng(seed)
    k = len(sizes)
    group = rng.choice(k, size=n_participants, p=np.asarray(sizes) / sum(sizes))
    n_cons, n_div = round(0.20 * n_statements), round(0.30 * n_statements)
    kind = np.array([0] * n_cons + [1] * n_div + [2] * (n_statements - n_cons - n_div))
    rng.shuffle(kind)
    agree = np.empty((k, n_statements))
    divisive_seen = 0
    for j in range(n_statements):
        if kind[j] == 0:
            agree[:, j] = rng.uniform(0.75, 0.95, k)
        elif kind[j] == 1:
            divisive_seen += 1
            if divisive_seen % 3 == 0:  # a decoy: every group but the smallest agrees
                stance = np.arange(k) < k - 1
            else:
                stance = np.zeros(k, dtype=bool)
                while stance.all() or not stance.any():
                    stance = rng.random(k) < 0.6
            agree[:, j] = np.where(stance, rng.uniform(0.85, 0.97, k), rng.uniform(0.05, 0.25, k))
        else:
            agree[:, j] = rng.uniform(0.40, 0.60)
    rate = shape["pass_rate"]
    p_pass = rng.beta(2.0, 2.0 * (1 - rate) / rate, n_statements)
    p_pass[kind == 0] = np.minimum(p_pass[kind == 0], 0.12)
    true_gic = np.prod(agree * (1 - p_pass), axis=0)
    assert true_gic[kind == 0].min() > true_gic[kind != 0].max(), "planted consensus not separable"
    weight = rng.choice(shape["weights"], n_statements) + 1e-3  # never exactly unseen
    n_votes = np.clip(np.rint(rng.choice(shape["fractions"], n_participants) * n_statements), 1, n_statements)
    part, stmt = [], []
    for lo in range(0, n_participants, 5000):  # Gumbel top-k: weighted sampling without replacement
        hi = min(lo + 5000, n_participants)
        keys = np.log(weight) + rng.gumbel(size=(hi - lo, n_statements))
        rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
        r, c = np.nonzero(rank < n_votes[lo:hi, None])
        part.append(r + lo)
        stmt.append(c)
    participant, statement = np.concatenate(part), np.concatenate(stmt)
    passed = rng.random(participant.shape[0]) < p_pass[statement]
    agreed = rng.random(participant.shape[0]) < agree[group[participant], statement]
    vote = np.where(passed, 0, np.where(agreed, 1, -1)).astype(np.int8)
    order = rng.permutation(participant.shape[0])  # votes arrive interleaved
    participant, statement, vote = participant[order], statement[order], vote[order]
    timestamp = np.arange(participant.shape[0], dtype=np.int64)
    plant = {"group": group, "kind": kind, "agree": agree, "pass": p_pass, "shape": shape}
    return participant, statement, vote, timestamp, [], plant


def load(dataset: str, seed: int = 2026):
    if dataset == SYNTHETIC:
        return synthetic_votes()
    if dataset == REALISTIC:
        return realistic_votes(seed=seed)[:5]
    from gongzhi.consult.polis_io import read_export

    conv = read_export(POLIS_DATA / dataset)
    return (conv.votes_participant, conv.votes_statement, conv.votes_value, conv.votes_timestamp, conv.moderated_out)


def worker(side: str, dataset: str, repeat: int, seed: int = 2026) -> None:
    """Child process: load, import, then time the analysis; print one JSON line with the results."""
    p, s, v, t, mod_out = load(dataset, seed)
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
        grouped = an.labels >= 0
        gic = an.group_consensus_agree
        result = {
            "labels": dict(zip(an.participants[grouped].tolist(), an.labels[grouped].tolist())),
            "gic": dict(zip(an.statements.tolist(), gic.tolist())) if gic is not None else {},
            "consensus": [c.statement for c in an.consensus.get("agree", [])],
            "repness": {str(g): [[r.statement, r.direction] for r in reps] for g, reps in an.representative.items()},
        }
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
                res = run_pipeline(votes=votes, mod_out_statement_ids=list(mod_out), random_state=0)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        labels = res.participants_df["cluster_id"].dropna().astype(int)
        groups = int(labels.nunique())
        sizes = sorted(labels.value_counts().tolist(), reverse=True)
        gic = res.group_aware_consensus["agree"]
        result = {
            "labels": {int(k): int(g) for k, g in labels.items()},
            "gic": {int(k): float(x) for k, x in gic.items() if x == x},
            "consensus": [int(c["tid"]) for c in res.consensus["agree"]],
            "repness": {
                str(g): [[int(r["tid"]), r["repful-for"]] for r in reps] for g, reps in (res.repness or {}).items()
            },
        }
    best = min(range(len(times)), key=times.__getitem__)
    out = {"seconds": times[best], "cpu": cpu[best], "groups": groups, "sizes": sizes, "result": result}
    print(json.dumps(out), flush=True)


def run_child_measured(side: str, dataset: str, repeat: int, seed: int = 2026) -> dict:
    """Run the worker and read its own peak RSS (ru_maxrss, KiB on Linux) from os.wait4."""
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        side,
        "--dataset",
        dataset,
        "--repeat",
        str(repeat),
        "--seed",
        str(seed),
    ]
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


# --- quality: against the plant, and between the two sides -------------------------------------


def _ranked(gic: dict) -> list[int]:
    """Statements by group-informed consensus, highest first (ties: lower id)."""
    return [int(s) for s, _ in sorted(gic.items(), key=lambda kv: (-kv[1], int(kv[0])))]


def _match(a: dict, b: dict) -> dict:
    """Map each group of labelling ``a`` to the group of ``b`` it shares most participants with."""
    from collections import Counter

    pairs = Counter((a[p], b[p]) for p in a.keys() & b.keys())
    best: dict = {}
    for (ga, gb), _n in sorted(pairs.items(), key=lambda kv: -kv[1]):
        best.setdefault(ga, gb)
    return best


def _ari(a: dict, b: dict) -> float:
    from sklearn.metrics import adjusted_rand_score

    common = sorted(a.keys() & b.keys())
    return float(adjusted_rand_score([a[p] for p in common], [b[p] for p in common]))


def oracle_gic(dataset_votes, plant) -> dict:
    """Group-informed consensus computed from the votes with the planted groups (perfect groups)."""
    import numpy as np

    p, s, v = dataset_votes[:3]
    g = plant["group"][p]
    k, m = plant["agree"].shape
    key = g * m + s
    seen = np.bincount(key, minlength=k * m).reshape(k, m)
    agree = np.bincount(key[v > 0], minlength=k * m).reshape(k, m)
    gic = np.prod((agree + 1.0) / (seen + 2.0), axis=0)
    return dict(enumerate(gic.tolist()))


def majority_score(dataset_votes, plant) -> dict:
    """pol.is's majority-consensus score pa · z over everyone, no groups (the baseline ranking)."""
    import numpy as np

    p, s, v = dataset_votes[:3]
    m = plant["kind"].shape[0]
    seen = np.bincount(s, minlength=m).astype(float)
    agree = np.bincount(s[v > 0], minlength=m).astype(float)
    pa = (agree + 1.0) / (seen + 2.0)
    z = 2.0 * np.sqrt(seen + 1.0) * ((agree + 1.0) / (seen + 1.0) - 0.5)
    return dict(enumerate((pa * z).tolist()))


def against_plant(out: dict, plant: dict, heavy: set) -> dict:
    """Scores of one side's result against the planted groups and statements (docs explain each).

    ``heavy``: the participants with at least ``HEAVY_VOTES`` votes (the ARI is given for them too)."""
    import numpy as np
    from sklearn.metrics import average_precision_score

    kind, agree = plant["kind"], plant["agree"]
    truth = {p: int(g) for p, g in enumerate(plant["group"].tolist())}
    labels = {int(p): g for p, g in out["labels"].items()}
    planted = set(np.flatnonzero(kind == 0).tolist())
    ranked = _ranked({int(s): x for s, x in out["gic"].items()})
    n_c = len(planted)
    scores = np.array([out["gic"].get(s, out["gic"].get(str(s), 0.0)) for s in range(kind.shape[0])])
    to_planted = _match(labels, truth)
    rep_ok = rep_all = 0
    for g, reps in out["repness"].items():
        pg = to_planted.get(int(g))
        for s, direction in reps:
            rep_all += 1
            stance = "agree" if agree[pg, s] > 0.5 else "disagree"
            rep_ok += int(kind[s] == 1 and direction == stance)
    return {
        "ari": _ari(labels, truth),
        "ari_heavy": _ari({p: g for p, g in labels.items() if p in heavy}, truth),
        "grouped": len(labels) / len(truth),
        "p_at_10": len(set(ranked[:TOP_LIST]) & planted) / TOP_LIST,
        "r_precision": len(set(ranked[:n_c]) & planted) / n_c,
        "ap": float(average_precision_score(kind == 0, scores)),
        "majority_ok": sum(s in planted for s in out["consensus"]) / max(1, len(out["consensus"])),
        "majority_n": len(out["consensus"]),
        "rep_ok": rep_ok / max(1, rep_all),
        "rep_n": rep_all,
    }


def between(o: dict, r: dict) -> dict:
    """Agreement of ours and red-dwarf: same groups, same consensus, same representatives."""
    from scipy.stats import spearmanr

    lo = {int(p): g for p, g in o["labels"].items()}
    lr = {int(p): g for p, g in r["labels"].items()}
    go = {int(s): x for s, x in o["gic"].items()}
    gr = {int(s): x for s, x in r["gic"].items()}
    common = sorted(go.keys() & gr.keys())
    rho = spearmanr([go[s] for s in common], [gr[s] for s in common]).statistic if len(common) > 2 else float("nan")
    top_o, top_r = _ranked(go)[:TOP_LIST], _ranked(gr)[:TOP_LIST]
    cons_o, cons_r = set(o["consensus"]), set(r["consensus"])
    to_r = _match(lo, lr)
    jac = []
    for g, reps in o["repness"].items():
        mine = {s for s, _ in reps}
        theirs = {s for s, _ in r["repness"].get(str(to_r.get(int(g))), [])}
        if mine | theirs:
            jac.append(len(mine & theirs) / len(mine | theirs))
    return {
        "ari": _ari(lo, lr) if lo and lr else float("nan"),
        "top10": len(set(top_o) & set(top_r)) / max(1, min(len(top_o), len(top_r))),
        "rho": float(rho),
        "majority": len(cons_o & cons_r) / max(1, len(cons_o | cons_r)),
        "rep_jaccard": sum(jac) / len(jac) if jac else float("nan"),
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", choices=["ours", "red-dwarf"], help=argparse.SUPPRESS)
    ap.add_argument("--dataset", help=argparse.SUPPRESS)
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs per side, best time kept (default 3; red-dwarf on the two synthetic sets: 1)",
    )
    ap.add_argument(
        "--only",
        choices=["synthetic", "realistic", "real"],
        help="only the 8k × 8k synthetic set, the realistic 50k × 300 set, or the real conversations",
    )
    ap.add_argument("--no-red-dwarf", action="store_true", help="skip the red-dwarf side")
    ap.add_argument("--seed", type=int, default=2026, help="seed of the realistic set and its plant (default 2026)")
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, args.dataset, args.repeat, args.seed)
        return

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 170)
    load_start = os.getloadavg()
    datasets = []
    if args.only in (None, "synthetic"):
        datasets.append(SYNTHETIC)
    if args.only in (None, "realistic"):
        datasets.append(REALISTIC)
    if args.only in (None, "real"):
        datasets += sorted(d.name for d in POLIS_DATA.iterdir() if (d / "votes.csv").is_file())
    sides = ["ours"] + ([] if args.no_red_dwarf else ["red-dwarf"])
    results: dict[tuple[str, str], dict] = {}
    with Progress(console=console) as progress:
        task = progress.add_task("consensus math", total=len(datasets) * len(sides))
        for dataset in datasets:
            for side in sides:
                progress.update(task, description=f"{side} · {dataset}")
                repeat = 1 if (side == "red-dwarf" and dataset in (SYNTHETIC, REALISTIC)) else args.repeat
                results[(dataset, side)] = run_child_measured(side, dataset, repeat, args.seed)
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
    console.print(table)

    if REALISTIC in datasets:
        votes = realistic_votes(seed=args.seed)
        plant = votes[5]
        shape = plant["shape"]
        import numpy as np

        s_table = Table(title="Shape: the real conversations and the realistic synthetic set")
        for col in (
            "conversation",
            "participants",
            "statements",
            "votes",
            "votes per participant p25/p50/p75/p90/p99",
            "< 7 votes",
            "pass rate",
            "agree / (agree + disagree)",
        ):
            s_table.add_column(col, justify="left" if col == "conversation" else "right")
        c = np.array([(votes[2] > 0).sum(), (votes[2] < 0).sum(), (votes[2] == 0).sum()], dtype=float)
        synth = summary(REALISTIC, np.bincount(votes[0]), plant["kind"].shape[0], c)
        for row in [*shape["per_conversation"], synth]:
            s_table.add_row(
                row["name"],
                f"{row['participants']:,}",
                f"{row['statements']:,}",
                f"{row['votes']:,}",
                " / ".join(f"{x:.0f}" for x in row["per_participant"]),
                f"{row['under_7']:.0%}",
                f"{row['pass_rate']:.3f}",
                f"{row['agree_share']:.3f}",
            )
        console.print(s_table)

        q_table = Table(
            title=f"Quality on {REALISTIC} against the plant (3 groups 50/30/20 %, 60 consensus statements)"
        )
        for col in (
            "side",
            "groups",
            "grouped",
            "ARI vs planted",
            f"ARI, ≥ {HEAVY_VOTES} votes",
            "P@10 最大公约数",
            "R-precision (= recall at 60)",
            "average precision",
            "majority consensus in plant",
            "representative correct",
        ):
            q_table.add_column(col, justify="left" if col == "side" else "right")
        oracle = oracle_gic(votes, plant)
        truth = {p: int(g) for p, g in enumerate(plant["group"].tolist())}
        heavy = set(np.flatnonzero(np.bincount(votes[0]) >= HEAVY_VOTES).tolist())
        extra = {
            "planted groups": {"labels": truth, "gic": oracle, "consensus": [], "repness": {}},
            "no groups (pa·z)": {
                "labels": {p: 0 for p in truth},
                "gic": majority_score(votes, plant),
                "consensus": [],
                "repness": {},
            },
        }
        for side in [*sides, *extra]:
            out = extra[side] if side in extra else results[(REALISTIC, side)]["result"]
            qa = against_plant(out, plant, heavy)
            n_groups = len(set(out["labels"].values()))
            q_table.add_row(
                side,
                str(n_groups),
                f"{qa['grouped']:.1%}",
                f"{qa['ari']:.3f}",
                f"{qa['ari_heavy']:.3f}",
                f"{qa['p_at_10']:.2f}",
                f"{qa['r_precision']:.3f}",
                f"{qa['ap']:.4f}",
                f"{qa['majority_ok']:.0%} of {qa['majority_n']}" if side not in extra else "–",
                f"{qa['rep_ok']:.0%} of {qa['rep_n']}" if side not in extra else "–",
            )
        console.print(q_table)

    if "red-dwarf" in sides:
        a_table = Table(title="Agreement of ours and red-dwarf (no ground truth on the real conversations)")
        for col in (
            "data set",
            "ARI ours vs red-dwarf",
            "top-10 最大公约数 shared",
            "Spearman ρ of GIC",
            "majority consensus Jaccard",
            "representative Jaccard",
        ):
            a_table.add_column(col, justify="left" if col == "data set" else "right")
        for dataset in datasets:
            if dataset == SYNTHETIC:
                continue  # 8,000 statements: a size test, not a conversation
            b = between(results[(dataset, "ours")]["result"], results[(dataset, "red-dwarf")]["result"])
            a_table.add_row(
                dataset,
                f"{b['ari']:.3f}",
                f"{b['top10']:.0%}",
                f"{b['rho']:.3f}",
                f"{b['majority']:.2f}",
                f"{b['rep_jaccard']:.2f}",
            )
        console.print(a_table)

    if SYNTHETIC in datasets:
        o = results[(SYNTHETIC, "ours")]
        ok = o["seconds"] <= 2.5 and o["peak_mb"] <= 1024
        console.print(
            f"goal on {SYNTHETIC}: ≤ 2.5 s and ≤ 1024 MB peak → ours {o['seconds']:.2f} s "
            f"(CPU {o['cpu']:.2f} s), {o['peak_mb']:.0f} MB: {'met' if ok else 'NOT met'}"
        )
    console.print(
        f"load average at the start: {', '.join(f'{x:.1f}' for x in load_start)}; at the end: "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs "
        "(wall times grow with other load; CPU times much less)"
    )


if __name__ == "__main__":
    main()
