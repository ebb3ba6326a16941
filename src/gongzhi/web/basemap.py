"""The maps' own base layer: community (村/社区) outlines drawn from the platform's grids, so that a map
reads without any tile server (the platform runs offline; ``GONGZHI_TILE_URL`` is optional).

Public data only: a community's name and outline (the union of its grids' polygons), as the public
``requests/grids.geojson`` already gives the grids. Built once per process and rebuilt when the grids
(count or last edit) or the regions (their generation token, ``core/generations.py``) change.
"""

from __future__ import annotations

import threading

import shapely
from django.db.models import Count, Max
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe
from shapely.geometry import mapping, shape

from gongzhi.core import generations
from gongzhi.core.models import Region
from gongzhi.org.models import Grid

_lock = threading.Lock()
_cached: dict[str, object] = {"key": None, "body": None}


def _key() -> tuple:
    """What the outlines depend on: the grids (how many, the last edit) and the regions' names (their
    generation token, bumped on every commit that changes a region)."""
    agg = Grid.objects.aggregate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    return agg["n"], agg["last"], agg["top"], generations.current("regions")


def communities() -> dict:
    """A FeatureCollection: one feature per community with grids, its outline and a label point."""
    key = _key()
    with _lock:
        if _cached["key"] == key:
            return _cached["body"]  # type: ignore[return-value]
    shapes: dict[int, list] = {}
    for rid, geom in Grid.objects.values_list("region_id", "geometry"):
        try:
            g = shape(geom)
        except (ValueError, TypeError, AttributeError, KeyError):
            continue
        if not g.is_valid:
            g = shapely.make_valid(g)
        shapes.setdefault(rid, []).append(g)
    regions = Region.objects.select_related("parent").in_bulk(list(shapes))
    feats = []
    for rid, parts in shapes.items():
        r = regions.get(rid)
        if r is None:
            continue
        outline = shapely.union_all(parts)
        label = outline.representative_point()
        street = r.parent.name if r.parent_id and r.parent else ""
        feats.append(
            {
                "type": "Feature",
                "geometry": mapping(outline),
                "properties": {
                    "code": r.code,
                    "name": r.name,
                    "street": street,
                    "grids": len(parts),
                    "label": [round(label.x, 6), round(label.y, 6)],
                },
            }
        )
    feats.sort(key=lambda f: f["properties"]["code"])
    body = {"type": "FeatureCollection", "features": feats}
    with _lock:
        _cached["key"], _cached["body"] = key, body
    return body


@require_safe
def communities_geojson(request: HttpRequest) -> JsonResponse:
    """Public: each community's name and outline (the union of its grids), for the maps' offline base."""
    return JsonResponse(communities(), json_dumps_params={"ensure_ascii": False})
