"""The benchmark script runs end to end on small instances (figures are not checked here)."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_matching.py"


def test_bench_matching_runs_on_scarce_and_plentiful_instances():
    out = subprocess.run(
        [sys.executable, str(BENCH), "--needs", "300", "--resources", "300", "--scarce", "0.4", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    out = " ".join(out.split())  # rich wraps long lines
    assert "exact (default)" in out and "k_nearest=8" in out and "greedy" in out
    assert "scarce 0.4: 300 needs" in out and "plentiful: 300 needs × 300 resources" in out
    assert "k=8/exact time" in out and "exact vs k_nearest=8, same run" in out
    assert "short needs with an idle usable resource" in out
    assert "0 changed outside the re-solved needs" in out
