from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score

from gongzhi.consult import math as cm
from gongzhi.consult.polis_io import read_export

from .conftest import POLIS_DATA, planted_votes


def _matrix(votes):
    ts, s, p, v = zip(*votes)
    return cm.build_vote_matrix(p, s, v, ts)


def _random_votes(n=60, m=25, density=0.5, seed=0):
    rng = np.random.default_rng(seed)
    mask = rng.random((n, m)) < density
    p, s = np.nonzero(mask)
    v = rng.choice([-1, 0, 1], size=p.size, p=[0.4, 0.2, 0.4])
    return p, s, v


# --- statistics, checked against the formulas written out by hand ------------------------------


def test_prop_test_matches_polis_formula():
    # 2·√(n+1)·((x+1)/(n+1) − ½)
    assert cm.prop_test(9, 10) == pytest.approx(2 * math.sqrt(11) * (10 / 11 - 0.5))
    assert cm.prop_test(0, 0) == pytest.approx(1.0)  # (0+1)/(0+1) = 1 → 2·1·0.5
    assert cm.prop_test(5, 11) == pytest.approx(0.0)  # (6/12) = ½ → 0


def test_two_prop_test_matches_formula():
    x1, n1, x2, n2 = 30, 40, 10, 50
    a, b, c, d = x1 + 1, n1 + 1, x2 + 1, n2 + 1
    p1, p2, ph = a / b, c / d, (a + c) / (b + d)
    expected = (p1 - p2) / math.sqrt(ph * (1 - ph) * (1 / b + 1 / d))
    assert cm.two_prop_test(x1, n1, x2, n2) == pytest.approx(expected)
    assert cm.two_prop_test(3, 3, 3, 3) == 0.0  # pooled proportion 1: no evidence either way


def test_group_informed_consensus_is_product_of_smoothed_agreement():
    a = np.array([[9.0, 0.0], [4.0, 5.0]])
    s = np.array([[10.0, 10.0], [5.0, 5.0]])
    got = cm.group_informed_consensus(a, s)
    assert got[0] == pytest.approx((10 / 12) * (5 / 7))
    assert got[1] == pytest.approx((1 / 12) * (6 / 7))


# --- vote matrix, imputation, PCA, projection --------------------------------------------------


def test_vote_matrix_keeps_passes_and_last_vote():
    vm = cm.build_vote_matrix([1, 1, 1, 2], [3, 3, 4, 4], [1, -1, 0, 1], [1, 2, 3, 4])
    dense = vm.csr().toarray()
    assert vm.participants.tolist() == [1, 2] and vm.statements.tolist() == [3, 4]
    assert dense.tolist() == [[-1, 0], [0, 1]]
    assert vm.nnz == 3  # the pass is stored: it is a vote, not a missing value
    with pytest.raises(ValueError):
        cm.build_vote_matrix([1], [1], [2])


def test_sparse_pca_and_projection_equal_dense_mean_imputed_reference():
    p, s, v = _random_votes()
    vm = cm.build_vote_matrix(p, s, v)
    an = cm.analyse(vm, seed=1)
    # Dense reference: NaN for missing, impute column means, PCA(2), scale by √(m / votes).
    n, m = vm.shape
    x = np.full((n, m), np.nan)
    x[p, s] = v
    imputed = np.where(np.isnan(x), np.nanmean(x, axis=0), x)
    ref = PCA(n_components=2).fit(imputed)
    proj = ref.transform(imputed) * np.sqrt(m / (~np.isnan(x)).sum(axis=1))[:, None]
    for r in range(2):
        sign = np.sign(ref.components_[r] @ an.components[r])
        assert np.allclose(an.components[r] * sign, ref.components_[r], atol=1e-8)
        assert np.allclose(an.projection[:, r] * sign, proj[:, r], atol=1e-8)
    assert np.allclose(an.center, ref.mean_)


def test_projection_matches_red_dwarf_on_a_real_conversation():
    from reddwarf.utils.matrix import generate_raw_matrix, simple_filter_matrix
    from reddwarf.utils.reducer.base import run_reducer

    conv = read_export(POLIS_DATA / "15-per-hour-seattle")
    vm = cm.build_vote_matrix(conv.votes_participant, conv.votes_statement, conv.votes_value)
    an = cm.analyse(vm, conv.moderated_out)
    votes = [
        {"participant_id": int(a), "statement_id": int(b), "vote": int(c), "modified": int(d)}
        for a, b, c, d in zip(conv.votes_participant, conv.votes_statement, conv.votes_value, conv.votes_timestamp)
    ]
    raw = generate_raw_matrix(votes=votes)
    filtered = simple_filter_matrix(raw, mod_out_statement_ids=conv.moderated_out)
    theirs, _, _ = run_reducer(filtered.values)
    assert raw.index.tolist() == vm.participants.tolist()
    for r in range(2):
        sign = np.sign(theirs[:, r] @ an.projection[:, r])
        assert np.allclose(an.projection[:, r] * sign, theirs[:, r], atol=1e-6)


# --- groups and statements ----------------------------------------------------------------------


def test_planted_camps_are_found_with_common_ground_first():
    statements, votes, truth = planted_votes()
    vm = _matrix(votes)
    an = cm.analyse(vm, seed=0)
    assert an.too_small is None and an.n_groups == 2
    groups = {p: g for p, g in an.group_of().items() if g is not None}
    assert len(groups) == int(an.in_analysis.sum()) >= 36
    assert adjusted_rand_score([truth[p] for p in groups], [groups[p] for p in groups]) == 1.0
    # Statement 0 is agreed by everyone: it leads the 最大公约数 list and the majority consensus.
    assert an.most_common_ground(3)[0][0] == 0
    assert an.consensus["agree"][0].statement == 0
    # Each camp is represented by statements it agrees with and the other camp rejects.
    for g in range(2):
        members = [p for p, gg in groups.items() if gg == g]
        camp = truth[members[0]]
        reps = an.representative[g]
        assert reps and all(r.significant for r in reps)
        for r in reps:
            agrees = (r.statement % 2 == camp) == (r.direction == "agree")
            assert agrees and r.statement != 0
            assert r.p_test > cm.Z_90 and r.repness_test > cm.Z_90
    assert an.divisive and an.divisive[0][0] != 0


def test_same_seed_same_result_and_warm_start_keeps_groups():
    p, s, v = _random_votes(n=150, m=30, seed=5)
    vm = cm.build_vote_matrix(p, s, v)
    a = cm.analyse(vm, seed=3)
    b = cm.analyse(vm, seed=3)
    assert np.array_equal(a.labels, b.labels) and np.array_equal(a.projection, b.projection)
    c = cm.analyse(vm, seed=3, previous=a.state)
    assert adjusted_rand_score(a.labels, c.labels) == 1.0
    assert c.state.in_analysis.tolist() == a.state.in_analysis.tolist()


def test_participants_once_in_stay_in():
    statements, votes, _ = planted_votes()
    first = cm.analyse(_matrix(votes))
    # The same people, now with a statement nobody else voted on… plus 7 new statements: the
    # threshold min(7, statements) rises, but nobody who was in drops out.
    extra = [(10_000 + i, 100 + i, 999, 1) for i in range(8)]
    later = cm.analyse(_matrix(votes + extra), previous=first.state)
    before = set(first.participants[first.in_analysis].tolist())
    after = set(later.participants[later.in_analysis].tolist())
    assert before <= after and 999 in after


def test_moderated_out_statements_are_not_listed():
    statements, votes, _ = planted_votes()
    an = cm.analyse(_matrix(votes), moderated_out=[0])
    assert 0 not in [sid for sid, _ in an.most_common_ground(20)]
    assert all(st.statement != 0 for d in an.consensus.values() for st in d)
    assert all(st.statement != 0 for reps in an.representative.values() for st in reps)


def test_too_small_conversation_says_so_instead_of_inventing_groups():
    votes = [(i, s, p, 1 if (p + s) % 2 else -1) for i, (p, s) in enumerate((p, s) for p in range(3) for s in range(8))]
    an = cm.analyse(_matrix(votes))
    assert an.n_groups == 0 and (an.labels == -1).all()
    assert "at least 4 are needed" in an.too_small
    assert an.most_common_ground() == []


def test_unanimous_conversation_has_no_groups():
    votes = [(i, s, p, 1) for i, (p, s) in enumerate((p, s) for p in range(30) for s in range(8))]
    an = cm.analyse(_matrix(votes))
    assert an.n_groups == 0 and "same position" in an.too_small
    assert [st.statement for st in an.consensus["agree"]][:5] == [0, 1, 2, 3, 4]


def test_perfectly_split_conversation_has_two_groups():
    votes = [
        (i, s, p, 1 if (p + s) % 2 else -1) for i, (p, s) in enumerate((p, s) for p in range(10) for s in range(8))
    ]
    an = cm.analyse(_matrix(votes))
    assert an.too_small is None and an.n_groups == 2 and an.group_sizes() == [5, 5]
    groups = an.group_of()
    assert all((groups[p] == groups[q]) == (p % 2 == q % 2) for p in groups for q in groups)


def test_single_statement_is_too_small():
    an = cm.analyse(cm.build_vote_matrix([1, 2, 3], [0, 0, 0], [1, -1, 0]))
    assert an.n_groups == 0 and "2 statements" in an.too_small


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 25), st.integers(0, 9), st.sampled_from([-1, 0, 1])), max_size=200),
    st.lists(st.integers(0, 9), max_size=3),
)
def test_any_small_conversation_gives_a_consistent_answer(votes, moderated):
    """Whatever the votes: either groups that partition the participants in the analysis, or a
    reason why not — never an exception, never a group for someone outside the analysis."""
    if votes:
        p, s, v = zip(*votes)
    else:
        p = s = v = ()
    vm = cm.build_vote_matrix(p, s, v)
    an = cm.analyse(vm, moderated)
    assert (an.labels[~an.in_analysis] == -1).all()
    if an.too_small:
        assert an.n_groups == 0 and (an.labels == -1).all()
    else:
        assert an.n_groups >= 2
        assert (an.labels[an.in_analysis] >= 0).all()
        assert sorted(set(an.labels[an.in_analysis].tolist())) == list(range(an.n_groups))
        assert an.group_sizes() == sorted(an.group_sizes(), reverse=True)
        gic = an.group_consensus_agree
        assert gic is not None and ((gic > 0) & (gic < 1)).all()
        listed = [sid for sid, _ in an.most_common_ground(50)]
        assert not set(listed) & set(moderated)


# --- updating as votes arrive: bursts, replay, the growing log (§8) ------------------------------


def test_silhouette_equals_scikit_learns():
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(4)
    for trial in range(300):
        n = int(rng.integers(3, 90))
        pts = rng.integers(-3, 4, size=(n, 2)).astype(float) if trial % 2 else rng.normal(size=(n, 2))
        labels = rng.integers(0, int(rng.integers(2, 6)), n) * 3  # ids need not be 0…k−1
        if 2 <= np.unique(labels).size < n:
            assert cm._silhouette(pts, labels) == pytest.approx(silhouette_score(pts, labels), abs=1e-12)
    assert cm._silhouette(np.zeros((3, 2)), np.array([0, 0, 0])) == -1.0


def test_clean_start_recentres_merges_and_grows():
    pts = np.array([[0.0, 0], [0, 0], [5, 5], [9, 0], [0, 0]])
    ids = np.array([10, 11, 12, 13, 14])
    # Clusters 3 and 7 sit on the same spot: merged under 7, the larger (participant 99 is gone).
    previous = [(3, np.array([10])), (7, np.array([11, 14, 99])), (5, np.array([12]))]
    got_ids, centres = cm._clean_start(pts, np.ones(5), ids, previous, 2)
    assert got_ids.tolist() == [5, 7] and centres.tolist() == [[5, 5], [0, 0]]
    # Equal sizes: the earlier one keeps its id.
    tie = [(3, np.array([10])), (7, np.array([11])), (5, np.array([12, 13]))]
    assert cm._clean_start(pts, np.ones(5), ids, tie, 2)[0].tolist() == [3, 5]
    # Asked for more: the point farthest from every centre becomes a new cluster, id after the
    # highest, up to the number of distinct points (3 here).
    got_ids, centres = cm._clean_start(pts, np.ones(5), ids, previous, 5)
    assert got_ids.tolist() == [5, 7, 8] and centres[2].tolist() == [9, 0]
    # Nobody from before: the first distinct points (pol.is's fresh start).
    got_ids, centres = cm._clean_start(pts, np.ones(5), ids, [(1, np.array([50]))], 2)
    assert got_ids.tolist() == [0, 1] and centres.tolist() == [[0, 0], [5, 5]]


def test_bursts_split_where_votes_are_more_than_a_second_apart():
    assert cm.bursts([0, 500, 1500, 2600, 2600, 9000]).tolist() == [3, 5, 6]  # 1000 ms apart: same burst
    assert cm.bursts([]).tolist() == []
    with pytest.raises(ValueError):
        cm.bursts([5, 1])


def _log(name="brexit-consensus"):
    from gongzhi.consult.polis_io import read_votes

    p, s, v, t = read_votes(POLIS_DATA / name / "votes.csv")
    order = np.argsort(t, kind="stable")
    return p[order], s[order], v[order], t[order]


def test_growing_log_equals_building_each_prefix():
    p, s, v, t = _log()
    log = cm._GrowingLog(p, s, v)
    for end in [1, 2, 3, 50, 51, 400, 2000, 2001, p.shape[0]]:
        a, b = log.upto(end), cm.build_vote_matrix(p[:end], s[:end], v[:end], t[:end])
        for f in ("participants", "statements", "indptr", "indices", "data"):
            assert np.array_equal(getattr(a, f), getattr(b, f)) and getattr(a, f).dtype == getattr(b, f).dtype
    with pytest.raises(ValueError):
        log.upto(10)


def test_replay_in_pieces_through_json_equals_one_replay():
    p, s, v, t = _log("london.youth.policing")
    whole = cm.replay(p, s, v, t)
    assert whole.updates == cm.bursts(t).shape[0] and whole.through == p.shape[0]
    calls, done = [], 0
    state = prior = None
    while done < p.shape[0]:
        r = cm.replay(
            p,
            s,
            v,
            t,
            start=done,
            previous=state,
            prior=prior,
            stop=lambda: len(calls) % 40 == 39,
            progress=calls.append,
        )
        state = cm.ClusterState.from_json(json.loads(json.dumps(r.state.to_json()))) if r.state else None
        prior = cm.ClusterState.from_json(r.prior.to_json()) if r.prior else None
        done = r.through
    assert len(calls) == whole.updates
    assert state.to_json() == whole.state.to_json() and prior.to_json() == whole.prior.to_json()
    assert r.analysis.labels.tolist() == whole.analysis.labels.tolist() and r.analysis.consensus
    # The last update can be redone from the prior state and the whole log.
    again = cm.analyse(cm.build_vote_matrix(p, s, v, t), previous=whole.prior)
    assert again.labels.tolist() == whole.analysis.labels.tolist()


def test_replay_without_statistics_forms_the_same_groups():
    p, s, v, t = _log("london.youth.policing")
    ends = cm.bursts(t)[:120]
    a = cm.replay(p, s, v, t, ends=ends)
    b = cm.replay(p, s, v, t, ends=ends, statistics=False)
    assert a.analysis.labels.tolist() == b.analysis.labels.tolist()
    assert a.analysis.representative and not b.analysis.representative


def test_replay_co_occurrences_equal_those_from_scratch_and_give_the_centred_gram():
    p, s, v, t = _log()
    log = cm._GrowingLog(p, s, v)
    for end in [1, 7, 300, 2000, p.shape[0]]:
        vm = log.upto(end)
        kept = vm.cooccurrence
        vm.cooccurrence = None
        fresh = cm._cooccurrence(vm)
        assert all(np.array_equal(a, b) for a, b in zip(kept, fresh))  # integers: exact
        m = vm.shape[1]
        seen = np.bincount(vm.indices, minlength=m)
        mu = np.bincount(vm.indices, weights=vm.data, minlength=m) / np.maximum(seen, 1)
        out = np.zeros(m, dtype=bool)
        out[: m // 3] = True
        xc = vm.csr(np.where(out[vm.indices], 0.0, vm.data - mu[vm.indices]))
        mu[out] = 0.0
        assert np.allclose(cm._centred_gram(fresh, mu, out), (xc.T @ xc).toarray(), atol=1e-9)
