import pytest

from gongzhi.org.models import Grid, Person, Unit


@pytest.fixture
def as_street(client, users):
    client.force_login(users["street_cadre"])
    return client


def test_pages_need_login(client, db):
    r = client.get("/org/")
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_home_figures_are_computed_for_the_scope(as_street, world):
    r = as_street.get("/")
    assert r.status_code == 200
    figs = r.context["figures"]
    assert figs["communities"] == 2 and figs["streets"] == 1
    assert figs["grids"] == Grid.objects.filter(region__parent=world.street_a).count()


def test_tree_unit_person_grid_search_lists(as_street, world):
    r = as_street.get("/org/")
    roots = r.context["roots"]
    assert {u.code for u in roots} >= {f"{world.street_a.code}-PARTY", f"{world.street_a.code}-GOV"}
    party = Unit.objects.get(code=f"{world.street_a.code}-PARTY")
    r = as_street.get(f"/org/unit/{party.code}/children/")
    assert "社区委员会" in r.content.decode()
    r = as_street.get(f"/org/unit/{party.code}/")
    assert r.status_code == 200 and r.context["full_members"] >= 3
    p = Person.objects.filter(region=world.comm_a).exclude(phone="").first()
    r = as_street.get(f"/org/person/{p.pk}/")
    assert p.phone in r.content.decode()
    g = Grid.objects.filter(region=world.comm_a).first()
    assert as_street.get(f"/grid/{g.code}/").status_code == 200
    assert as_street.get("/map/").status_code == 200
    r = as_street.get("/search/", {"q": world.comm_a.name[:2]})
    assert r.status_code == 200
    r = as_street.get("/lists/", {"category": "01005", "grid": g.code})
    assert r.context["decision"].unit.code.endswith("-CGJ")


def test_other_street_is_invisible(client, users, world):
    client.force_login(users["other_street_cadre"])
    assert client.get(f"/org/unit/{world.street_a.code}-GOV/").status_code == 404
    g = Grid.objects.filter(region=world.comm_a).first()
    assert client.get(f"/grid/{g.code}/").status_code == 404


def test_unit_form_marks_the_field_and_writes_nothing(as_street, world):
    parent = Unit.objects.get(region=world.comm_a, kind="party_community")
    n = Unit.objects.count()
    r = as_street.post(
        f"/org/unit/{parent.code}/",
        {"code": "F-1", "name": "新支部", "kind": "party_compound", "founding_members": "1,2"},
    )
    assert r.status_code == 200 and Unit.objects.count() == n
    html = r.content.decode()
    assert 'aria-invalid="true"' in html and "至少3名正式党员" in html
    full = Person.objects.filter(region=world.comm_a, party_status="full")  # founders are full members already
    ids = ",".join(str(p) for p in full.values_list("pk", flat=True)[:3])
    r = as_street.post(
        f"/org/unit/{parent.code}/",
        {"code": "F-1", "name": "新支部", "kind": "party_compound", "founding_members": ids},
    )
    assert r.status_code == 302 and Unit.objects.filter(code="F-1").exists()


def test_lookup_form_errors(as_street, world):
    r = as_street.get("/lists/", {"category": "01005"})
    assert "请填写网格编码，或经纬度" in r.content.decode()
    r = as_street.get("/lists/", {"category": "01005", "lon": "10", "lat": "10"})
    assert "不在任何网格内" in r.content.decode()


def test_english(client, users, world):
    client.force_login(users["street_cadre"])
    r = client.get("/", headers={"Accept-Language": "en"})
    html = r.content.decode()
    assert "Organisation" in html and "Grid map" in html and 'lang="en"' in html


def test_admin_is_scoped(client, users, world):
    client.force_login(users["street_cadre"])
    r = client.get("/admin/org/unit/")
    assert r.status_code == 200
    units = list(r.context["cl"].queryset)
    assert units and all(u.region.path.startswith(world.street_a.path) for u in units)
    other = Unit.objects.get(code=f"{world.street_b.code}-GOV")
    assert client.get(f"/admin/org/unit/{other.pk}/change/").status_code in (302, 403, 404)
