"""Evaluation of the early-warning detectors on synthetic data with injected incidents.

Arrivals per series (grid × category) for a year with weekly seasonality, trend, an annual
cycle and negative-binomial overdispersion; spikes of 1–7 days and sizes 1×/2×/4× the
series' mean (≥ 3 extra requests a day) injected at known days. Reports precision, recall and
the false-alarm rate per series-week on the same data without incidents, for a few thresholds,
against the naive trailing-mean + 3σ rule in the same run; then the repeated-complaint and
SLA-breach detectors on their own synthetic data. See gongzhi.alerts.evaluation.

Run: .venv/bin/python bench/bench_alerts.py [--series 2000] [--days 365] [--incidents 200] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gongzhi.alerts import evaluation as E


def table(rows, extra=()) -> str:
    head = ["method", "alerts", "precision", "recall", "false alarms / series-week", *extra]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["method"], str(r["alerts"]), f"{r['precision']:.2f}", f"{r['recall']:.2f}", f"{r['far']:.4f}"]
        for e in extra:
            v = r.get(e)
            cells.append(
                ""
                if v is None
                else (", ".join(f"{k:g}×: {x:.2f}" for k, x in v.items()) if isinstance(v, dict) else f"{v:.3f}")
            )
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--series", type=int, default=2000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--incidents", type=int, default=200)
    p.add_argument("--grids", type=int, default=200)
    p.add_argument("--groups", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    print(f"# bench_alerts: series={a.series} days={a.days} incidents={a.incidents} seed={a.seed}")
    t = time.perf_counter()
    rows = E.evaluate_arrivals(a.series, a.days, a.incidents, seed=a.seed, naive_ks=(3.0, 5.0))
    t_arr = time.perf_counter() - t
    print("\n## Arrivals (grid × category × day)\n")
    print(table(rows, extra=("recall_by_size", "phi")))
    t = time.perf_counter()
    rep = E.evaluate_repeats(a.grids, a.days, max(10, a.incidents // 3), seed=a.seed)
    t_rep = time.perf_counter() - t
    print("\n## Repeated complaints at one place (false alarms per grid × category × week)\n")
    print(table(rep))
    t = time.perf_counter()
    sla = E.evaluate_sla(a.groups, a.days, max(10, a.incidents // 3), seed=a.seed)
    t_sla = time.perf_counter() - t
    print("\n## SLA-breach clusters (false alarms per group-week)\n")
    print(table(sla))
    load = os.getloadavg()
    print(
        f"\ntimes: arrivals {t_arr:.1f} s, repeats {t_rep:.1f} s, SLA {t_sla:.1f} s; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


if __name__ == "__main__":
    main()
