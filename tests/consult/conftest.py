"""Fixtures for the consult tests: small pol.is export directories written on the fly."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

# shared/ stands beside the repository (on CI and on the developers' machines).
POLIS_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "polis"
if not POLIS_DATA.is_dir():
    POLIS_DATA = Path("/work/shared/data/polis")
CONVERSATIONS = [
    "15-per-hour-seattle",
    "brexit-consensus",
    "canadian-electoral-reform",
    "london.youth.policing",
    "scoop-hivemind.biodiversity",
    "vtaiwan.uberx",
]


def write_export(directory: Path, statements, votes, groups=None) -> Path:
    """statements: [(id, text, moderated)], votes: [(timestamp, statement, voter, vote)]."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "comments.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["timestamp", "datetime", "comment-id", "author-id", "agrees", "disagrees", "moderated", "comment-body"]
        )
        for sid, text, moderated in statements:
            w.writerow([1000 + sid, "x", sid, 0, 0, 0, moderated, text])
    with (directory / "votes.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["timestamp", "datetime", "comment-id", "voter-id", "vote"])
        for ts, sid, pid, vote in votes:
            w.writerow([ts, "x", sid, pid, vote])
    if groups is not None:
        with (directory / "participants-votes.csv").open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["participant", "group-id", "n-comments", "n-votes"])
            for pid, g in groups.items():
                w.writerow([pid, "" if g is None else g, 0, 0])
    return directory


def planted_votes(n_per_group=20, n_statements=12, seed=3):
    """Two opposed camps: camp 0 agrees with even statements, camp 1 with odd; statement 0 is
    agreed by everyone (common ground); each participant skips a few statements."""
    import numpy as np

    rng = np.random.default_rng(seed)
    votes = []
    ts = 1
    truth = {}
    for pid in range(2 * n_per_group):
        camp = pid % 2
        truth[pid] = camp
        for sid in range(n_statements):
            if sid != 0 and rng.random() < 0.15:
                continue  # not seen
            if sid == 0:
                v = 1
            elif rng.random() < 0.1:
                v = 0
            else:
                v = 1 if (sid % 2) == camp else -1
            votes.append((ts, sid, pid, v))
            ts += 1
    statements = [(sid, f"statement {sid}", 1) for sid in range(n_statements)]
    return statements, votes, truth


@pytest.fixture
def planted_export(tmp_path):
    statements, votes, truth = planted_votes()
    return write_export(tmp_path / "planted", statements, votes), truth
