"""Validation on six real pol.is conversations (CC BY 4.0, see /work/shared/data/polis/SOURCE-README.md).

For each conversation: the adjusted Rand index (ARI) between our groups and pol.is's own ``group-id``
(participants both sides grouped), and the same figure for red-dwarf run on the same votes in the
same session.

pol.is's groups depend on the conversation's history: every math update starts k-means from the
previous clusters, and the exported groups are the last state of that path. A one-shot analysis of
the final votes (ours, red-dwarf's) can only land near it. On two conversations red-dwarf's start
(the left-most points) lands closer to pol.is's final state than ours (reasons in ``KNOWN_BEHIND``);
those are marked ``xfail`` with the figures, so the gap stays visible (an XPASS shows when it
closes). Over all six our mean ARI must not be below red-dwarf's.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from gongzhi.consult import math as cm
from gongzhi.consult.polis_io import read_export

from .conftest import CONVERSATIONS, POLIS_DATA

# Conversations where red-dwarf's ARI is above ours (ours, red-dwarf's, measured with seed=0).
KNOWN_BEHIND = {
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
        if name in KNOWN_BEHIND:
            marks.append(pytest.mark.xfail(reason=KNOWN_BEHIND[name], strict=False))
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_groups_agree_with_polis_at_least_as_well_as_red_dwarf(name, record_property):
    our_ari, our_n, our_k = ours(name)
    rd_ari, rd_n, rd_k = red_dwarf(name)
    record_property("ari", {"ours": round(our_ari, 3), "red-dwarf": round(rd_ari, 3)})
    print(f"{name}: ARI ours {our_ari:.3f} (k={our_k}, n={our_n}) red-dwarf {rd_ari:.3f} (k={rd_k}, n={rd_n})")
    # Both sides cluster (nearly) everyone pol.is grouped.
    conv_groups = read_export(POLIS_DATA / name).polis_groups
    assert our_n >= 0.95 * len(conv_groups)
    assert our_ari >= rd_ari - 1e-9


def test_mean_agreement_over_all_conversations_beats_red_dwarf():
    mine = np.array([ours(n)[0] for n in CONVERSATIONS])
    theirs = np.array([red_dwarf(n)[0] for n in CONVERSATIONS])
    print("ARI ours", mine.round(3), "mean", mine.mean().round(3))
    print("ARI red-dwarf", theirs.round(3), "mean", theirs.mean().round(3))
    assert mine.mean() >= theirs.mean()
    # The large, clearly split conversations agree closely with pol.is.
    assert min(ours(n)[0] for n in ("scoop-hivemind.biodiversity", "brexit-consensus", "15-per-hour-seattle")) > 0.85
