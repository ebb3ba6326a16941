"""The benchmark script runs end to end on a small instance (figures are not checked here)."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_matching.py"


def test_bench_matching_runs_on_a_small_instance():
    out = subprocess.run(
        [sys.executable, str(BENCH), "--needs", "300", "--resources", "300", "--repeat", "1"],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    out = " ".join(out.split())  # rich wraps long lines
    assert "min-cost flow" in out and "greedy" in out
    assert "ratio greedy/min-cost-flow: time" in out
    assert "0 changed outside the re-solved needs" in out
