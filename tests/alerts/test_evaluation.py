"""The evaluation of bench/bench_alerts.py on small sizes: the detectors find injected incidents,
keep false alarms near the design rate, and beat the naive 3-sigma rule on false alarms."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gongzhi.alerts import evaluation as E


def test_arrivals_evaluation_small():
    rows = {
        r["method"]: r for r in E.evaluate_arrivals(300, 200, 60, seed=3, alphas=(1e-3,), sizes=(4.0,), durations=(3,))
    }
    ours, naive = rows["seasonal NB, windows 1/3/7 d, α=0.001"], rows["naive trailing 28-day mean + 3σ"]
    assert ours["recall"] >= 0.6  # large 3-day spikes
    assert ours["far"] < 0.025  # per series-week on incident-free data
    assert 0.2 < ours["phi"] < 0.45  # the generator's overdispersion is 0.3
    assert naive["far"] > 3 * ours["far"]
    assert ours["precision"] > naive["precision"]


def test_repeat_and_sla_evaluations_small():
    rep = E.evaluate_repeats(40, 150, 12, seed=2, alphas=(1e-3,))[0]
    assert rep["recall"] >= 0.8 and rep["precision"] >= 0.5
    sla = E.evaluate_sla(60, 200, 15, per_day=1.5, seed=2, alphas=(1e-3,))[0]
    assert sla["recall"] >= 0.6 and sla["precision"] >= 0.6 and sla["far"] < 0.01


def test_bench_script_runs():
    bench = Path(__file__).resolve().parents[2] / "bench" / "bench_alerts.py"
    out = subprocess.run(
        [
            sys.executable,
            str(bench),
            "--series",
            "60",
            "--days",
            "140",
            "--incidents",
            "12",
            "--grids",
            "20",
            "--groups",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "| seasonal NB, windows 1/3/7 d, α=0.001 |" in out.stdout and "naive trailing" in out.stdout
