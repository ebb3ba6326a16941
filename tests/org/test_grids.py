import json

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.org import geo, services
from gongzhi.org.models import Grid
from tests.conftest import square

LON, LAT = 118.90, 42.30  # well away from the tiny demo's grids


def test_create_grid_with_standard_code(world):
    g = services.create_grid(SYSTEM, region=world.comm_a, geometry=square(LON, LAT), name="新网格")
    assert g.code.startswith(world.comm_a.code) and len(g.code) == 15
    assert 8000 < g.area_m2 < 10000  # ~82 m × 111 m at 42° N
    assert geo.locate(LON + 0.0005, LAT + 0.0005).pk == g.pk


def test_code_must_follow_the_standard(world):
    with pytest.raises(DomainError, match="网格编码应为社区代码") as e:
        services.create_grid(SYSTEM, region=world.comm_a, geometry=square(LON, LAT), name="x", code="123")
    assert e.value.field == "code"


@pytest.mark.parametrize(
    "geometry, code",
    [
        ({"type": "Point", "coordinates": [1, 2]}, "invalid_geojson"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1]]]}, "invalid_geojson"),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[LON, LAT], [LON + 0.001, LAT + 0.001], [LON + 0.001, LAT], [LON, LAT + 0.001], [LON, LAT]]
                ],
            },
            "invalid_geometry",
        ),  # bow-tie
        ({"type": "Polygon", "coordinates": [[[500, 0], [501, 0], [501, 1], [500, 0]]]}, "invalid_geojson"),
        ("not json at all", "invalid_geojson"),
    ],
)
def test_bad_geometry_is_refused(world, geometry, code):
    n = Grid.objects.count()
    with pytest.raises(DomainError) as e:
        services.create_grid(SYSTEM, region=world.comm_a, geometry=geometry, name="坏网格")
    assert e.value.code == code and e.value.field == "geometry"
    assert Grid.objects.count() == n


def test_self_intersection_is_explained(world):
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[LON, LAT], [LON + 0.001, LAT + 0.001], [LON + 0.001, LAT], [LON, LAT + 0.001], [LON, LAT]]],
    }
    with pytest.raises(DomainError, match="自相交|Self-intersection"):
        services.create_grid(SYSTEM, region=world.comm_a, geometry=bowtie, name="x")


def test_overlap_refused_but_shared_border_allowed(world):
    services.create_grid(SYSTEM, region=world.comm_a, geometry=square(LON, LAT), name="甲")
    services.create_grid(SYSTEM, region=world.comm_a, geometry=square(LON + 0.001, LAT), name="乙 (shares a border)")
    with pytest.raises(DomainError, match="重叠") as e:
        services.create_grid(SYSTEM, region=world.comm_a, geometry=square(LON + 0.0005, LAT), name="丙")
    assert e.value.code == "overlap"


def test_existing_demo_grids_reject_an_overlapping_newcomer(world):
    g = Grid.objects.first()
    with pytest.raises(DomainError, match=f"与网格{g.code}"):
        services.create_grid(SYSTEM, region=world.comm_a, geometry=g.geometry, name="重复")


def feature(community, lon, lat, name="导入网格"):
    return {"type": "Feature", "geometry": square(lon, lat), "properties": {"community": community, "name": name}}


def test_import_is_all_or_nothing(world):
    n = Grid.objects.count()
    fc = {
        "type": "FeatureCollection",
        "features": [feature(world.comm_a.code, LON, LAT), feature(world.comm_a.code, LON + 0.0005, LAT)],
    }
    with pytest.raises(DomainError, match="第2个要素：与网格.*导入网格.*重叠"):
        services.import_grids(SYSTEM, fc)
    assert Grid.objects.count() == n
    fc["features"][1] = feature(world.comm_b.code, LON + 0.002, LAT)
    created = services.import_grids(SYSTEM, fc)
    assert [g.region_id for g in created] == [world.comm_a.pk, world.comm_b.pk]


def test_import_unknown_community_and_bad_collection(world):
    with pytest.raises(DomainError, match="不是已有社区"):
        services.import_grids(SYSTEM, {"type": "FeatureCollection", "features": [feature("999", LON, LAT)]})
    with pytest.raises(DomainError, match="FeatureCollection"):
        services.import_grids(SYSTEM, {"type": "Feature"})


def test_export_import_round_trip(world, tmp_path):
    fc = services.export_grids(Grid.objects.filter(region=world.comm_a))
    assert fc["features"] and all(f["properties"]["community"] == world.comm_a.code for f in fc["features"])
    assert json.loads(json.dumps(fc)) == fc  # plain JSON, no tuples


def test_cli_import_refuses_bad_file_and_exits_nonzero(world, tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
        f'{{"type": "Point", "coordinates": [1, 2]}}, "properties": {{"community": "{world.comm_a.code}", "name": "x"}}}}]}}'
    )
    with pytest.raises(CommandError, match="第1个要素"):
        call_command("grids", "import", str(bad))
    good = tmp_path / "good.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "features": [feature(world.comm_a.code, LON, LAT)]}))
    call_command("grids", "import", str(good))
    out = tmp_path / "out.geojson"
    call_command("grids", "export", "--region", world.comm_a.code, "-o", str(out))
    assert len(json.loads(out.read_text())["features"]) == Grid.objects.filter(region=world.comm_a).count()


def test_point_outside_every_grid(world):
    with pytest.raises(DomainError) as e:
        geo.locate(10.0, 10.0)
    assert e.value.code == "outside_grids" and e.value.field == "location"


def test_vectorised_lookup_agrees_with_single_lookups(world):
    rng = np.random.default_rng(3)
    idx = geo.grid_index(force_check=True)
    b = Grid.objects.order_by("min_lon").first()
    lons = rng.uniform(118.79, 118.85, 400)
    lats = rng.uniform(42.195, 42.215, 400)
    many = idx.locate_many(lons, lats)
    single = [idx.locate(x, y) for x, y in zip(lons, lats)]
    assert list(many) == [-1 if s is None else s for s in single]
    assert (many >= 0).sum() > 100 and (many == -1).sum() > 10
    assert b is not None


def test_index_sees_new_grids(world):
    geo.grid_index(force_check=True)
    g = services.create_grid(SYSTEM, region=world.comm_a, geometry=square(LON, LAT), name="新")
    assert geo.locate(LON + 0.0001, LAT + 0.0001).pk == g.pk


def test_grid_party_org_co_built_with_units_in_the_grid(world):
    g = Grid.objects.filter(region=world.comm_a).first()
    from gongzhi.org.models import Person, Unit

    members = list(Person.objects.filter(region=world.comm_a, party_status="full")[:3])
    street_party = Unit.objects.get(code=f"{world.street_a.code}-PARTY")
    gp = services.create_unit(
        SYSTEM,
        code="GP-1",
        name="网格党支部",
        kind="party_grid",
        region=world.comm_a,
        parent=street_party,
        founding_members=members,
    )
    inside = services.create_unit(
        SYSTEM,
        code="E-1",
        name="网格内企业",
        kind="enterprise_private",
        region=world.comm_a,
        lon=g.centroid_lon,
        lat=g.centroid_lat,
    )
    outside = services.create_unit(
        SYSTEM, code="E-2", name="网格外企业", kind="enterprise_private", region=world.comm_a, lon=LON, lat=LAT
    )
    with pytest.raises(DomainError, match="不在网格"):
        services.set_grid_party_org(SYSTEM, g, gp, [inside, outside])
    services.set_grid_party_org(SYSTEM, g, gp, [inside])
    assert list(g.co_builders.all()) == [inside]
