"""Problem encoding and sparse candidate generation: the instance as arrays (:class:`_Encoded`), feasible
pairs found with k-d trees and the rules applied with NumPy.

Part of :mod:`gongzhi.resources.matching` (pure: no Django).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.spatial import cKDTree

from .model import Kind, MatchConfig, Need, Resource

# ---------------------------------------------------------------------------
# Problem encoding and sparse candidate generation
# ---------------------------------------------------------------------------


def _unique_by_id(items, what: str) -> dict:
    out = {}
    for it in items:
        if it.id in out:
            raise ValueError(f"duplicate {what} id {it.id!r}; ids must be unique")
        out[it.id] = it
    return out


class _Encoded:
    """Resources and needs as NumPy arrays for vectorised feasibility."""

    def __init__(self, resources: list[Resource], needs: list[Need], config: MatchConfig):
        self.resources, self.needs, self.config = resources, needs, config
        nr, nn = len(resources), len(needs)
        kinds = list(Kind)
        self.r_kind = np.fromiter((kinds.index(r.kind) for r in resources), np.int8, nr)
        self.n_kind = np.fromiter((kinds.index(n.kind) for n in needs), np.int8, nn)
        self.r_xy = np.array([(r.x, r.y) for r in resources], dtype=float).reshape(nr, 2)
        self.n_xy = np.array([(n.x, n.y) for n in needs], dtype=float).reshape(nn, 2)
        self.r_cap = np.fromiter((r.capacity for r in resources), np.int64, nr)
        self.r_use = np.fromiter((r.use_cost for r in resources), np.int64, nr)
        self.n_qty = np.fromiter((n.quantity for n in needs), np.int64, nn)
        self.n_prio = np.fromiter((int(n.priority) for n in needs), np.int8, nn)
        self.n_maxd = np.fromiter(
            (config.max_distance_m if n.max_distance_m is None else n.max_distance_m for n in needs), float, nn
        )
        # skills as bit sets over the vocabulary of required skills
        vocab = sorted({s for n in needs for s in n.skills})
        sidx = {s: i for i, s in enumerate(vocab)}
        words = max(1, -(-len(vocab) // 64))
        self.r_bits = np.zeros((nr, words), np.uint64)
        self.n_bits = np.zeros((nn, words), np.uint64)
        for arr, items in ((self.r_bits, resources), (self.n_bits, needs)):
            for i, it in enumerate(items):
                for s in it.skills:
                    j = sidx.get(s)
                    if j is not None:
                        arr[i, j // 64] |= np.uint64(1 << (j % 64))
        # certificate levels over the fields some need asks for
        fields_ = sorted({f for n in needs for f in n.certificates})
        fidx = {f: i for i, f in enumerate(fields_)}
        self.r_lvl = np.zeros((nr, max(1, len(fields_))), np.int32)
        self.n_lvl = np.zeros((nn, max(1, len(fields_))), np.int32)
        for arr, items in ((self.r_lvl, resources), (self.n_lvl, needs)):
            for i, it in enumerate(items):
                for f, lvl in it.certificates.items():
                    j = fidx.get(f)
                    if j is not None:
                        arr[i, j] = lvl
        self.r_win = np.array([r.available.bounds for r in resources], float).reshape(nr, 2)
        self.n_win = np.array([n.effective_window for n in needs], float).reshape(nn, 2)
        # regions: -1 = unrestricted; allowed (resource, region) pairs as sorted int64 keys
        regions = sorted(
            {n.region for n in needs if n.region is not None}
            | {r.region for r in resources if r.region is not None}
            | {g for r in resources for g in r.shareable_with}
        )
        gidx = {g: i for i, g in enumerate(regions)}
        self.n_regions = len(regions) + 1
        self.r_reg = np.fromiter((-1 if r.region is None else gidx[r.region] for r in resources), np.int64, nr)
        self.n_reg = np.fromiter((-1 if n.region is None else gidx[n.region] for n in needs), np.int64, nn)
        keys = []
        for i, r in enumerate(resources):
            if r.region is not None:
                keys.append(i * self.n_regions + gidx[r.region])
                keys.extend(i * self.n_regions + gidx[g] for g in r.shareable_with)
        self.region_keys = np.unique(np.array(keys, np.int64))
        # the same as a dense (resource, region) table when that is small enough
        self.r_serves = None
        if nr * self.n_regions <= 20_000_000:
            self.r_serves = np.zeros((nr, self.n_regions), bool)
            self.r_serves[self.region_keys // self.n_regions, self.region_keys % self.n_regions] = True
        # per need: the requirement features usable to pre-select resources
        self.n_feats = [
            [("s", sidx[x]) for x in n.skills] + [("c", fidx[f], lvl) for f, lvl in n.certificates.items()]
            for n in needs
        ]
        self.set_capacity(self.r_cap)

    def set_capacity(self, cap: np.ndarray) -> None:
        """Replace remaining capacities; spatial indexes are rebuilt lazily."""
        self.r_cap = np.asarray(cap, np.int64)
        self._index: dict[tuple, tuple[cKDTree | None, np.ndarray]] = {}
        self._member_cache: dict[tuple, np.ndarray] = {}

    def _members(self, key: tuple) -> np.ndarray:
        """Resource rows of one index key (kind, region served or -1, feature or None)."""
        hit = self._member_cache.get(key)
        if hit is not None:
            return hit
        kind, g, feat = key
        m = (self.r_kind == kind) & (self.r_cap > 0)
        if g >= 0:
            if self.r_serves is not None:
                serves = self.r_serves[:, g].copy()
            else:
                serves = np.zeros(len(m), bool)
                keys = self.region_keys[self.region_keys % self.n_regions == g]
                serves[keys // self.n_regions] = True
            m &= serves | (self.r_reg < 0)
        if feat is not None:
            if feat[0] == "s":
                j = feat[1]
                m &= (self.r_bits[:, j // 64] & np.uint64(1 << (j % 64))) != 0
            else:
                m &= self.r_lvl[:, feat[1]] >= feat[2]
        self._member_cache[key] = hit = np.flatnonzero(m)
        return hit

    def _tree(self, key: tuple) -> tuple[cKDTree | None, np.ndarray]:
        hit = self._index.get(key)
        if hit is None:
            members = self._members(key)
            hit = (cKDTree(self.r_xy[members]) if len(members) else None, members)
            self._index[key] = hit
        return hit

    def mask(self, ni: np.ndarray, ri: np.ndarray, dist: np.ndarray) -> np.ndarray:
        """Vectorised :func:`check_pair` for pairs ``(ni[j], ri[j])`` at distance ``dist[j]``."""
        ok = (self.r_kind[ri] == self.n_kind[ni]) & (self.r_cap[ri] > 0)
        ok &= dist <= self.n_maxd[ni]
        nb = self.n_bits[ni]
        ok &= np.all((self.r_bits[ri] & nb) == nb, axis=-1)
        ok &= np.all(self.r_lvl[ri] >= self.n_lvl[ni], axis=-1)
        ok &= (self.r_win[ri, 0] < self.n_win[ni, 1]) & (self.n_win[ni, 0] < self.r_win[ri, 1])
        nreg, rreg = self.n_reg[ni], self.r_reg[ri]
        open_ = (nreg < 0) | (rreg < 0)
        if self.r_serves is not None:
            listed = self.r_serves[ri, np.maximum(nreg, 0)]
        elif len(self.region_keys):
            keys = ri.astype(np.int64) * self.n_regions + nreg
            pos = np.searchsorted(self.region_keys, keys)
            pos = np.minimum(pos, len(self.region_keys) - 1)
            listed = self.region_keys[pos] == keys
        else:
            listed = np.zeros(len(ni), bool)
        ok &= open_ | listed
        return ok

    def candidates(self, need_rows: np.ndarray, k: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ``k`` nearest feasible resources of each need in ``need_rows`` (all if ``k`` is None).

        Returns arrays (need row, resource row, distance).
        """
        out_n, out_r, out_d = [], [], []
        # each need searches the smallest index among those its requirements allow:
        # (kind, region), or (kind, region, one required skill / certificate level)
        groups: dict[tuple, list[int]] = defaultdict(list)
        chosen: dict[tuple, tuple] = {}
        kinds, regs = self.n_kind.tolist(), self.n_reg.tolist()
        for row in need_rows.tolist():
            sig = (kinds[row], regs[row], *self.n_feats[row])
            key = chosen.get(sig)
            if key is None:
                base = sig[:2]
                keys = [(*base, None)] + [(*base, f) for f in sig[2:]]
                key = chosen[sig] = min(keys, key=lambda key: len(self._members(key)))
            groups[key].append(row)
        for key, group in groups.items():
            tree, members = self._tree(key)
            if tree is None:
                continue
            rows = np.array(group, np.int64)
            if k is None:
                for part in self._all_within(rows, tree, members):
                    for out, arr in zip((out_n, out_r, out_d), part):
                        out.append(arr)
                continue
            total = len(members)
            want = min(k, total)
            q = min(total, max(want, 1) * 4)
            while len(rows):
                bound = float(self.n_maxd[rows].max()) * (1 + 1e-9) + 1e-6
                kd_dist, loc = tree.query(self.n_xy[rows], k=q, distance_upper_bound=bound)
                kd_dist = kd_dist.reshape(len(rows), q)
                loc = loc.reshape(len(rows), q)
                valid = loc < total
                ri = members[np.where(valid, loc, 0)]
                ni = np.broadcast_to(rows[:, None], ri.shape)
                delta = self.r_xy[ri] - self.n_xy[ni]
                dx, dy = delta[..., 0], delta[..., 1]
                dist = np.sqrt(dx * dx + dy * dy)  # exactly as distance_m()
                ok = valid & self.mask(ni.ravel(), ri.ravel(), dist.ravel()).reshape(ri.shape)
                keep = ok & (np.cumsum(ok, axis=1) <= want)
                found = keep.sum(axis=1)
                # a row is complete when it has enough, or the query reached past its range / all members
                exhausted = (q >= total) | ~valid[:, -1] | (kd_dist[:, -1] > self.n_maxd[rows])
                done = (found >= want) | exhausted
                out_n.append(ni[keep & done[:, None]])
                out_r.append(ri[keep & done[:, None]])
                out_d.append(dist[keep & done[:, None]])
                rows = rows[~done]
                q = min(total, q * 4)
        if not out_n:
            e = np.zeros(0, np.int64)
            return e, e, np.zeros(0)
        return np.concatenate(out_n), np.concatenate(out_r), np.concatenate(out_d)

    def _all_within(self, rows: np.ndarray, tree: cKDTree, members: np.ndarray):
        """Every feasible resource of ``members`` within each need's maximum distance.

        One fixed-radius search per distinct maximum distance among ``rows``
        (a tree over those needs against the resources' tree); yields arrays
        (need row, resource row, distance) of the feasible pairs.
        """
        maxd = self.n_maxd[rows]
        for bound in np.unique(maxd).tolist():
            sub = rows[maxd == bound]
            hits = cKDTree(self.n_xy[sub]).sparse_distance_matrix(
                tree, bound * (1 + 1e-9) + 1e-6, output_type="ndarray"
            )
            ni = sub[hits["i"]]
            ri = members[hits["j"]]
            delta = self.r_xy[ri] - self.n_xy[ni]
            dx, dy = delta[:, 0], delta[:, 1]
            dist = np.sqrt(dx * dx + dy * dy)  # exactly as distance_m()
            ok = self.mask(ni, ri, dist)
            yield ni[ok], ri[ok], dist[ok]


def _exact_costs(enc: _Encoded, ri: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Integer unit costs, bit-identical with :func:`unit_cost`."""
    base = np.ceil(dist / enc.config.metres_per_cost_unit)
    return base.astype(np.int64) + enc.r_use[ri]
