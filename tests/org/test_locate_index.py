"""GridIndex.locate / locate_many against a brute-force reference (intersects + lowest id).

Lattices of jittered quadrilaterals sharing their edges (as the city-scale demo writes them), grid
ids shuffled so that the lowest-id rule on shared borders matters, a few extra polygons laid over
them (overlapping, holed, multi-part), and points where the answer is delicate: shared vertices, edge
midpoints, points on the lattice's outer border and outside it.
"""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import mapping

from gongzhi.org.geo import GridIndex


def brute_force(geoms, ids, xs, ys) -> list[int]:
    out = []
    for x, y in zip(xs, ys, strict=True):
        p = shapely.Point(x, y)
        hits = [int(i) for g, i in zip(geoms, ids, strict=True) if g.intersects(p)]
        out.append(min(hits) if hits else -1)
    return out


def lattice(rng, cols, rows, jitter):
    x0, y0, dx, dy = 118.8, 42.2, 0.003, 0.002
    pts = np.empty((cols + 1, rows + 1, 2))
    for i in range(cols + 1):
        for j in range(rows + 1):
            jx = jitter * dx * rng.uniform(-1, 1) if 0 < i < cols else 0.0
            jy = jitter * dy * rng.uniform(-1, 1) if 0 < j < rows else 0.0
            pts[i, j] = (x0 + i * dx + jx, y0 + j * dy + jy)
    polys = [
        shapely.Polygon([pts[i, j], pts[i + 1, j], pts[i + 1, j + 1], pts[i, j + 1]])
        for i in range(cols)
        for j in range(rows)
    ]
    return pts, polys


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    cols=st.integers(1, 9),
    rows=st.integers(1, 9),
    jitter=st.sampled_from([0.0, 0.2, 0.45]),
    extras=st.integers(0, 3),
)
def test_locate_many_equals_locate_equals_brute_force(seed, cols, rows, jitter, extras):
    rng = np.random.default_rng(seed)
    pts, polys = lattice(rng, cols, rows, jitter)
    lo, hi = pts.reshape(-1, 2).min(axis=0), pts.reshape(-1, 2).max(axis=0)
    for _ in range(extras):  # overlapping, holed or two-part polygons over the lattice
        c = rng.uniform(lo, hi)
        r = rng.uniform(0.0005, 0.004)
        g = shapely.Point(c).buffer(r, quad_segs=2)
        kind = rng.integers(3)
        if kind == 1:
            g = g.difference(shapely.Point(c).buffer(r / 2, quad_segs=2))
        elif kind == 2:
            g = shapely.MultiPolygon([g, shapely.Point(c + 3 * r).buffer(r / 3, quad_segs=2)])
        polys.append(g)
    ids = rng.permutation(len(polys)) + 1 + int(rng.integers(0, 1000))
    index = GridIndex.build([(int(i), mapping(g)) for i, g in zip(ids, polys, strict=True)], None)

    flat = pts.reshape(-1, 2)
    i = rng.integers(0, cols + 1, 30)
    j = rng.integers(0, rows, 30)
    mids_v = (pts[i, j] + pts[i, j + 1]) / 2
    i = rng.integers(0, cols, 30)
    j = rng.integers(0, rows + 1, 30)
    mids_h = (pts[i, j] + pts[i + 1, j]) / 2
    w = hi - lo
    rand = rng.uniform(lo - 0.1 * w, hi + 0.1 * w, (200, 2))
    extra_vertices = np.concatenate([shapely.get_coordinates(g) for g in polys[cols * rows :]] or [np.zeros((0, 2))])
    xy = np.concatenate([rand, flat, mids_v, mids_h, extra_vertices, [[np.nan, np.nan], [lo[0], hi[1]]]])
    xs, ys = xy[:, 0], xy[:, 1]

    ref = brute_force(polys, ids, xs, ys)
    many = index.locate_many(xs, ys).tolist()
    single = [-1 if g is None else g for g in (index.locate(float(x), float(y)) for x, y in zip(xs, ys, strict=True))]
    assert many == ref
    assert single == ref


def test_empty_index():
    index = GridIndex.build([], None)
    assert index.locate(118.8, 42.2) is None
    assert index.locate_many([118.8], [42.2]).tolist() == [-1]
