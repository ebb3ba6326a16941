"""Grid geometry: GeoJSON validation, overlap checks and point-in-grid lookup.

Coordinates are WGS84 longitude/latitude. Point lookups use a bucket grid over the
grids' bounding boxes (:class:`GridIndex`; geometry queries its Shapely STRtree), built
once per process and rebuilt when grids change (signals here; other processes
notice through the grids' ``updated_at`` watermark, checked at most every few
seconds).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save
from shapely.geometry import shape
from shapely.validation import explain_validity

from gongzhi.core.errors import DomainError

from .contracts import OrgError

# Two grids may share a border; an overlap larger than this is refused.
OVERLAP_TOLERANCE_M2 = 1.0
EARTH_RADIUS_M = 6_371_008.8
# The ufunc behind shapely.intersects_xy, without its per-call wrapper (the grids are prepared in
# GridIndex.build): one point against one polygon in locate().
_intersects_xy = shapely.lib.intersects_xy
BUCKET_FRACTION = 0.35  # GridIndex bucket side, as a fraction of the median grid's bounding box


def parse_polygon(geojson, field: str = "geometry"):
    """Return a valid Shapely (Multi)Polygon from a GeoJSON geometry (or Feature), or raise."""
    if isinstance(geojson, dict) and geojson.get("type") == "Feature":
        geojson = geojson.get("geometry")
    if not isinstance(geojson, dict) or geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise DomainError("网格边界必须是GeoJSON Polygon或MultiPolygon", field=field, code=OrgError.INVALID_GEOJSON)
    try:
        geom = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise DomainError(f"GeoJSON坐标格式错误：{exc}", field=field, code=OrgError.INVALID_GEOJSON) from exc
    if geom.is_empty:
        raise DomainError("网格边界为空", field=field, code=OrgError.INVALID_GEOJSON)
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise DomainError("坐标超出经纬度范围（应为WGS84经度、纬度）", field=field, code=OrgError.INVALID_GEOJSON)
    if not geom.is_valid:
        raise DomainError(
            f"网格边界无效（如自相交）：{explain_validity(geom)}", field=field, code=OrgError.INVALID_GEOMETRY
        )
    return geom


def area_m2(geom) -> float:
    """Approximate area in square metres (equirectangular at the centroid latitude; fine at grid scale)."""
    lat = geom.centroid.y
    kx = math.radians(1) * EARTH_RADIUS_M * math.cos(math.radians(lat))
    ky = math.radians(1) * EARTH_RADIUS_M
    return geom.area * kx * ky


def overlap_m2(a, b) -> float:
    inter = a.intersection(b)
    return 0.0 if inter.is_empty else area_m2(inter)


def grid_fields(geom) -> dict:
    minx, miny, maxx, maxy = geom.bounds
    c = geom.representative_point() if not geom.centroid.within(geom) else geom.centroid
    return {
        "geometry": to_geojson(geom),
        "min_lon": minx,
        "min_lat": miny,
        "max_lon": maxx,
        "max_lat": maxy,
        "centroid_lon": c.x,
        "centroid_lat": c.y,
        "area_m2": area_m2(geom),
    }


def _plain(obj):
    """GeoJSON from shapely.mapping uses tuples; store plain lists."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def to_geojson(geom) -> dict:
    return _plain(shapely.geometry.mapping(geom))


@dataclass
class GridIndex:
    """Grids for point lookups: a uniform bucket grid over the grids' bounding boxes.

    Each bucket lists the grids whose (closed) bounding box touches it, lowest id first, so a
    point's candidates are one array slice away; the exact test is ``shapely.intersects_xy`` on
    the prepared polygon (a point on a border counts as inside) and the first candidate that
    passes is the lowest id.  The STRtree answers geometry queries (:meth:`candidates`).
    """

    ids: np.ndarray
    geoms: np.ndarray
    tree: shapely.STRtree
    watermark: tuple
    bounds: np.ndarray  # (n, 4) minx, miny, maxx, maxy per grid
    origin: tuple[float, float, float, float]  # minx, miny, maxx, maxy of all grids
    cell: tuple[float, float]  # bucket width, height
    shape: tuple[int, int]  # buckets along x, along y
    cell_start: np.ndarray  # (nx*ny + 1,) offsets into cell_grid
    cell_grid: np.ndarray  # grid positions (into ids/geoms), lowest id first within a bucket
    solved: np.ndarray  # per bucket: the position of the grid that is every point's answer, or -1
    cell_lists: list  # per bucket, for locate(): see _bucket_entry

    @classmethod
    def build(cls, rows, watermark) -> GridIndex:
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        geoms = np.array([shape(r[1]) for r in rows], dtype=object)
        shapely.prepare(geoms)
        tree = shapely.STRtree(geoms)
        n = len(ids)
        bounds = shapely.bounds(geoms).reshape(n, 4) if n else np.zeros((0, 4))
        if n:
            x0, y0 = float(bounds[:, 0].min()), float(bounds[:, 1].min())
            x1, y1 = float(bounds[:, 2].max()), float(bounds[:, 3].max())
            # Buckets a fraction of a typical grid (few candidates each), at most ~16 per grid.
            w = BUCKET_FRACTION * float(np.median(bounds[:, 2] - bounds[:, 0])) or 1e-9
            h = BUCKET_FRACTION * float(np.median(bounds[:, 3] - bounds[:, 1])) or 1e-9
            nx = max(1, math.ceil((x1 - x0) / w))
            ny = max(1, math.ceil((y1 - y0) / h))
            shrink = math.sqrt(nx * ny / (16 * n + 16))
            if shrink > 1:
                nx, ny = max(1, int(nx / shrink)), max(1, int(ny / shrink))
        else:
            x0 = y0 = x1 = y1 = 0.0
            nx = ny = 1
        dx = ((x1 - x0) / nx) or 1.0
        dy = ((y1 - y0) / ny) or 1.0
        origin, cell, grid_shape = (x0, y0, x1, y1), (dx, dy), (nx, ny)
        # Bucket ranges of each closed bounding box, with the same arithmetic as the lookups.
        cx0, cy0 = _bucket(origin, cell, grid_shape, bounds[:, 0], bounds[:, 1])
        cx1, cy1 = _bucket(origin, cell, grid_shape, bounds[:, 2], bounds[:, 3])
        pos_l, cell_l = [], []
        for k in np.argsort(ids, kind="stable"):
            xs = np.arange(cx0[k], cx1[k] + 1)
            ys = np.arange(cy0[k], cy1[k] + 1)
            cells = (xs[:, None] * ny + ys[None, :]).ravel()
            cell_l.append(cells)
            pos_l.append(np.full(len(cells), k, dtype=np.int64))
        cells = np.concatenate(cell_l) if cell_l else np.zeros(0, dtype=np.int64)
        pos = np.concatenate(pos_l) if pos_l else np.zeros(0, dtype=np.int64)
        order = np.argsort(cells, kind="stable")  # stable: lowest id first within a bucket
        cell_grid = pos[order]
        cell_start = np.zeros(nx * ny + 1, dtype=np.int64)
        np.cumsum(np.bincount(cells, minlength=nx * ny), out=cell_start[1:])
        # A bucket is solved when one grid covers it and no lower id touches it: every point in it
        # has that grid as its answer, without a geometric test.  The bucket's box is widened by a
        # hair so that rounding in the bucket arithmetic cannot put a point outside it.
        solved = np.full(nx * ny, -1, dtype=np.int64)
        if len(cell_grid):
            owner = np.repeat(np.arange(nx * ny), np.diff(cell_start))
            ex, ey = dx * 1e-7, dy * 1e-7
            used = np.unique(owner)
            ux, uy = used // ny, used % ny
            cell_box = np.empty(nx * ny, dtype=object)
            cell_box[used] = shapely.box(
                x0 + ux * dx - ex, y0 + uy * dy - ey, x0 + (ux + 1) * dx + ex, y0 + (uy + 1) * dy + ey
            )
            boxes = cell_box[owner]
            touches = shapely.intersects(geoms[cell_grid], boxes)
            # The first touching candidate of each bucket (lowest id): solved if it covers the bucket.
            t_idx = np.flatnonzero(touches)
            first = t_idx[np.r_[True, owner[t_idx[1:]] != owner[t_idx[:-1]]]] if len(t_idx) else t_idx
            first = first[shapely.covers(geoms[cell_grid[first]], boxes[first])]
            solved[owner[first]] = cell_grid[first]
        index = cls(ids, geoms, tree, watermark, bounds, origin, cell, grid_shape, cell_start, cell_grid, solved, [])
        index.cell_lists = [index._bucket_entry(c) for c in range(nx * ny)]
        return index

    def locate(self, lon: float, lat: float) -> int | None:
        """The id of the grid containing the point (on a shared border: the lowest id), or None."""
        x0, y0, x1, y1 = self.origin
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):  # also refuses NaN
            return None
        nx, ny = self.shape
        cx = min(int((lon - x0) / self.cell[0]), nx - 1)
        cy = min(int((lat - y0) / self.cell[1]), ny - 1)
        cands = self.cell_lists[cx * ny + cy]
        if type(cands) is int:
            return cands
        for minx, miny, maxx, maxy, geom, gid in cands:
            if minx <= lon <= maxx and miny <= lat <= maxy and _intersects_xy(geom, lon, lat):
                return gid
        return None

    def _bucket_entry(self, c: int) -> int | tuple:
        """The solved grid's id, or the bucket's candidates as (minx, miny, maxx, maxy, geom, id)."""
        if self.solved[c] >= 0:
            return int(self.ids[self.solved[c]])
        return tuple(
            (*(float(v) for v in self.bounds[k]), self.geoms[k], int(self.ids[k]))
            for k in self.cell_grid[self.cell_start[c] : self.cell_start[c + 1]].tolist()
        )

    def locate_many(self, lons, lats) -> np.ndarray:
        """Vectorised lookup: an array of grid ids, -1 where a point is in no grid."""
        lons = np.asarray(lons, dtype=float).ravel()
        lats = np.asarray(lats, dtype=float).ravel()
        out = np.full(len(lons), -1, dtype=np.int64)
        x0, y0, x1, y1 = self.origin
        ok = np.flatnonzero((lons >= x0) & (lons <= x1) & (lats >= y0) & (lats <= y1))  # NaN: False
        if not len(ok) or not len(self.ids):
            return out
        xs, ys = lons[ok], lats[ok]
        cx, cy = _bucket(self.origin, self.cell, self.shape, xs, ys)
        c = cx * self.shape[1] + cy
        sol = self.solved[c]
        done = sol >= 0
        out[ok[done]] = self.ids[sol[done]]
        rest = np.flatnonzero(~done)
        ok, xs, ys, c = ok[rest], xs[rest], ys[rest], c[rest]
        start = self.cell_start[c]
        count = self.cell_start[c + 1] - start
        # Every (point, candidate) pair, by point then lowest id first.
        total = int(count.sum())
        pt = np.repeat(np.arange(len(ok)), count)
        offs = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
        cand = self.cell_grid[np.repeat(start, count) + offs]
        px, py = xs[pt], ys[pt]
        b = self.bounds[cand]
        keep = (b[:, 0] <= px) & (px <= b[:, 2]) & (b[:, 1] <= py) & (py <= b[:, 3])
        pt, cand, px, py = pt[keep], cand[keep], px[keep], py[keep]
        hit = shapely.intersects_xy(self.geoms[cand], px, py)
        pt, cand = pt[hit], cand[hit]
        if len(pt):
            first = np.r_[True, pt[1:] != pt[:-1]]  # the lowest id per point
            out[ok[pt[first]]] = self.ids[cand[first]]
        return out

    def candidates(self, geom) -> list[int]:
        return [int(self.ids[i]) for i in self.tree.query(geom, predicate="intersects")]


def _bucket(
    origin: tuple[float, float, float, float],
    cell: tuple[float, float],
    grid_shape: tuple[int, int],
    xs: np.ndarray,
    ys: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Bucket coordinates of points inside ``origin`` (monotone in x and y, so closed boxes map to ranges)."""
    cx = np.minimum(((np.asarray(xs) - origin[0]) / cell[0]).astype(np.int64), grid_shape[0] - 1)
    cy = np.minimum(((np.asarray(ys) - origin[1]) / cell[1]).astype(np.int64), grid_shape[1] - 1)
    return cx, cy


_lock = threading.Lock()
_index: GridIndex | None = None
_checked_at = 0.0
RECHECK_SECONDS = 5.0


def _watermark():
    from .models import Grid

    agg = Grid.objects.aggregate(n=Count("id"), t=Max("updated_at"), m=Max("id"))
    return (agg["n"], agg["t"], agg["m"])


def grid_index(force_check: bool = False) -> GridIndex:
    """The process's grid index, rebuilt when the grids have changed."""
    global _index, _checked_at
    from .models import Grid

    now = time.monotonic()
    with _lock:
        if _index is not None and not force_check and now - _checked_at < RECHECK_SECONDS:
            return _index
        mark = _watermark()
        _checked_at = now
        if _index is None or _index.watermark != mark:
            rows = list(Grid.objects.values_list("id", "geometry"))
            _index = GridIndex.build(rows, mark)
        return _index


def invalidate(*_args, **_kwargs) -> None:
    global _index
    with _lock:
        _index = None


def locate(lon: float, lat: float):
    """The Grid containing (lon, lat). Raises DomainError when the point is in no grid."""
    from .models import Grid

    gid = grid_index().locate(lon, lat)
    if gid is None:
        raise DomainError(
            f"位置({lon:.6f}, {lat:.6f})不在任何网格内，请检查坐标或选择网格",
            field="location",
            code=OrgError.OUTSIDE_GRIDS,
        )
    return Grid.objects.select_related("region").defer("geometry").get(pk=gid)


def connect_signals() -> None:
    from .models import Grid

    post_save.connect(invalidate, sender=Grid, dispatch_uid="grid_index_save")
    post_delete.connect(invalidate, sender=Grid, dispatch_uid="grid_index_delete")
