"""The min-cost flow core: one network per connected component (OR-Tools), lexicographic by priority
class, then least distance cost (:func:`solve`).

Part of :mod:`gongzhi.resources.matching` (pure: no Django).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .encoding import _Encoded, _exact_costs, _unique_by_id
from .model import DEFAULT_CONFIG, MatchConfig, Need, Resource
from .results import Assignment, Plan

# ---------------------------------------------------------------------------
# Min-cost flow core
# ---------------------------------------------------------------------------


def _flow(
    cap: np.ndarray,
    demand: np.ndarray,
    prio: np.ndarray,
    arc_n: np.ndarray,
    arc_r: np.ndarray,
    arc_cost: np.ndarray,
    cap_class: np.ndarray | None = None,
) -> np.ndarray:
    """Lexicographic min-cost flow; returns the flow on each candidate arc.

    ``cap``: remaining capacity per resource row, ``demand``/``prio`` per need
    row, arcs as (need row, resource row, unit cost).  ``cap_class`` (repair
    only) marks resource rows whose capacity is held by needs of that priority
    class (-1: free capacity); using it costs that class's shortage penalty.

    The candidate graph falls apart by kind and region into independent
    connected components (found with SciPy); each is solved on its own, which
    is the same optimum and several times faster than one big network.
    """
    flows = np.zeros(len(arc_n), np.int64)
    if len(arc_n) == 0:
        return flows
    nr, nn = len(cap), len(demand)
    if cap_class is None:
        cap_class = np.full(nr, -1, np.int64)
    graph = coo_matrix((np.ones(len(arc_n), np.int8), (arc_n, nn + arc_r)), shape=(nn + nr, nn + nr))
    _, label = connected_components(graph, directed=False)
    # per node: its position among the needs (resources) of its component
    by_n = np.argsort(label[:nn], kind="stable")
    by_r = np.argsort(label[nn:], kind="stable")
    n_start = np.searchsorted(label[:nn][by_n], label[:nn][by_n])  # first row of its component
    r_start = np.searchsorted(label[nn:][by_r], label[nn:][by_r])
    n_local = np.empty(nn, np.int64)
    n_local[by_n] = np.arange(nn) - n_start
    r_local = np.empty(nr, np.int64)
    r_local[by_r] = np.arange(nr) - r_start
    comp = label[arc_n]
    order = np.argsort(comp, kind="stable")
    for idx in np.split(order, np.flatnonzero(np.diff(comp[order])) + 1):
        c = comp[idx[0]]
        lo, hi = np.searchsorted(label[:nn][by_n], [c, c + 1])
        needs_u = by_n[lo:hi]
        lo, hi = np.searchsorted(label[nn:][by_r], [c, c + 1])
        res_u = by_r[lo:hi]
        flows[idx] = _flow_component(
            cap[res_u],
            demand[needs_u],
            prio[needs_u],
            n_local[arc_n[idx]],
            r_local[arc_r[idx]],
            arc_cost[idx],
            cap_class[res_u],
        )
    return flows


def _flow_component(
    cap: np.ndarray,
    demand: np.ndarray,
    prio: np.ndarray,
    arc_n: np.ndarray,
    arc_r: np.ndarray,
    arc_cost: np.ndarray,
    cap_class: np.ndarray,
) -> np.ndarray:
    """One min-cost flow network (see the module docstring)."""
    nr, nn = len(cap), len(demand)
    if len(arc_n) == 0 or demand.sum() == 0:
        return np.zeros(len(arc_n), np.int64)
    n_nodes = 1 + nr + nn
    # The penalty gap between classes must exceed the cost of the real arcs of any
    # simple cycle.  Such a cycle enters each need at most once through a forward
    # resource -> need arc (backward arcs only subtract), so the sum over needs of
    # their dearest incoming arc is a bound.  (Proof in docs/matching.md.)
    dearest = np.zeros(nn, np.int64)
    np.maximum.at(dearest, arc_n, arc_cost)
    step = int(dearest.sum()) + 1
    penalty = (3 - prio.astype(np.int64)) * step
    if int(penalty.max()) * n_nodes >= 2**62 or int(penalty.max()) * int(demand.sum()) >= 2**62:
        raise ValueError("problem too large for 64-bit costs; lower the distance cost resolution")
    smcf = min_cost_flow.SimpleMinCostFlow()
    src = 0
    r_nodes = 1 + np.arange(nr, dtype=np.int64)
    n_nodes_ = 1 + nr + np.arange(nn, dtype=np.int64)
    tails = np.concatenate([np.zeros(nr, np.int64), r_nodes[arc_r], np.zeros(nn, np.int64)])
    heads = np.concatenate([r_nodes, n_nodes_[arc_n], n_nodes_])
    caps = np.concatenate([cap, np.minimum(demand[arc_n], cap[arc_r]), demand]).astype(np.int64)
    held = np.where(cap_class >= 0, (3 - cap_class) * step, 0)
    costs = np.concatenate([held, arc_cost, penalty]).astype(np.int64)
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(n_nodes, np.int64)
    supplies[src] = int(demand.sum())
    supplies[n_nodes_] = -demand
    smcf.set_nodes_supplies(np.arange(n_nodes, dtype=np.int64), supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    first = nr
    return np.asarray(smcf.flows(np.arange(first, first + len(arc_n), dtype=np.int64)), np.int64)


def _ranks(arc_n: np.ndarray, arc_c: np.ndarray, arc_d: np.ndarray, sel: np.ndarray) -> np.ndarray:
    """For arcs ``sel``: 1 + the number of arcs into the same need that are cheaper (by cost, then distance).

    Sorts one integer key (need, cost) instead of every arc by three keys; the
    distance only breaks ties between arcs of equal need and cost, and only
    the arcs of such tied (need, cost) pairs are sorted by it.
    """
    if not len(sel):
        return np.zeros(0, np.int64)
    width = int(arc_c.max()) + 1
    key = arc_n.astype(np.int64) * width + arc_c
    by_key = np.argsort(key)
    skey = key[by_key]
    ku = key[sel]
    lo = np.searchsorted(skey, ku, "left")
    hi = np.searchsorted(skey, ku, "right")
    first = np.searchsorted(skey, arc_n[sel].astype(np.int64) * width, "left")
    rank = lo - first + 1
    tied = np.flatnonzero(hi - lo > 1)
    if len(tied):
        # every arc sharing (need, cost) with a tied one: the sorted ranges [lo, hi) of the tied arcs
        cover = np.bincount(lo[tied], minlength=len(skey) + 1) - np.bincount(hi[tied], minlength=len(skey) + 1)
        sub = np.sort(by_key[np.flatnonzero(np.cumsum(cover[:-1]) > 0)])
        order = np.lexsort((arc_d[sub], key[sub]))
        sk, sd = key[sub][order], arc_d[sub][order]
        at = np.arange(len(order))
        new_key = np.r_[True, sk[1:] != sk[:-1]]
        new_run = new_key | np.r_[True, sd[1:] != sd[:-1]]
        # arcs of the same need and cost that are strictly nearer
        nearer = np.maximum.accumulate(np.where(new_run, at, 0)) - np.maximum.accumulate(np.where(new_key, at, 0))
        pos = np.empty(len(order), np.int64)
        pos[order] = at
        rank[tied] += nearer[pos[np.searchsorted(sub, sel[tied])]]
    return rank


def _assignments(enc: _Encoded, arc_n, arc_r, arc_d, arc_c, flows, note: str = "") -> list[Assignment]:
    used = np.flatnonzero(flows > 0)
    # rank of each used arc among its need's candidates by (cost, distance)
    rank = _ranks(arc_n, arc_c, arc_d, used)
    count = np.bincount(arc_n, minlength=len(enc.needs))
    cols = (arc_n[used], arc_r[used], flows[used], arc_d[used], arc_c[used], rank, count[arc_n[used]])
    needs, resources, cfg = enc.needs, enc.resources, enc.config
    return [
        Assignment(needs[ni], resources[ri], q, d, c, rk, cnt, cfg, note)
        for ni, ri, q, d, c, rk, cnt in zip(*(c.tolist() for c in cols))
    ]


def _solve_rows(
    enc: _Encoded,
    cap: np.ndarray,
    demand: np.ndarray,
    rows: np.ndarray,
    *,
    k: int | None,
    cap_class: np.ndarray | None = None,
    allow=None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Generate candidates for need ``rows`` (with refinement) and solve; returns arcs and flows.

    ``allow(arc_n, arc_r)`` (optional) filters candidate arcs.
    """
    cfg = enc.config

    def gen(need_rows, kk):
        an, ar, ad = enc.candidates(need_rows, kk)
        if allow is not None:
            ok = allow(an, ar)
            an, ar, ad = an[ok], ar[ok], ad[ok]
        return an, ar, ad

    arc_n, arc_r, arc_d = gen(rows, k)
    for round_ in range(cfg.refine_rounds + 1):
        arc_c = _exact_costs(enc, arc_r, arc_d)
        flows = _flow(cap, demand, enc.n_prio, arc_n, arc_r, arc_c, cap_class)
        if k is None:
            break
        served = np.bincount(arc_n, weights=flows, minlength=len(demand)).astype(np.int64)
        ncand = np.bincount(arc_n, minlength=len(demand))
        short = rows[(served[rows] < demand[rows]) & (ncand[rows] >= k)]
        if not len(short) or round_ == cfg.refine_rounds:
            break
        k *= 4
        more_n, more_r, more_d = gen(short, k)
        key_old = arc_n.astype(np.int64) * len(enc.resources) + arc_r
        key_new = more_n.astype(np.int64) * len(enc.resources) + more_r
        fresh = ~np.isin(key_new, key_old)
        if not fresh.any():
            break
        arc_n = np.concatenate([arc_n, more_n[fresh]])
        arc_r = np.concatenate([arc_r, more_r[fresh]])
        arc_d = np.concatenate([arc_d, more_d[fresh]])
    return arc_n, arc_r, arc_d, arc_c, flows


def solve(resources: Iterable[Resource], needs: Iterable[Need], config: MatchConfig = DEFAULT_CONFIG) -> Plan:
    """Match needs to resources: serve emergencies first, then livelihood, then development, at least cost."""
    t0 = time.perf_counter()
    res_map = _unique_by_id(resources, "resource")
    need_map = _unique_by_id(needs, "need")
    enc = _Encoded(list(res_map.values()), list(need_map.values()), config)
    rows = np.arange(len(enc.needs), dtype=np.int64)
    arc_n, arc_r, arc_d, arc_c, flows = _solve_rows(enc, enc.r_cap.copy(), enc.n_qty.copy(), rows, k=config.k_nearest)
    plan = Plan(
        method="min-cost-flow",
        resources=res_map,
        needs=need_map,
        assignments=_assignments(enc, arc_n, arc_r, arc_d, arc_c, flows),
        config=config,
        arcs=len(arc_n),
    )
    plan.seconds = time.perf_counter() - t0
    return plan
