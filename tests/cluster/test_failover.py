"""The short failover bench as a test: a whole cluster on this machine (pg_auto_failover, PgBouncer,
nginx, two web nodes, two workers, the scheduler), a web node, a worker and the PostgreSQL primary
killed with kill -9 under a load of filings: nothing acknowledged is lost, nothing is duplicated, and
the public ledger verifies.

Skipped where pg_autoctl, pgbouncer or nginx are missing, unless GONGZHI_REQUIRE_CLUSTER=1 (CI), where
that is a failure. Runs in its own pass of scripts/run_tests.py (``-m cluster tests/cluster``).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from gongzhi.ops import cluster

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]


def free_base_port(start: int) -> int:
    """The first block of 10 loopback ports from ``start`` (in steps of 20) where none answers."""
    for base in range(start, start + 400, 20):
        if not any(cluster.port_open(p, timeout=0.2) for p in range(base, base + 10)):
            return base
    raise RuntimeError(f"no free block of ports from {start}")


def test_failover_short():
    missing = cluster.missing_tools()
    if missing:
        reason = "the cluster needs " + ", ".join(missing)
        if os.environ.get("GONGZHI_REQUIRE_CLUSTER") == "1":
            pytest.fail(reason + " (GONGZHI_REQUIRE_CLUSTER=1)")
        pytest.skip(reason)
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_failover

    # The postgres user must be able to enter the directory (pytest's tmp_path is private to us).
    var = Path(tempfile.mkdtemp(prefix="gongzhi-cluster-test-", dir="/tmp"))
    var.chmod(0o755)
    figures = var / "figures.json"
    base = free_base_port(int(os.environ.get("GONGZHI_TEST_CLUSTER_PORT", "24600")))
    try:
        rc = bench_failover.main(
            ["--short", "--var-dir", str(var), "--base-port", str(base), "--purge", "--json", str(figures)]
        )
        out = json.loads(figures.read_text())
    finally:
        shutil.rmtree(var, ignore_errors=True)
    print(json.dumps(out, indent=2))
    assert out["acknowledged"] > 0
    assert out["acknowledged_missing"] == 0, out["missing_keys"]
    assert out["duplicated"] == 0
    assert out["verify_ok"], out["verify_output"]
    kills = out["kills"]
    primary = next(v for k, v in kills.items() if k.startswith("PostgreSQL"))
    assert primary["promoted_s"] is not None, "the standby was not promoted"
    assert primary["rejoined_s"] is not None, "the old primary did not rejoin as standby"
    assert all(v["back_s"] is not None for k, v in kills.items() if "back_s" in v), kills
    assert rc == 0
