"""Validation on six real pol.is conversations (CC BY 4.0, see /work/shared/data/polis/SOURCE-README.md).

For each conversation: the adjusted Rand index (ARI) between our groups and pol.is's own ``group-id``
(participants both sides grouped), and the same figure for red-dwarf run on the same votes in the
same session.

pol.is's groups are its *live* state: every math update (one per second with new votes) starts
k-means from the previous clusters, and the exported groups are the last state of that path. The
platform runs the same live mode (one update per burst of votes, ``consult.math.replay``), so the
first test replays each conversation's whole vote log through it and compares its agreement with
pol.is to red-dwarf's, per conversation and on average. It is at least red-dwarf's on five of the
six; on vtaiwan.uberx it is not (``LIVE_BEHIND``), marked ``xfail`` with the figures.

A one-shot analysis of the final votes (ours, red-dwarf's) can only land near that path. For the
one-shot analysis the mean over the six must not be below red-dwarf's; on two conversations
red-dwarf's single start lands closer (reasons in ``ONE_SHOT_BEHIND``), marked ``xfail`` with the
figures so the gap stays visible.

Pure math (no database): the PostgreSQL pass leaves this module out. The six replays (about 88,000
updates) run in two processes.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from gongzhi.consult import math as cm
from gongzhi.consult.polis_io import read_export
from gongzhi.consult.report import replay_export

from .conftest import CONVERSATIONS, POLIS_DATA

pytestmark = pytest.mark.sqlite_only

# Conversations where red-dwarf's ARI is above our live groups' (measured with seed=0).
LIVE_BEHIND = {
    "vtaiwan.uberx": "live 0.759 vs red-dwarf 0.826 over 40,885 updates (the same with ARPACK's PCA, the "
    "Gram matrix formed directly or pol.is's warm-started power iteration); a replay of the final votes only (overridden votes dropped, 40,862 "
    "updates) gave 0.843, so the path pol.is took there turns on details no export records",
}

# Conversations where red-dwarf's ARI is above our one-shot analysis's (ours, red-dwarf's, seed=0).
ONE_SHOT_BEHIND = {
    "canadian-electoral-reform": "ours 0.898 vs red-dwarf 1.000: both are k-means fixed points of the "
    "projection; pol.is's has the slightly higher within-group sum of squares (1175.10 vs 1174.99), "
    "so the lowest-sum-of-squares rule cannot pick it",
    "vtaiwan.uberx": "ours 0.729 vs red-dwarf 0.826: no grouping built from our base clusters comes "
    "closer at a low sum of squares; red-dwarf's participant-level k-means lands in the fixed point "
    "nearest pol.is's groups",
}


def _ari(truth: dict[int, int], ours: dict[int, int]) -> tuple[float, int]:
    common = sorted(p for p in truth if ours.get(p) is not None)
    return adjusted_rand_score([truth[p] for p in common], [ours[p] for p in common]), len(common)


@functools.cache
def ours(name: str) -> tuple[float, int, int]:
    conv = read_export(POLIS_DATA / name)
    vm = cm.build_vote_matrix(conv.votes_participant, conv.votes_statement, conv.votes_value, conv.votes_timestamp)
    an = cm.analyse(vm, conv.moderated_out, seed=0)
    ari, n = _ari(conv.polis_groups, an.group_of())
    return ari, n, an.n_groups


@functools.cache
def red_dwarf(name: str) -> tuple[float, int, int]:
    import warnings

    from reddwarf.implementations.polis import run_pipeline

    conv = read_export(POLIS_DATA / name)
    votes = [
        {"participant_id": int(p), "statement_id": int(s), "vote": int(v), "modified": int(t)}
        for p, s, v, t in zip(conv.votes_participant, conv.votes_statement, conv.votes_value, conv.votes_timestamp)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_pipeline(votes=votes, mod_out_statement_ids=conv.moderated_out, random_state=0)
    labels = result.participants_df["cluster_id"].dropna()
    groups = {int(p): int(g) for p, g in labels.items()}
    ari, n = _ari(conv.polis_groups, groups)
    return ari, n, len(set(groups.values()))


def _params():
    for name in CONVERSATIONS:
        marks = []
        if name in ONE_SHOT_BEHIND:
            marks.append(pytest.mark.xfail(reason=ONE_SHOT_BEHIND[name], strict=False))
        yield pytest.param(name, marks=marks, id=name)


@pytest.fixture(scope="module")
def live_runs():
    """Each conversation replayed through the live mode, the largest first, two at a time."""
    order = sorted(CONVERSATIONS, key=lambda n: -(POLIS_DATA / n / "votes.csv").stat().st_size)
    workers = max(1, min(2, os.cpu_count() or 1))
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {n: pool.submit(replay_export, POLIS_DATA / n) for n in order}
        return {n: f.result() for n, f in futures.items()}


def _live_params():
    for name in CONVERSATIONS:
        marks = [pytest.mark.xfail(reason=LIVE_BEHIND[name], strict=False)] if name in LIVE_BEHIND else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_live_params()))
def test_live_groups_agree_with_polis_at_least_as_well_as_red_dwarf(name, live_runs, record_property):
    conv, an, updates = live_runs[name]
    assert updates == cm.bursts(np.sort(read_votes_timestamps(name))).shape[0]
    live_ari, live_n = _ari(conv.polis_groups, an.group_of())
    rd_ari, rd_n, rd_k = red_dwarf(name)
    record_property("ari", {"live": round(live_ari, 3), "red-dwarf": round(rd_ari, 3), "updates": updates})
    print(
        f"{name}: ARI live {live_ari:.3f} (k={an.n_groups}, n={live_n}, {updates} updates) "
        f"red-dwarf {rd_ari:.3f} (k={rd_k}, n={rd_n})"
    )
    assert live_n >= 0.95 * len(conv.polis_groups)
    assert live_ari >= rd_ari - 1e-9


def test_live_mean_agreement_over_all_conversations_beats_red_dwarf(live_runs):
    mine = np.array([_ari(live_runs[n][0].polis_groups, live_runs[n][1].group_of())[0] for n in CONVERSATIONS])
    theirs = np.array([red_dwarf(n)[0] for n in CONVERSATIONS])
    print("ARI live", mine.round(3), "mean", mine.mean().round(3))
    print("ARI red-dwarf", theirs.round(3), "mean", theirs.mean().round(3))
    assert mine.mean() >= theirs.mean()


def read_votes_timestamps(name: str) -> np.ndarray:
    from gongzhi.consult.polis_io import read_votes

    return read_votes(POLIS_DATA / name / "votes.csv")[3]


@pytest.mark.parametrize("name", list(_params()))
def test_one_shot_groups_agree_with_polis_at_least_as_well_as_red_dwarf(name, record_property):
    our_ari, our_n, our_k = ours(name)
    rd_ari, rd_n, rd_k = red_dwarf(name)
    record_property("ari", {"ours": round(our_ari, 3), "red-dwarf": round(rd_ari, 3)})
    print(f"{name}: ARI ours {our_ari:.3f} (k={our_k}, n={our_n}) red-dwarf {rd_ari:.3f} (k={rd_k}, n={rd_n})")
    # Both sides cluster (nearly) everyone pol.is grouped.
    conv_groups = read_export(POLIS_DATA / name).polis_groups
    assert our_n >= 0.95 * len(conv_groups)
    assert our_ari >= rd_ari - 1e-9


def test_one_shot_mean_agreement_over_all_conversations_beats_red_dwarf():
    mine = np.array([ours(n)[0] for n in CONVERSATIONS])
    theirs = np.array([red_dwarf(n)[0] for n in CONVERSATIONS])
    print("ARI ours", mine.round(3), "mean", mine.mean().round(3))
    print("ARI red-dwarf", theirs.round(3), "mean", theirs.mean().round(3))
    assert mine.mean() >= theirs.mean()
    # The large, clearly split conversations agree closely with pol.is.
    assert min(ours(n)[0] for n in ("scoop-hivemind.biodiversity", "brexit-consensus", "15-per-hour-seattle")) > 0.85
