"""Searches, suggestions, map layers and exports hold the region scope (issue 17, item 4: the audit).

After the duplicate check was found to search every street, each endpoint and page that searches,
suggests, draws a map layer or exports was audited for the same rule: a user acts within their
organisation subtree / region. The matrix below runs every demo role and the anonymous visitor
against each of them with data in street A's community and in township B, and checks who gets
township B's rows. (The Open311 GET is covered by ``test_open311_public.py``, the duplicate check by
``test_scope_duplicates.py``.)
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.cases import services
from gongzhi.command import perms as command_perms
from gongzhi.consult import services as consult
from gongzhi.core.actors import SYSTEM
from gongzhi.org import permissions as perm
from gongzhi.org.models import Person

from .scope_fixtures import ROLES, _synchronous_classifier, client_as, place, place_b  # noqa: F401

# VIEW scopes of the demo roles: district-wide roles see township B, street A's roles do not.
SEES_B = {"district_admin", "department_staff", "auditor", "other_street_cadre"}


@pytest.fixture
def data(world, place, place_b, users):
    a, _ = services.submit(SYSTEM, description="小区门口垃圾堆放", category="01001", lon=place.lon, lat=place.lat)
    b, _ = services.submit(SYSTEM, description="村口路灯不亮", category="02003", lon=place_b.lon, lat=place_b.lat)
    person_b = Person.objects.filter(region=world.comm_b).order_by("pk").first()
    now = timezone.now()
    topic_b = consult.create_topic(
        title="村里修路怎么出钱",
        scope="village",
        region=world.comm_b,
        proposed_by=users["other_street_cadre"],
        phases=[{"kind": "collect", "starts_at": now - dt.timedelta(days=1), "ends_at": now + dt.timedelta(days=5)}],
    )
    return type("Data", (), {"a": a, "b": b, "person_b": person_b, "topic_b": topic_b})()


@pytest.mark.parametrize("role", ROLES)
def test_request_list_and_detail(data, client_as, role):
    c = client_as(role)
    r = c.get("/api/v1/cases/requests")
    if role is None:
        assert r.status_code == 401 and c.get(f"/api/v1/cases/requests/{data.b.number}").status_code == 401
        return
    numbers = {x["number"] for x in r.json()}
    assert (data.b.number in numbers) == (role in SEES_B)
    assert c.get(f"/api/v1/cases/requests/{data.b.number}").status_code == (200 if role in SEES_B else 404)
    page = c.get(f"/requests/r/{data.b.number}/")
    assert page.status_code == (200 if role in SEES_B else 404)


@pytest.mark.parametrize("role", ROLES)
def test_search_page_and_people_api(data, client_as, role):
    c = client_as(role)
    p = data.person_b
    page = c.get("/search/", {"q": p.name})
    api = c.get("/api/v1/people", {"q": p.name})
    if role is None:
        assert page.status_code == 302 and api.status_code == 401
        return
    assert (f'href="/org/person/{p.pk}/"' in page.content.decode()) == (role in SEES_B)
    assert (p.pk in {x["id"] for x in api.json()}) == (role in SEES_B)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("layer", ["grids", "needs", "resources", "volunteers", "incidents"])
def test_command_map_layers_of_township_b(world, users, client_as, role, layer):
    c = client_as(role)
    code = world.street_b.code
    api = c.get(f"/api/v1/command/{code}/map/{layer}")
    page = c.get(f"/command/{code}/map/{layer}.geojson")
    if role is None:
        assert api.status_code == 401 and page.status_code == 302
        return
    may = perm.allowed(users[role], command_perms.VIEW, world.street_b)
    assert may == (role in {"district_admin", "auditor", "other_street_cadre"})
    assert api.status_code == (200 if may else 403)
    assert page.status_code in ((200,) if may else (403, 404))


@pytest.mark.parametrize("role", ROLES)
def test_consultation_export_of_township_b(data, client_as, role):
    r = client_as(role).get(f"/consult/topics/{data.topic_b.pk}/export/comments.csv")
    if role is None:
        assert r.status_code == 302
    else:
        assert r.status_code == (200 if role in SEES_B else 404)


@pytest.mark.parametrize("role", ROLES)
def test_request_free_text_masked_by_role(world, place, users, client_as, role):
    """A phone number typed into the description or a staff reason is shown as the contact fields are:
    in clear to the reporter's handlers and dispatchers, masked to everyone else who may see the request
    (the API, its timeline and the request page alike)."""
    from gongzhi.cases import perms

    req, _ = services.submit(
        SYSTEM, description="楼道堆物，联系我13912345678", category="01003", lon=place.lon, lat=place.lat
    )
    services.start(SYSTEM, req, note="已电话联系13912345678，身份证110101199003071234核实")
    c = client_as(role)
    api = c.get(f"/api/v1/cases/requests/{req.number}")
    page = c.get(f"/requests/r/{req.number}/")
    if role is None:
        assert api.status_code == 401 and page.status_code == 404
        return
    seen = role in {"district_admin", "department_staff", "auditor", "street_cadre", "community_cadre", "grid_worker"}
    assert api.status_code == (200 if seen else 404) and page.status_code == (200 if seen else 404)
    if not seen:
        return
    clear = perms.sees_personal(users[role], req)
    body = api.content.decode() + page.content.decode()
    assert ("13912345678" in body) == clear and ("110101199003071234" in body) == clear
    if not clear:
        assert "139****5678" in api.json()["description"]
        assert any("110101********1234" in t["reason"] for t in api.json()["timeline"])


@pytest.mark.parametrize(
    "role, path",
    [
        ("grid_worker", "/requests/inbox/grid/"),
        ("street_cadre", "/requests/desk/"),
        ("community_cadre", "/requests/desk/"),
    ],
)
def test_request_lists_mask_text_as_the_request_page(world, place, users, client_as, role, path):
    from gongzhi.cases import perms

    req, _ = services.submit(
        SYSTEM, description="门口垃圾没人清运13912345678", category="01001", lon=place.lon, lat=place.lat
    )
    html = client_as(role).get(path).content.decode()
    assert req.number in html
    clear = perms.sees_personal(users[role], req)
    assert clear == (role != "grid_worker")  # a street-handled request: the grid worker neither handles
    assert ("13912345678" in html) == clear  # nor dispatches it
    assert ("139****5678" in html) == (not clear)
