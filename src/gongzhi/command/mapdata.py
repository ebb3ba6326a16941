"""The one map (一张图): GeoJSON of a region's grids coloured by open/overdue requests, and its layers.

Every layer is limited to the region's subtree (the region itself was checked against the
user's scope by the caller)."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count

from gongzhi.core.models import Region
from gongzhi.org.kinds import PARTY_KINDS
from gongzhi.org.models import Grid, Unit

from .models import GridState

LAYERS = ("grids", "party", "alliances", "resources", "needs", "volunteers", "incidents")
POINT_LIMIT = 3000


def _fc(features: list) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _point(lon, lat, **props) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


def bounds(region: Region) -> dict:
    from django.db.models import Max, Min

    b = Grid.objects.filter(region__path__startswith=region.path).aggregate(
        w=Min("min_lon"), s=Min("min_lat"), e=Max("max_lon"), n=Max("max_lat")
    )
    return b


def grids(region: Region) -> dict:
    states = {s.grid_id: s for s in GridState.objects.filter(region__path__startswith=region.path)}
    feats = []
    for g in Grid.objects.filter(region__path__startswith=region.path).select_related("region").order_by("code"):
        s = states.get(g.pk)
        feats.append(
            {
                "type": "Feature",
                "geometry": g.geometry,
                "properties": {
                    "code": g.code,
                    "name": g.name,
                    "community": g.region.name,
                    "open": s.open if s else 0,
                    "overdue": s.overdue if s else 0,
                },
            }
        )
    return _fc(feats)


def party(region: Region) -> dict:
    qs = (
        Unit.objects.filter(
            region__path__startswith=region.path,
            kind__in=PARTY_KINDS,
            lon__isnull=False,
            status=Unit.Status.ESTABLISHED,
        )
        .order_by("depth", "path")
        .values_list("code", "name", "kind", "lon", "lat")[:POINT_LIMIT]
    )
    return _fc([_point(lon, lat, code=c, name=n, kind=k) for c, n, k, lon, lat in qs])


def alliances(region: Region) -> dict:
    from gongzhi.alliances.models import Alliance

    qs = Alliance.objects.filter(
        region__path__startswith=region.path, status=Alliance.Status.ESTABLISHED, lead_unit__lon__isnull=False
    ).values_list("code", "name", "kind", "lead_unit__lon", "lead_unit__lat")[:POINT_LIMIT]
    return _fc([_point(lon, lat, code=c, name=n, kind=k) for c, n, k, lon, lat in qs])


def resources(region: Region) -> dict:
    from gongzhi.resources.models import PoolResource

    qs = PoolResource.objects.filter(
        region__path__startswith=region.path, status=PoolResource.Status.ACTIVE
    ).values_list("pk", "name", "kind", "lon", "lat")[:POINT_LIMIT]
    return _fc([_point(lon, lat, id=pk, name=t, kind=k) for pk, t, k, lon, lat in qs])


def needs(region: Region) -> dict:
    from gongzhi.resources.models import PoolNeed

    qs = PoolNeed.objects.filter(region__path__startswith=region.path, status=PoolNeed.Status.OPEN).values_list(
        "pk", "title", "kind", "priority", "lon", "lat"
    )[:POINT_LIMIT]
    return _fc([_point(lon, lat, id=pk, name=t, kind=k, priority=p) for pk, t, k, p, lon, lat in qs])


def volunteers(region: Region) -> dict:
    """Active volunteers counted per community, placed at the middle of the community's grids."""
    from gongzhi.volunteers.models import Volunteer

    counts = dict(
        Volunteer.objects.filter(region__path__startswith=region.path, status=Volunteer.Status.ACTIVE)
        .values("region_id")
        .order_by("region_id")
        .annotate(n=Count("pk"))
        .values_list("region_id", "n")
    )
    cents: dict = defaultdict(list)
    for rid, lon, lat in Grid.objects.filter(region_id__in=list(counts)).values_list(
        "region_id", "centroid_lon", "centroid_lat"
    ):
        cents[rid].append((lon, lat))
    names = dict(Region.objects.filter(pk__in=list(counts)).values_list("pk", "name"))
    feats = []
    for rid, n in counts.items():
        pts = cents.get(rid)
        if not pts:
            continue
        lon = sum(p[0] for p in pts) / len(pts)
        lat = sum(p[1] for p in pts) / len(pts)
        feats.append(_point(lon, lat, name=names.get(rid, ""), volunteers=n))
    return _fc(feats)


def incidents(user, region: Region) -> dict:
    from . import queries

    feats = []
    for inc in queries.incidents(user, region):
        geom = getattr(inc, "geometry", None)
        if not geom:
            continue
        url = inc.get_absolute_url() if hasattr(inc, "get_absolute_url") else ""
        feats.append(
            {"type": "Feature", "geometry": geom, "properties": {"name": getattr(inc, "name", ""), "url": url}}
        )
    return _fc(feats)


def layer(user, region: Region, name: str) -> dict:
    if name == "incidents":
        return incidents(user, region)
    fn = {
        "grids": grids,
        "party": party,
        "alliances": alliances,
        "resources": resources,
        "needs": needs,
        "volunteers": volunteers,
    }[name]
    return fn(region)
