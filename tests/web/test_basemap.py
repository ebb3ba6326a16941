"""The maps' own base layer: community outlines (the union of their grids) with names, public, and the
map page that draws them (gongzhi/basemap.js)."""

import pytest
from django.core.cache import cache
from shapely.geometry import shape

from gongzhi.core import generations
from gongzhi.core.models import Region
from gongzhi.org import geo
from gongzhi.org.models import Grid
from gongzhi.web import basemap
from tests.conftest import square

URL = "/map/communities.geojson"


@pytest.fixture(autouse=True)
def _fresh():
    basemap._cached.update(key=None, body=None)


def test_each_community_has_its_name_and_an_outline_covering_its_grids(client, world):
    r = client.get(URL)  # anonymous: boundaries and names are public
    assert r.status_code == 200 and r["Content-Type"].startswith("application/json")
    feats = {f["properties"]["code"]: f for f in r.json()["features"]}
    with_grids = Region.objects.filter(grids__isnull=False).distinct()
    assert set(feats) == {c.code for c in with_grids}
    for c in with_grids:
        f = feats[c.code]
        assert f["properties"]["name"] == c.name
        assert f["properties"]["street"] == c.parent.name
        outline = shape(f["geometry"])
        assert outline.is_valid and not outline.is_empty
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        grids = list(Grid.objects.filter(region=c))
        assert f["properties"]["grids"] == len(grids)
        for g in grids:
            assert outline.buffer(1e-9).covers(shape(g.geometry)), (c.code, g.code)
        lon, lat = f["properties"]["label"]
        assert outline.buffer(1e-9).covers(shape({"type": "Point", "coordinates": [lon, lat]}))
    # no personal data: only the public properties
    assert set(next(iter(feats.values()))["properties"]) == {"code", "name", "street", "grids", "label"}


def test_post_is_refused(client, world):
    assert client.post(URL).status_code == 405


def test_the_outlines_follow_a_new_grid_and_a_renamed_community(
    client, world, users, django_capture_on_commit_callbacks
):
    from gongzhi.org import services

    first = client.get(URL).json()
    before = {f["properties"]["code"]: shape(f["geometry"]) for f in first["features"]}
    assert client.get(URL).json() == first  # served from the process's copy
    assert world.comm_a.code in before
    east = max(g.max_lon for g in Grid.objects.all()) + 0.05
    far = square(east, Grid.objects.filter(region=world.comm_a).first().min_lat, 0.002)  # apart from every grid
    with django_capture_on_commit_callbacks(execute=True):
        services.create_grid(users["district_admin"], region=world.comm_a, geometry=far, name="新增网格")
    geo.invalidate()
    after = {f["properties"]["code"]: f for f in client.get(URL).json()["features"]}
    assert shape(after[world.comm_a.code]["geometry"]).covers(shape(far))
    world.comm_a.name = "改名社区"
    world.comm_a.save()
    # What the commit would publish (inside the test's transaction the fixture's own pending bump of
    # "regions" makes generations.bump() skip this one): a new token for the regions.
    cache.set(generations.KEY % "regions", "renamed", timeout=None)
    names = {f["properties"]["code"]: f["properties"]["name"] for f in client.get(URL).json()["features"]}
    assert names[world.comm_a.code] == "改名社区"


def test_the_map_page_loads_the_base_layer(client, world, users):
    client.force_login(users["street_cadre"])
    html = client.get("/map/").content.decode()
    assert "gongzhi/basemap.js" in html and 'data-communities="/map/communities.geojson"' in html
    assert 'data-grids="/requests/grids.geojson"' in html
    assert "GongzhiBasemap.add(map" in html


def test_the_tile_url_goes_to_the_base_layer_when_set(client, world, users, settings):
    client.force_login(users["street_cadre"])
    assert 'data-tiles=""' in client.get("/map/").content.decode()
    settings.GONGZHI_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    html = client.get("/map/").content.decode()
    assert 'data-tiles="https://tiles.example.org/{z}/{x}/{y}.png"' in html
