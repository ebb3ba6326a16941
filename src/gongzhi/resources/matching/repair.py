"""Repair after resources drop out: only the needs that lost units are re-solved (:func:`repair`).

Part of :mod:`gongzhi.resources.matching` (pure: no Django).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from .encoding import _Encoded
from .results import Assignment, Plan
from .solver import _assignments, _solve_rows


def repair(plan: Plan, dropped: Iterable[str | int], *, preempt: bool = True) -> Plan:
    """Repair ``plan`` after the resources ``dropped`` drop out, without re-planning everything.

    Only the *affected* needs (those that lost units) are re-solved, for the
    units they lost, against the capacity the kept assignments leave free,
    with the same lexicographic priority.  Every other assignment stays as it
    was, with one exception when ``preempt`` is true (the default): an
    affected need may take units that a resource it can use gives to a need of
    *lower* priority, if nothing free serves it; the needs so *bumped* are then
    repaired the same way in turn (their class is strictly lower, so this ends
    after at most two more rounds).  That keeps the priority guarantee through
    repairs.  With ``preempt=False`` no other assignment changes at all.

    Needs that were already short before and needs not touched keep their
    state; call :func:`solve` for a global re-plan.
    """
    t0 = time.perf_counter()
    dropped = frozenset(dropped)
    unknown = sorted(map(str, dropped - plan.resources.keys()))
    if unknown:
        raise ValueError(f"repair: unknown resource id(s) {', '.join(unknown)}; nothing was changed")
    all_dropped = plan.dropped | dropped
    resources = list(plan.resources.values())
    current: dict[tuple, Assignment] = {}
    demand: dict[str | int, int] = defaultdict(int)
    for a in plan.assignments:
        if a.resource_id in dropped:
            demand[a.need_id] += a.quantity
        else:
            current[(a.need_id, a.resource_id)] = a
    dropped_txt = ", ".join(sorted(map(str, dropped)))
    affected: set = set()
    bumped: dict[str | int, int] = defaultdict(int)
    arcs = 0
    cfg = plan.config
    k = None if cfg.k_nearest is None else cfg.k_nearest * 3
    while demand:
        affected |= demand.keys()
        needs = [plan.needs[nid] for nid in demand]
        top = min(n.priority for n in needs)
        used: dict = defaultdict(int)
        held: dict = defaultdict(int)  # (resource id, class) -> units held by needs of that class
        for a in current.values():
            used[a.resource_id] += a.quantity
            if preempt and a.need.priority > top:
                held[(a.resource_id, int(a.need.priority))] += a.quantity
        rows = list(resources)
        cap = [0 if r.id in all_dropped else r.capacity - used.get(r.id, 0) for r in resources]
        cls = [-1] * len(resources)
        pseudo_of = {}
        for (rid, c), q in sorted(held.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
            pseudo_of[len(rows)] = (rid, c)
            rows.append(plan.resources[rid])
            cap.append(q)
            cls.append(c)
        enc = _Encoded(rows, needs, cfg)
        cap_arr = np.array(cap, np.int64)
        cls_arr = np.array(cls, np.int64)
        enc.set_capacity(cap_arr)  # the candidate generator only offers rows with capacity

        def allow(an, ar, cls_arr=cls_arr, enc=enc):
            # held units only go to needs of strictly higher priority than their holder
            return (cls_arr[ar] < 0) | (cls_arr[ar] > enc.n_prio[an])

        dem = np.array([demand[n.id] for n in needs], np.int64)
        arc_n, arc_r, arc_d, arc_c, flows = _solve_rows(
            enc, cap_arr, dem, np.arange(len(needs), dtype=np.int64), k=k, cap_class=cls_arr, allow=allow
        )
        arcs += len(arc_n)
        demand = defaultdict(int)
        # units taken from holders of lower priority: reduce their dearest assignments first
        taken: dict[tuple, int] = defaultdict(int)
        for j in np.flatnonzero(flows > 0):
            if int(arc_r[j]) in pseudo_of:
                taken[pseudo_of[int(arc_r[j])]] += int(flows[j])
        for (rid, c), q in taken.items():
            victims = sorted(
                (a for a in current.values() if a.resource_id == rid and int(a.need.priority) == c),
                key=lambda a: (-a.unit_cost, str(a.need_id)),
            )
            for a in victims:
                if not q:
                    break
                cut = min(q, a.quantity)
                q -= cut
                demand[a.need_id] += cut
                bumped[a.need_id] += cut
                key = (a.need_id, a.resource_id)
                if cut == a.quantity:
                    del current[key]
                else:
                    current[key] = _with(
                        a,
                        a.quantity - cut,
                        a.note + f" Reduced by {cut} in a repair: given to a need of higher priority.",
                    )
        for a in _assignments(
            enc,
            arc_n,
            arc_r,
            arc_d,
            arc_c,
            flows,
            note=f"Assigned by repair after resource(s) {dropped_txt} dropped out.",
        ):
            key = (a.need_id, a.resource_id)
            old = current.get(key)
            current[key] = a if old is None else _with(a, old.quantity + a.quantity, a.note)
        if not preempt:
            break
    out = Plan(
        method=plan.method.split("+")[0] + "+repair",
        resources=plan.resources,
        needs=plan.needs,
        assignments=list(current.values()),
        config=plan.config,
        arcs=arcs,
        dropped=all_dropped,
        affected=frozenset(affected),
        bumped=dict(bumped),
    )
    out.seconds = time.perf_counter() - t0
    return out


def _with(a: Assignment, quantity: int, note: str) -> Assignment:
    return Assignment(
        need=a.need,
        resource=a.resource,
        quantity=quantity,
        distance_m=a.distance_m,
        unit_cost=a.unit_cost,
        rank=a.rank,
        candidates=a.candidates,
        config=a.config,
        note=note.strip(),
    )
