"""Point-in-grid lookups per second on the city-scale grid layout (≥ 10,000 grids), against real peers.

Builds the city-scale lattice of grids in memory (the same geometry `gongzhi demo
--scale city` writes: 10,800 jittered quadrilaterals sharing their edges), then answers
"which grid is this point in?" for the same points with each method, in the same run:

ours
- ``GridIndex.locate_many()``: vectorised STRtree query + ``intersects_xy`` (the batch path);
- ``GridIndex.locate()``: one point at a time (what routing a single request does).

peers
- Shapely 2 without our GridIndex, two honest uses of its vectorised API:
  ``STRtree(polygons).query(points, predicate="within")`` (all points in one call) and
  ``shapely.contains_xy(polygon, xs, ys)`` per polygon over the points inside the polygon's
  bounding box (points sorted by longitude, sliced with ``searchsorted``; no tree);
- PostGIS (``postgresql-15-postgis-3``): the grids in a table with a GiST index, looked up with
  ``ST_Contains`` timed from Python (psycopg): one prepared query per point over one connection,
  as an application would, and all points in one set-based statement (the point arrays sent as
  parameters, ``unnest`` joined to the grids; JIT off for the session); the set-based
  ``ST_Intersects`` too, whose border rule is ours.  If PostGIS cannot be used the bench says so and skips it.

Points: ``--points`` uniform random points over the lattice's bounding box, plus points where the
answer is delicate: interior lattice vertices (shared by 4 grids), midpoints of shared edges, and
points outside every grid.  Every method's answers are compared with ``locate_many`` and the
mismatches counted per kind of point.  The border rule differs by design: ours (and
``ST_Intersects``) counts a point on a border as inside, and picks the lowest grid id when it is on
several grids; ``contains``/``ST_Contains`` count a point on a border as in no grid.

Naive baseline (optional, ``--naive-points``, default 0): the old strawman, a Python loop over
every prepared polygon, kept only for comparison with earlier figures.

Run: .venv/bin/python bench/bench_locate.py [--points 200000] [--pg-single-points 20000]
         [--pg-url postgresql://postgres@127.0.0.1:5432/postgres] [--skip-postgis]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import shapely

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
os.environ.setdefault("GONGZHI_VAR_DIR", "/tmp/gongzhi-bench-var")

import django  # noqa: E402

django.setup()

from rich.console import Console  # noqa: E402
from rich.progress import track  # noqa: E402
from rich.table import Table  # noqa: E402

from gongzhi.demo.generator import DemoGenerator  # noqa: E402
from gongzhi.org.geo import GridIndex  # noqa: E402

console = Console()
KINDS = ("random", "vertex", "edge midpoint", "outside")


def make_points(gen: DemoGenerator, n_random: int, n_special: int, rng):
    """(lons, lats, kind) — kind indexes KINDS."""
    pts = gen.pts  # (cols+1, rows+1, 2) lattice vertices
    lo, hi = pts.reshape(-1, 2).min(axis=0), pts.reshape(-1, 2).max(axis=0)
    rx = rng.uniform(lo[0], hi[0], n_random)
    ry = rng.uniform(lo[1], hi[1], n_random)
    inner = pts[1:-1, 1:-1].reshape(-1, 2)  # each shared by 4 grids
    vx = inner[rng.choice(len(inner), min(n_special, len(inner)), replace=False)]
    # Midpoints of edges shared by two grids: vertical edges between columns i-1 and i.
    i = rng.integers(1, pts.shape[0] - 1, n_special)
    j = rng.integers(0, pts.shape[1] - 1, n_special)
    mid = (pts[i, j] + pts[i, j + 1]) / 2
    w = hi - lo
    out = np.column_stack([rng.uniform(lo[0] - w[0], lo[0] - 1e-6, n_special), rng.uniform(lo[1], hi[1], n_special)])
    lons = np.concatenate([rx, vx[:, 0], mid[:, 0], out[:, 0]])
    lats = np.concatenate([ry, vx[:, 1], mid[:, 1], out[:, 1]])
    kind = np.concatenate([np.full(n_random, 0), np.full(len(vx), 1), np.full(n_special, 2), np.full(n_special, 3)])
    perm = rng.permutation(len(lons))  # mixed, so that a subset has every kind
    return lons[perm], lats[perm], kind[perm]


def lowest_per_point(n: int, point_idx: np.ndarray, grid_ids: np.ndarray) -> np.ndarray:
    out = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, point_idx, grid_ids)
    out[out == np.iinfo(np.int64).max] = -1
    return out


def shapely_strtree(ids, geoms, lons, lats):
    """Shapely alone: an STRtree of the polygons, all points queried in one vectorised call."""
    t0 = time.perf_counter()
    tree = shapely.STRtree(geoms)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    pairs = tree.query(shapely.points(lons, lats), predicate="within")
    ans = lowest_per_point(len(lons), pairs[0], ids[pairs[1]])
    return ans, time.perf_counter() - t0, build


def shapely_contains_xy(ids, geoms, lons, lats):
    """``contains_xy`` per polygon over the points in its bounding box (points sorted by lon)."""
    t0 = time.perf_counter()
    order = np.argsort(lons, kind="stable")
    xs = lons[order]
    bounds = shapely.bounds(geoms)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    ans = np.full(len(lons), -1, dtype=np.int64)
    starts = np.searchsorted(xs, bounds[:, 0], "left")
    stops = np.searchsorted(xs, bounds[:, 2], "right")
    for k in np.argsort(ids):  # lowest id first: the first hit is the one to keep
        sub = order[starts[k] : stops[k]]
        ys = lats[sub]
        sub = sub[(ys >= bounds[k, 1]) & (ys <= bounds[k, 3])]
        hit = sub[shapely.contains_xy(geoms[k], lons[sub], lats[sub])]
        hit = hit[ans[hit] == -1]
        ans[hit] = ids[k]
    return ans, time.perf_counter() - t0 + build, build


def postgis_setup(pg_url: str, ids, geoms):
    """A scratch database with the grids in a GiST-indexed table; returns (conn, drop, load_s) or a reason."""
    import psycopg

    name = f"gongzhi_bench_locate_{os.getpid()}"
    try:
        admin = psycopg.connect(pg_url, autocommit=True)
    except Exception as exc:  # noqa: BLE001 — any failure to connect means "skip the peer"
        return f"cannot connect to {pg_url}: {exc}"
    try:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001
        admin.close()
        return f"cannot create a scratch database: {exc}"

    def drop():
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    conn = psycopg.connect(pg_url.rsplit("/", 1)[0] + "/" + name, autocommit=True)
    try:
        conn.execute("CREATE EXTENSION postgis")
    except Exception as exc:  # noqa: BLE001
        conn.close()
        drop()
        return f"PostGIS unavailable ({str(exc).strip()}); install postgresql-15-postgis-3"
    version = conn.execute("SELECT postgis_lib_version() || ' (GEOS ' || postgis_geos_version() || ')'").fetchone()[0]
    t0 = time.perf_counter()
    conn.execute("CREATE TABLE grid (id bigint PRIMARY KEY, geom geometry(Polygon, 4326) NOT NULL)")
    with conn.cursor().copy("COPY grid (id, geom) FROM STDIN") as copy:
        for gid, wkb in zip(ids.tolist(), shapely.to_wkb(geoms, hex=True, include_srid=False), strict=True):
            copy.write_row((gid, f"SRID=4326;{wkb}"))
    conn.execute("CREATE INDEX grid_geom_gist ON grid USING gist (geom)")
    conn.execute("ANALYZE grid")
    # The set-based statement's estimated cost (unknown row count of unnest) triggers JIT
    # compilation, ~0.3 s of a 1.5 s statement here; an OLTP deployment turns it off.
    conn.execute("SET jit = off")
    load_s = time.perf_counter() - t0
    return conn, drop, load_s, version


SINGLE_SQL = "SELECT min(id) FROM grid WHERE ST_{pred}(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))"
SET_SQL = (
    "SELECT p.i, min(g.id) FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(x, y, i) "
    "LEFT JOIN grid g ON ST_{pred}(g.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326)) GROUP BY p.i"
)


def postgis_single(conn, lons, lats):
    sql = SINGLE_SQL.format(pred="Contains")
    ans = np.full(len(lons), -1, dtype=np.int64)
    with conn.cursor() as cur:
        cur.execute(sql, (float(lons[0]), float(lats[0])), prepare=True)  # prepared once, warm
        cur.fetchone()
        t0 = time.perf_counter()
        for k in track(range(len(lons)), description="PostGIS ST_Contains, one query per point", console=console):
            cur.execute(sql, (float(lons[k]), float(lats[k])), prepare=True)
            v = cur.fetchone()[0]
            if v is not None:
                ans[k] = v
        elapsed = time.perf_counter() - t0
    return ans, elapsed


def postgis_set(conn, lons, lats, pred: str):
    t0 = time.perf_counter()
    rows = conn.execute(SET_SQL.format(pred=pred), (lons.tolist(), lats.tolist())).fetchall()
    elapsed = time.perf_counter() - t0
    ans = np.full(len(lons), -1, dtype=np.int64)
    for i, v in rows:
        if v is not None:
            ans[i - 1] = v
    return ans, elapsed


def plan_uses_index(conn) -> bool:
    plan = conn.execute("EXPLAIN " + SINGLE_SQL.format(pred="Contains"), (118.9, 42.3)).fetchall()
    return any("grid_geom_gist" in r[0] for r in plan)


def mismatches(ans: np.ndarray, ref: np.ndarray, kind: np.ndarray) -> str:
    bad = ans != ref
    if not bad.any():
        return "0"
    parts = [
        f"{KINDS[k]} {int((bad & (kind == k)).sum()):,}/{int((kind == k).sum()):,}"
        for k in range(len(KINDS))
        if (bad & (kind == k)).any()
    ]
    return f"{int(bad.sum()):,} ({', '.join(parts)})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=200_000, help="uniform random points")
    ap.add_argument("--special-points", type=int, default=2_000, help="of each kind: vertex, edge midpoint, outside")
    ap.add_argument("--single-points", type=int, default=50_000, help="points for GridIndex.locate one by one")
    ap.add_argument("--pg-single-points", type=int, default=20_000, help="points for PostGIS one query per point")
    ap.add_argument("--naive-points", type=int, default=0, help="points for the old naive loop (0: skip)")
    ap.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--skip-postgis", action="store_true")
    args = ap.parse_args()
    load_start = os.getloadavg()

    gen = DemoGenerator(seed=1, scale="city")
    gen.lattice()
    rows = []
    for i in range(gen.cols):
        for j in range(gen.rows_n):
            rows.append((len(rows) + 1, gen.cell_polygon(i, j)))
    t0 = time.perf_counter()
    index = GridIndex.build(rows, None)
    build_s = time.perf_counter() - t0
    rng = np.random.default_rng(1)
    lons, lats, kind = make_points(gen, args.points, args.special_points, rng)
    n = len(lons)
    ids = index.ids
    plain = np.array([shapely.from_geojson(json.dumps(r[1])) for r in rows], dtype=object)
    shapely.prepare(plain)

    results = []  # (method, points, seconds, build note, answers-or-None, ref slice)

    # Ours.
    t0 = time.perf_counter()
    ref = index.locate_many(lons, lats)
    batch_s = time.perf_counter() - t0
    results.append(("ours: GridIndex.locate_many (batch)", n, batch_s, f"index {build_s:.2f} s", ref, n))
    ns = min(n, args.single_points)
    t0 = time.perf_counter()
    single = np.array(
        [
            -1 if g is None else g
            for g in (
                index.locate(x, y)
                for x, y in track(
                    zip(lons[:ns], lats[:ns]), total=ns, description="GridIndex.locate, one by one", console=console
                )
            )
        ],
        dtype=np.int64,
    )
    single_s = time.perf_counter() - t0
    results.append(("ours: GridIndex.locate (one by one)", ns, single_s, "", single, ns))

    # Shapely without GridIndex.
    ans, secs, b = shapely_strtree(ids, plain, lons, lats)
    results.append(('Shapely STRtree.query(points, predicate="within")', n, secs, f"tree {b:.2f} s", ans, n))
    ans, secs, b = shapely_contains_xy(ids, plain, lons, lats)
    results.append(("Shapely contains_xy per polygon, bbox slice", n, secs, f"sort {b:.2f} s (in time)", ans, n))

    # PostGIS.
    pg_note = ""
    if args.skip_postgis:
        pg_note = "PostGIS skipped (--skip-postgis)"
    else:
        got = postgis_setup(args.pg_url, ids, plain)
        if isinstance(got, str):
            pg_note = f"PostGIS skipped: {got}"
        else:
            conn, drop, load_s, version = got
            try:
                pg_note = f"PostGIS {version}; GiST index used for ST_Contains: {plan_uses_index(conn)}"
                npg = min(n, args.pg_single_points)
                ans, secs = postgis_single(conn, lons[:npg], lats[:npg])
                results.append(
                    ("PostGIS ST_Contains, one query per point", npg, secs, f"load+GiST {load_s:.2f} s", ans, npg)
                )
                ans, secs = postgis_set(conn, lons, lats, "Contains")
                results.append(("PostGIS ST_Contains, all points in one statement", n, secs, "", ans, n))
                ans, secs = postgis_set(conn, lons, lats, "Intersects")
                results.append(("PostGIS ST_Intersects, all points in one statement", n, secs, "", ans, n))
            finally:
                conn.close()
                drop()

    if args.naive_points:
        nb = min(n, args.naive_points)
        t0 = time.perf_counter()
        base = []
        for x, y in zip(lons[:nb], lats[:nb]):
            p = shapely.Point(x, y)
            base.append(next((int(ids[k]) for k, g in enumerate(index.geoms) if g.intersects(p)), -1))
        results.append(
            ("naive baseline: Python loop over all polygons", nb, time.perf_counter() - t0, "", np.array(base), nb)
        )

    rate = {m: p / s for m, p, s, *_ in results}
    ours_batch = rate["ours: GridIndex.locate_many (batch)"]
    ours_single = rate["ours: GridIndex.locate (one by one)"]
    load_end = os.getloadavg()
    table = Table(
        title=f"Point-in-grid over {len(rows):,} grids; {n:,} points "
        f"({args.points:,} random + {args.special_points:,} vertices, edge midpoints and outside points)",
        caption=f"{os.cpu_count()} CPUs; load average {load_start[0]:.2f} at start, {load_end[0]:.2f} at end. "
        "Mismatches against locate_many; on a border ours and ST_Intersects say the lowest grid id, "
        "contains/ST_Contains say no grid.",
    )
    for c in ("method", "points", "seconds", "lookups/s", "locate_many ÷ this", "locate ÷ this", "setup", "mismatches"):
        table.add_column(c, justify="right" if c not in ("method", "mismatches") else "left")
    for m, p, s, note, ans, k in results:
        table.add_row(
            m,
            f"{p:,}",
            f"{s:.3f}",
            f"{p / s:,.0f}",
            f"{ours_batch / rate[m]:,.1f}",
            f"{ours_single / rate[m]:,.2f}",
            note,
            mismatches(ans, ref[:k], kind[:k]),
        )
    Console(width=220).print(table)
    console.print(pg_note)
    console.print(
        f"goal ≥ 50,000/s: batch {'met' if ours_batch >= 50_000 else 'NOT met'}, "
        f"single {'met' if ours_single >= 50_000 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
