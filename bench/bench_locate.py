"""Point-in-grid lookups per second on the city-scale grid layout (≥ 10,000 grids).

Builds the city-scale lattice of grids in memory (the same geometry `gongzhi demo
--scale city` writes), then measures three ways of answering "which grid is this
point in?" on the same random points, so the ratio is measured in the same run:

- baseline: a Python loop over every grid's prepared polygon (no index);
- single:   GridIndex.locate(), one point at a time through the Shapely STRtree;
- batch:    GridIndex.locate_many(), vectorised STRtree query.

Goal (issue 2): ≥ 50,000 lookups/s.
Run: .venv/bin/python bench/bench_locate.py [--points 200000]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import shapely

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
os.environ.setdefault("GONGZHI_VAR_DIR", "/tmp/gongzhi-bench-var")

import django  # noqa: E402

django.setup()

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from gongzhi.demo.generator import DemoGenerator  # noqa: E402
from gongzhi.org.geo import GridIndex  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=200_000)
    ap.add_argument("--baseline-points", type=int, default=300)
    args = ap.parse_args()
    console = Console()
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
    lo, hi = gen.pts.reshape(-1, 2).min(axis=0), gen.pts.reshape(-1, 2).max(axis=0)
    lons = rng.uniform(lo[0], hi[0], args.points)
    lats = rng.uniform(lo[1], hi[1], args.points)

    t0 = time.perf_counter()
    batch = index.locate_many(lons, lats)
    batch_s = time.perf_counter() - t0

    n_single = min(args.points, 50_000)
    t0 = time.perf_counter()
    single = [index.locate(x, y) for x, y in zip(lons[:n_single], lats[:n_single])]
    single_s = time.perf_counter() - t0

    geoms = index.geoms
    nb = args.baseline_points
    t0 = time.perf_counter()
    base = []
    for x, y in zip(lons[:nb], lats[:nb]):
        p = shapely.Point(x, y)
        base.append(next((int(index.ids[k]) for k, g in enumerate(geoms) if g.intersects(p)), None))
    base_s = time.perf_counter() - t0

    assert [(-1 if s is None else s) for s in single] == list(batch[:n_single])
    assert [(-1 if s is None else s) for s in base] == list(batch[:nb])
    rate = {"batch": args.points / batch_s, "single": n_single / single_s, "baseline": nb / base_s}
    table = Table(title=f"Point-in-grid over {len(rows):,} grids (index built in {build_s:.2f} s)")
    for c in ("method", "points", "seconds", "lookups/s", "× baseline"):
        table.add_column(c, justify="right")
    table.add_row(
        "locate_many (STRtree, vectorised)",
        f"{args.points:,}",
        f"{batch_s:.3f}",
        f"{rate['batch']:,.0f}",
        f"{rate['batch'] / rate['baseline']:,.0f}",
    )
    table.add_row(
        "locate (STRtree, one by one)",
        f"{n_single:,}",
        f"{single_s:.3f}",
        f"{rate['single']:,.0f}",
        f"{rate['single'] / rate['baseline']:,.0f}",
    )
    table.add_row("baseline: loop over all polygons", f"{nb:,}", f"{base_s:.3f}", f"{rate['baseline']:,.0f}", "1")
    console.print(table)
    console.print(
        f"goal ≥ 50,000/s: batch {'met' if rate['batch'] >= 50_000 else 'NOT met'}, "
        f"single {'met' if rate['single'] >= 50_000 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
