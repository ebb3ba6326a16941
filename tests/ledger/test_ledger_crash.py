"""Crash safety: kill -9 the appender at random points, then check the log.

Runs real processes against a SQLite file, or against a scratch PostgreSQL database
when the suite runs on PostgreSQL (``DATABASE_URL=postgresql://…``).  On restart the
tiles and checkpoints verify and every event whose batch committed is in the log
exactly once.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from gongzhi.ledger import merkle
from gongzhi.ledger.note import Signer, open_checkpoint

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from crash_appender import batch_events  # noqa: E402


def _connect(url):
    if url.startswith("sqlite:///"):
        return sqlite3.connect(url[len("sqlite:///") :])
    import psycopg

    return psycopg.connect(url)


def _env(tmp_path, key, url):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="gongzhi.settings",
        GONGZHI_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=url,
        GONGZHI_LEDGER_KEY=key,
        PYTHONPATH=os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]),
    )
    return env


def _committed(log_path):
    if not log_path.exists():
        return []
    return [int(x) for x in log_path.read_text().split()]


@pytest.mark.slow  # real processes: ~15 s on an idle machine, more under load
def test_kill_9_appender(tmp_path, scratch_database_url):
    signer = Signer.generate("gongzhi.local/ledger")
    env = _env(tmp_path, signer.to_key(), scratch_database_url)
    py = sys.executable
    subprocess.run([py, "-m", "django", "migrate", "ledger", "--noinput", "-v", "0"], env=env, check=True)
    log_path = tmp_path / "committed.log"
    rng = random.Random(20261122)
    kills = 0
    rounds = 0
    # At least five kills; more rounds while fewer than six batches committed (slow machine).
    while rounds < 5 or (len(_committed(log_path)) < 6 and rounds < 15):
        rounds += 1
        done = _committed(log_path)
        first = done[-1] + 1 if done else 0
        proc = subprocess.Popen(
            [py, str(HERE / "crash_appender.py"), str(first), str(log_path)], env=env, stdout=subprocess.PIPE, text=True
        )
        for _line in range(100):  # skip anything start-up prints before the appender is ready
            line = proc.stdout.readline()
            if not line or line.strip() == "ready":
                break
        assert line.strip() == "ready", f"appender did not start (exit code {proc.poll()})"
        time.sleep(rng.uniform(0.02, 0.7))  # a random point among appends, commits and signatures
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        assert proc.returncode in (-signal.SIGKILL, 0), f"appender crashed on its own: {proc.returncode}"
    assert kills >= 4

    committed = _committed(log_path)
    assert committed, "no batch ever committed: the appender did not get to run"
    attempted = set(range(committed[-1] + 2))  # the batch in flight at the last kill may have committed

    # Restart: sign a checkpoint, export the tiles, and verify them as an outsider.
    export = tmp_path / "export"
    subprocess.run([py, "-m", "django", "ledger", "checkpoint"], env=env, check=True, capture_output=True)
    subprocess.run([py, "-m", "django", "ledger", "export", str(export)], env=env, check=True, capture_output=True)
    verify = subprocess.run(
        [py, "-m", "django", "verify", str(export), "--key", signer.verifier.to_key(), "--full"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stderr

    db = _connect(scratch_database_url)
    rows = db.execute('SELECT "index", event_id, leaf_hash, entry FROM ledger_leaf ORDER BY "index"').fetchall()
    assert [r[0] for r in rows] == list(range(len(rows)))
    ids = [uuid.UUID(str(r[1])) for r in rows]
    assert len(ids) == len(set(ids)), "an event is in the log twice"
    expected = {e.event_id for k in committed for e in batch_events(k)}
    possible = {e.event_id for k in attempted for e in batch_events(k)}
    assert expected <= set(ids), "a committed event is missing from the log"
    assert set(ids) <= possible

    # Every checkpoint ever signed is a prefix of today's tree.
    store = merkle.MemoryHashStore()
    assert all(bytes(r[2]) == merkle.leaf_hash(bytes(r[3])) for r in rows)
    store.extend(bytes(r[2]) for r in rows)
    notes = db.execute("SELECT size, note FROM ledger_signedcheckpoint ORDER BY size").fetchall()
    assert len(notes) >= 2, f"only {len(notes)} checkpoint(s) after {len(committed)} committed batches"
    for size, note in notes:
        cp, _ = open_checkpoint(note, [signer.verifier])
        assert cp.size == size and cp.root == store.root(size)
    size, root = db.execute("SELECT size, root FROM ledger_head").fetchone()
    assert (size, bytes(root)) == (store.size, store.root())
    db.close()
