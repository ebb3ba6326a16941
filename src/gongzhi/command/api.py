"""Command centre endpoints of the JSON API (mounted at /api/v1/command/)."""

from __future__ import annotations

import datetime as dt

from ninja import Router

from gongzhi.core.apischema import ErrorOut
from gongzhi.core.errors import NotFound

from . import mapdata, queries

PREFIX = "command"
router = Router(tags=["command"])


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.get("/{code}/figures", response={200: dict, **ERRORS})
def figures(request, code: str, start: dt.date | None = None, end: dt.date | None = None):
    """The centre's figures for [start, end] (default: the 30 days to the last day with data), from the rollups."""
    region = queries.region_for(request.user, code)
    return queries.figures(region, start, end)


@router.get("/{code}/map/{layer}", response={200: dict, **ERRORS})
def map_layer(request, code: str, layer: str):
    """One layer of the one map as GeoJSON: grids (with open/overdue), party, alliances, resources, needs,
    volunteers, incidents."""
    region = queries.region_for(request.user, code)
    if layer not in mapdata.LAYERS:
        raise NotFound(f"没有图层{layer}，可用：{'、'.join(mapdata.LAYERS)}", field="layer")
    return mapdata.layer(request.user, region, layer)
