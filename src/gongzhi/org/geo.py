"""Grid geometry: GeoJSON validation, overlap checks and point-in-grid lookup.

Coordinates are WGS84 longitude/latitude. Lookups use a Shapely STRtree built
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
    ids: np.ndarray
    geoms: np.ndarray
    tree: shapely.STRtree
    watermark: tuple

    @classmethod
    def build(cls, rows, watermark) -> GridIndex:
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        geoms = np.array([shape(r[1]) for r in rows], dtype=object)
        shapely.prepare(geoms)
        return cls(ids, geoms, shapely.STRtree(geoms), watermark)

    def locate(self, lon: float, lat: float) -> int | None:
        """The id of the grid containing the point (on a shared border: the lowest id), or None."""
        cand = self.tree.query(shapely.Point(lon, lat))  # bounding boxes only: 1–4 candidates
        if len(cand) == 0:
            return None
        hit = cand[shapely.intersects_xy(self.geoms[cand], lon, lat)]
        return int(self.ids[hit].min()) if len(hit) else None

    def locate_many(self, lons, lats) -> np.ndarray:
        """Vectorised lookup: an array of grid ids, -1 where a point is in no grid."""
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        pairs = self.tree.query(shapely.points(lons, lats))  # bounding-box candidates
        keep = shapely.intersects_xy(self.geoms[pairs[1]], lons[pairs[0]], lats[pairs[0]])
        pairs = pairs[:, keep]
        out = np.full(len(lons), -1, dtype=np.int64)
        if pairs.shape[1]:
            # For points on shared borders keep the lowest grid id, as locate() does.
            gid = self.ids[pairs[1]]
            order = np.lexsort((gid, pairs[0]))
            p, g = pairs[0][order], gid[order]
            first = np.r_[True, p[1:] != p[:-1]]
            out[p[first]] = g[first]
        return out

    def candidates(self, geom) -> list[int]:
        return [int(self.ids[i]) for i in self.tree.query(geom, predicate="intersects")]


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
