"""The greedy baseline the benchmark compares with: needs in priority order, each takes the cheapest
feasible resources (:func:`greedy`).

Part of :mod:`gongzhi.resources.matching` (pure: no Django).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np

from .encoding import _Encoded, _exact_costs, _unique_by_id
from .model import DEFAULT_CONFIG, MatchConfig, Need, Resource
from .results import Plan
from .solver import _assignments

# ---------------------------------------------------------------------------
# Greedy baseline
# ---------------------------------------------------------------------------


def greedy(
    resources: Iterable[Resource],
    needs: Iterable[Need],
    config: MatchConfig = DEFAULT_CONFIG,
) -> Plan:
    """Baseline: needs in priority order (then deadline, then input order), each takes its cheapest feasible resources.

    Each need looks at its ``k`` nearest feasible resources (the same candidate
    rule as :func:`solve`), cheapest first, and widens the search when they are
    all full, so it only stops short when nothing feasible within its maximum
    distance has capacity left.
    """
    t0 = time.perf_counter()
    res_map = _unique_by_id(resources, "resource")
    need_map = _unique_by_id(needs, "need")
    enc = _Encoded(list(res_map.values()), list(need_map.values()), config)
    k = config.k_nearest
    arc_n, arc_r, arc_d = enc.candidates(np.arange(len(enc.needs), dtype=np.int64), k)
    arc_c = _exact_costs(enc, arc_r, arc_d)
    need_order = np.lexsort((np.arange(len(enc.needs)), enc.n_win[:, 1], enc.n_prio))
    by_need = np.lexsort((arc_d, arc_c, arc_n))
    sorted_n = arc_n[by_need]
    lo = np.searchsorted(sorted_n, np.arange(len(enc.needs)), side="left").tolist()
    hi = np.searchsorted(sorted_n, np.arange(len(enc.needs)), side="right").tolist()
    # every arc the greedy looks at, in need order; flows filled in as it goes
    all_n, all_r = sorted_n.tolist(), arc_r[by_need].tolist()
    all_d, all_c = arc_d[by_need].tolist(), arc_c[by_need].tolist()
    flows = [0] * len(all_n)
    capl, qty = enc.r_cap.tolist(), enc.n_qty.tolist()
    for ni in need_order.tolist():
        left = qty[ni]
        idx = list(range(lo[ni], hi[ni]))
        kk = k
        seen: set[int] = set()
        while True:
            for t in idx:
                ri = all_r[t]
                seen.add(ri)
                if capl[ri]:
                    q = min(left, capl[ri])
                    capl[ri] -= q
                    left -= q
                    flows[t] = q
                    if not left:
                        break
            if not left or kk is None or len(seen) < kk:
                break
            kk *= 4  # every candidate was full: look further
            mn, mr, md = enc.candidates(np.array([ni], np.int64), kk)
            mc = _exact_costs(enc, mr, md)
            idx = []
            for j in np.lexsort((md, mc)).tolist():
                if int(mr[j]) not in seen:
                    idx.append(len(all_n))
                    all_n.append(ni), all_r.append(int(mr[j])), all_d.append(float(md[j])), all_c.append(int(mc[j]))
                    flows.append(0)
            if not idx:
                break
    plan = Plan(
        method="greedy",
        resources=res_map,
        needs=need_map,
        assignments=_assignments(
            enc,
            np.array(all_n, np.int64),
            np.array(all_r, np.int64),
            np.array(all_d, float),
            np.array(all_c, np.int64),
            np.array(flows, np.int64),
        ),
        config=config,
        arcs=len(all_n),
    )
    plan.seconds = time.perf_counter() - t0
    return plan
