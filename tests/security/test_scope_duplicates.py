"""The duplicate check stays in the caller's scope (issue 17, item 4).

As found on the demo: ``GET /api/v1/cases/duplicates`` searched every street's requests and returned
their descriptions, so a street cadre of street A read township B's requests by asking near B's
grids. Now it searches only the requests the caller may see (their region subtree or their own),
on the API and on the request page, and masks the descriptions as the request's own page does.
"""

from __future__ import annotations

import pytest
from django.test import Client

from gongzhi.cases import services
from gongzhi.cases.models import ServiceRequest
from gongzhi.core.actors import SYSTEM

from .scope_fixtures import ROLES, _synchronous_classifier, client_as, place, place_b  # noqa: F401

TEXT = "村口垃圾堆放多日无人清运，联系电话13912345678"

# Who sees a request of township B, and who sees one of community A (street A).
SEES_B = {"district_admin", "department_staff", "auditor", "other_street_cadre"}
SEES_A = {"district_admin", "department_staff", "auditor", "street_cadre", "community_cadre", "grid_worker"}


@pytest.fixture
def two(world, place, place_b):
    a, _ = services.submit(SYSTEM, description=TEXT, category="01001", lon=place.lon, lat=place.lat)
    b, _ = services.submit(SYSTEM, description=TEXT, category="01001", lon=place_b.lon, lat=place_b.lat)
    return a, b


def _dupes(client, p):
    return client.get("/api/v1/cases/duplicates", {"category": "01001", "lon": p.lon, "lat": p.lat, "text": TEXT})


@pytest.mark.parametrize("role", ROLES)
def test_duplicates_by_role(two, place, place_b, client_as, role):
    a, b = two
    c = client_as(role)
    for p, req, seers in ((place_b, b, SEES_B), (place, a, SEES_A)):
        r = _dupes(c, p)
        if role is None:
            assert r.status_code == 401
            continue
        assert r.status_code == 200
        numbers = [h["number"] for h in r.json()]
        assert numbers == ([req.number] if role in seers else []), (role, p.grid.code)


def test_street_a_cadre_no_longer_reads_township_b(two, place_b, users):
    c = Client()
    c.force_login(users["street_cadre"])
    body = _dupes(c, place_b).content.decode()
    assert two[1].number not in body and "村口垃圾" not in body


@pytest.mark.parametrize("role", sorted(SEES_A))
def test_duplicate_descriptions_masked_as_on_the_request_page(two, place, client_as, users, role):
    """Clear text exactly for those who see the reporter's contact on the request itself (handlers and
    dispatchers of the request; here street A's cadres and the district), masked for the others."""
    from gongzhi.cases import perms

    clear = perms.sees_personal(users[role], two[0])
    assert clear == (role in {"district_admin", "street_cadre", "community_cadre"})
    hits = _dupes(client_as(role), place).json()
    assert len(hits) == 1
    assert ("13912345678" in hits[0]["description"]) == clear
    if not clear:
        assert "139****5678" in hits[0]["description"]


def test_request_page_hints_come_from_the_scope(two, place, users):
    """A request of street A on the border: a request of township B at the same point is not offered
    to street A's dispatcher as a duplicate (it is to the district's)."""
    a, b = two
    ServiceRequest.objects.filter(pk=b.pk).update(lon=a.lon, lat=a.lat)
    fresh, _ = services.submit(
        SYSTEM, description=TEXT, category="01001", lon=place.lon, lat=place.lat, auto_route=False
    )
    c = Client()
    c.force_login(users["street_cadre"])
    page = c.get(f"/requests/r/{fresh.number}/").content.decode()
    assert a.number in page and b.number not in page
    c.force_login(users["district_admin"])
    page = c.get(f"/requests/r/{fresh.number}/").content.decode()
    assert a.number in page and b.number in page


@pytest.mark.parametrize("category", ["", "  "])
def test_empty_category_is_refused(world, users, place, category):
    c = Client()
    c.force_login(users["street_cadre"])
    r = c.get("/api/v1/cases/duplicates", {"category": category, "lon": place.lon, "lat": place.lat})
    assert r.status_code in (400, 422) and r.json()["field"] == "category"
