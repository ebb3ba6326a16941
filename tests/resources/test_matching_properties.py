"""Property tests of the matcher on random small instances (hypothesis).

Optimality is checked against independent solvers: SciPy's maximum flow and
HiGHS linear programming (``scipy.optimize.linprog``) on the dense model.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from gongzhi.resources.matching import (
    MatchConfig,
    Need,
    Priority,
    Resource,
    Window,
    _Encoded,
    check_pair,
    feasible,
    greedy,
    repair,
    solve,
)

DENSE = MatchConfig(k_nearest=None, max_distance_m=2500)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REGIONS = ["A", "B", "C", None]


@st.composite
def window(draw):
    if draw(st.booleans()):
        return Window()
    s = draw(st.integers(0, 20))
    return Window(float(s), float(s + draw(st.integers(1, 12))))


@st.composite
def resources(draw, n_max=8, crowded=False):
    """Random resources; ``crowded`` makes one small town where everybody can serve everybody."""
    n = draw(st.integers(0, n_max))
    out = []
    for i in range(n):
        region = None if crowded else draw(st.sampled_from(REGIONS))
        out.append(
            Resource(
                id=f"r{i}",
                owner=f"u{i % 3}",
                kind="person" if crowded else draw(st.sampled_from(["person", "material"])),
                capacity=draw(st.integers(0, 3 if crowded else 6)),
                x=float(draw(st.integers(0, 30)) * (10 if crowded else 100)),
                y=float(draw(st.integers(0, 30)) * (10 if crowded else 100)),
                skills=frozenset() if crowded else frozenset(draw(st.sets(st.sampled_from("abc"), max_size=3))),
                certificates={}
                if crowded
                else draw(st.dictionaries(st.sampled_from(["law", "medicine"]), st.integers(1, 3), max_size=2)),
                available=Window() if crowded else draw(window()),
                region=region,
                shareable_with=frozenset(draw(st.sets(st.sampled_from(["A", "B", "C"]), max_size=1))),
                use_cost=draw(st.sampled_from([0, 0, 5])),
            )
        )
    return out


@st.composite
def needs(draw, n_max=10, crowded=False):
    n = draw(st.integers(1, n_max))
    out = []
    for i in range(n):
        out.append(
            Need(
                id=f"n{i}",
                kind="person" if crowded else draw(st.sampled_from(["person", "material"])),
                quantity=draw(st.integers(1, 5)),
                priority=draw(st.sampled_from(list(Priority))),
                x=float(draw(st.integers(0, 30)) * (10 if crowded else 100)),
                y=float(draw(st.integers(0, 30)) * (10 if crowded else 100)),
                skills=frozenset() if crowded else frozenset(draw(st.sets(st.sampled_from("abc"), max_size=1))),
                certificates={}
                if crowded
                else draw(st.dictionaries(st.sampled_from(["law", "medicine"]), st.integers(1, 3), max_size=1)),
                window=Window() if crowded else draw(window()),
                region=None if crowded else draw(st.sampled_from(REGIONS)),
                max_distance_m=draw(st.sampled_from([None, 1500.0])),
            )
        )
    return out


@st.composite
def instances(draw):
    """Either a varied instance (rules bite) or a crowded one (capacity and priorities bite)."""
    crowded = draw(st.booleans())
    return draw(resources(crowded=crowded)), draw(needs(crowded=crowded))


def _arcs(rs, ns, cfg=DENSE):
    return [(i, j) for i, n in enumerate(ns) for j, r in enumerate(rs) if feasible(r, n, cfg)]


def _lp(rs, ns, arcs, objective, fixed):
    """Solve an LP over arc flows; ``fixed`` maps priority -> served quantity to enforce."""
    m = len(arcs)
    a_ub, b_ub = [], []
    for j, r in enumerate(rs):
        a_ub.append([1.0 if aj == j else 0.0 for _, aj in arcs])
        b_ub.append(r.capacity)
    for i, n in enumerate(ns):
        a_ub.append([1.0 if ai == i else 0.0 for ai, _ in arcs])
        b_ub.append(n.quantity)
    a_eq, b_eq = [], []
    for p, q in fixed.items():
        a_eq.append([1.0 if ns[ai].priority == p else 0.0 for ai, _ in arcs])
        b_eq.append(q)
    res = linprog(
        objective,
        A_ub=np.array(a_ub).reshape(-1, m),
        b_ub=b_ub,
        A_eq=np.array(a_eq).reshape(-1, m) if a_eq else None,
        b_eq=b_eq or None,
        bounds=(0, None),
        method="highs",
    )
    assert res.status == 0
    return res.fun


def _check_valid(plan, cfg=DENSE):
    used = defaultdict(int)
    served = defaultdict(int)
    for a in plan.assignments:
        assert a.quantity > 0
        assert feasible(a.resource, a.need, cfg), a.explanation.text
        used[a.resource_id] += a.quantity
        served[a.need_id] += a.quantity
    for rid, q in used.items():
        assert q <= plan.resources[rid].capacity and rid not in plan.dropped
    for nid, q in served.items():
        assert q <= plan.needs[nid].quantity


@SETTINGS
@given(instances())
def test_plan_respects_capacities_rules_and_priority(inst):
    rs, ns = inst
    plan = solve(rs, ns, DENSE)
    _check_valid(plan)
    # The priority guarantee: a need left short has no feasible resource with spare
    # capacity, and no feasible resource gives units to a need of lower priority.
    for nid in plan.shortfalls:
        n = plan.needs[nid]
        for r in rs:
            if feasible(r, n, DENSE):
                assert plan.remaining(r.id) == 0
                for a in plan.for_resource(r.id):
                    assert a.need.priority <= n.priority, (
                        f"{r.id} serves {a.need_id} ({a.need.priority.name}) while {nid} ({n.priority.name}) is short"
                    )


@SETTINGS
@given(instances())
def test_plan_is_lexicographically_optimal(inst):
    """Served quantity per class is maximal in priority order, then the cost is minimal (checked by LP)."""
    rs, ns = inst
    plan = solve(rs, ns, DENSE)
    arcs = _arcs(rs, ns)
    if not arcs:
        assert plan.assignments == []
        return
    fixed = {}
    for p in Priority:
        best = -_lp(rs, ns, arcs, [-1.0 if ns[i].priority == p else 0.0 for i, _ in arcs], fixed)
        assert plan.served_by_priority[p] == round(best), p
        fixed[p] = plan.served_by_priority[p]
    costs = [check_unit_cost(rs[j], ns[i]) for i, j in arcs]
    assert plan.total_cost == round(_lp(rs, ns, arcs, costs, fixed))


def check_unit_cost(r, n):
    from gongzhi.resources.matching import distance_m, unit_cost

    return unit_cost(distance_m(r, n), r, DENSE)


@SETTINGS
@given(instances())
def test_greedy_never_beats_optimal(inst):
    rs, ns = inst
    opt = solve(rs, ns, DENSE)
    base = greedy(rs, ns, DENSE)
    _check_valid(base)
    vo = [opt.served_by_priority[p] for p in Priority]
    vg = [base.served_by_priority[p] for p in Priority]
    assert vo >= vg  # lexicographic comparison
    if vo == vg:
        assert opt.total_cost <= base.total_cost


@SETTINGS
@given(instances(), st.data())
def test_repair_without_preemption_keeps_other_assignments(inst, data):
    rs, ns = inst
    plan = solve(rs, ns, DENSE)
    if not rs:
        return
    drop = data.draw(st.sets(st.sampled_from([r.id for r in rs]), min_size=1, max_size=2))
    fixed = repair(plan, drop, preempt=False)
    _check_valid(fixed)
    before = {(a.need_id, a.resource_id): a.quantity for a in plan.assignments}
    after = {(a.need_id, a.resource_id): a.quantity for a in fixed.assignments}
    lost = defaultdict(int)
    for (nid, rid), q in before.items():
        if rid in drop:
            lost[nid] += q
            assert (nid, rid) not in after
        else:
            assert after[(nid, rid)] >= q  # kept; may only grow if the repair reused the pair for an affected need
    for (nid, rid), q in after.items():
        if q != before.get((nid, rid), 0):
            assert nid in lost, f"unaffected need {nid} changed"
    assert fixed.affected == frozenset(lost) and fixed.bumped == {}
    # affected needs never get more back than they lost
    for nid in lost:
        assert fixed.served.get(nid, 0) <= plan.served.get(nid, 0)
    # the repair serves the lost units as well as a fresh solve of the same sub-problem could
    sub_rs = [
        replace(r, capacity=0 if r.id in drop else r.capacity - sum(q for (_, r_), q in before.items() if r_ == r.id))
        for r in rs
    ]
    sub_ns = [replace(n, quantity=lost[n.id]) for n in ns if n.id in lost]
    if sub_ns:
        sub = solve(sub_rs, sub_ns, DENSE)
        regained = sum(fixed.served.get(n.id, 0) - (plan.served[n.id] - lost[n.id]) for n in sub_ns)
        assert regained == sub.served_total


@SETTINGS
@given(instances(), st.data())
def test_repair_with_preemption_keeps_priority(inst, data):
    rs, ns = inst
    plan = solve(rs, ns, DENSE)
    if not rs:
        return
    drop = data.draw(st.sets(st.sampled_from([r.id for r in rs]), min_size=1, max_size=2))
    fixed = repair(plan, drop)
    _check_valid(fixed)
    before = {(a.need_id, a.resource_id): a.quantity for a in plan.assignments}
    after = {(a.need_id, a.resource_id): a.quantity for a in fixed.assignments}
    lost = {a.need_id for a in plan.assignments if a.resource_id in drop}
    touched = fixed.affected
    assert lost <= touched and set(fixed.bumped) <= touched
    # only affected needs and needs bumped by a need of higher priority change
    for key in before.keys() | after.keys():
        if key[1] not in drop and before.get(key, 0) != after.get(key, 0):
            assert key[0] in touched, f"untouched need {key[0]} changed"
    top = min((plan.needs[nid].priority for nid in lost), default=None)
    for nid, q in fixed.bumped.items():
        assert q > 0 and plan.needs[nid].priority > top
    # the priority guarantee holds for every need the repair touched
    for nid in fixed.shortfalls:
        if nid not in touched:
            continue
        n = plan.needs[nid]
        for r in rs:
            if feasible(r, n, DENSE) and r.id not in drop:
                assert fixed.remaining(r.id) == 0
                assert all(a.need.priority <= n.priority for a in fixed.for_resource(r.id))


@SETTINGS
@given(resources(), needs())
def test_vectorised_rules_agree_with_reference(rs, ns):
    enc = _Encoded(rs, ns, DENSE)
    pairs = [(i, j) for i in range(len(ns)) for j in range(len(rs))]
    if not pairs:
        return
    ni = np.array([p[0] for p in pairs])
    ri = np.array([p[1] for p in pairs])
    d = np.array([np.sqrt((rs[j].x - ns[i].x) ** 2 + (rs[j].y - ns[i].y) ** 2) for i, j in pairs])
    got = enc.mask(ni, ri, d)
    want = [all(c.passed for c in check_pair(rs[j], ns[i], DENSE)) for i, j in pairs]
    assert got.tolist() == want
    # the dense candidate set is exactly the feasible pairs
    an, ar, _ = enc.candidates(np.arange(len(ns)), None)
    assert sorted(zip(an.tolist(), ar.tolist())) == sorted(p for p, w in zip(pairs, want) if w)


def test_sparse_solve_matches_dense_on_a_roomy_instance():
    from gongzhi.resources.synthetic import random_instance

    rs, ns = random_instance(150, 300, seed=11)
    dense = solve(rs, ns, MatchConfig(k_nearest=None))
    sparse = solve(rs, ns, MatchConfig(k_nearest=8))
    _check_valid(sparse, MatchConfig())
    assert sparse.served_by_priority == dense.served_by_priority
    assert dense.total_cost <= sparse.total_cost <= dense.total_cost * 1.02
