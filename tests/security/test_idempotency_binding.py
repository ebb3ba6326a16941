"""Idempotency keys belong to their author (issue 17, item 3).

As found on the demo: two browsers posting ``/requests/new/`` with the same ``idempotency_key`` — the
second was redirected to the first one's request with its token, saw the first reporter's phone and
got reporter rights over it. Now a key is scoped to the signed-in user or the browser's session (web
form, hotline), the user (JSON API, whose tokens are users) or the client (Open311), and a key reused
by its own author with a different body answers 422 and files nothing instead of replaying the first
answer.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from gongzhi.cases.models import ServiceRequest
from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import IdempotencyKey
from gongzhi.org.models import Person, Unit
from tests.cases.test_fastpath import body_for, wsgi

from .scope_fixtures import ROLES, _synchronous_classifier, client_as, place


def _form(place, **kw):
    data = {
        "description": "小区门口占道经营严重",
        "category": "01005",
        "lon": place.lon,
        "lat": place.lat,
        "reporter_name": "王五",
        "reporter_phone": "13900001111",
        "idempotency_key": "same-key-1",
    }
    data.update(kw)
    return data


def _browser():
    c = Client()
    assert c.get("/requests/new/").status_code == 200  # the form page starts the session its key is bound to
    return c


# ----------------------------------------------------------------- web form


@pytest.mark.parametrize("same_body", [False, True])
def test_two_browsers_with_the_same_form_key_file_two_requests(world, place, same_body):
    a, b = _browser(), _browser()
    ra = a.post("/requests/new/", _form(place))
    assert ra.status_code == 302
    first = ServiceRequest.objects.get()
    body_b = (
        _form(place)
        if same_body
        else _form(place, description="路口占道经营，晚上很吵", reporter_name="赵六", reporter_phone="13700002222")
    )
    rb = b.post("/requests/new/", body_b)
    assert rb.status_code == 302
    assert ServiceRequest.objects.count() == 2
    second = ServiceRequest.objects.exclude(pk=first.pk).get()
    # The second browser is sent to its own request, never to the first one's token.
    assert second.number in rb["Location"] and first.token not in rb["Location"]
    page_b = b.get(rb["Location"]).content.decode()
    if not same_body:
        assert "13900001111" not in page_b and "13700002222" in page_b
    # ... and holds no rights over the first request: without its token it does not exist for them.
    assert b.get(f"/requests/r/{first.number}/").status_code == 404
    assert first.number not in b.get("/requests/mine/").content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_form_keys_by_author_for_every_role(world, place, client_as, role):
    """Whoever files first (each demo role, or an anonymous browser), a stranger's browser with the same
    key files its own request and is never sent to the first one; the first author's retry replays."""
    first = client_as(role)
    first.get("/requests/new/")
    r1 = first.post("/requests/new/", _form(place))
    assert r1.status_code == 302
    stranger = _browser()
    r2 = stranger.post("/requests/new/", _form(place, reporter_phone="13700002222"))
    assert r2.status_code == 302 and r2["Location"] != r1["Location"]
    assert first.post("/requests/new/", _form(place))["Location"] == r1["Location"]
    assert ServiceRequest.objects.count() == 2


def test_a_retry_from_the_same_browser_replays(world, place):
    a = _browser()
    r1 = a.post("/requests/new/", _form(place))
    r2 = a.post("/requests/new/", _form(place))
    assert r1.status_code == r2.status_code == 302 and r1["Location"] == r2["Location"]
    assert ServiceRequest.objects.count() == 1


def test_the_same_key_with_another_body_is_refused_with_422(world, place):
    a = _browser()
    assert a.post("/requests/new/", _form(place)).status_code == 302
    r = a.post("/requests/new/", _form(place, description="其实是另一件事：路灯不亮"))
    assert r.status_code == 422
    html = r.content.decode()
    assert "幂等键已用于另一条不同内容的诉求" in html
    assert ServiceRequest.objects.count() == 1
    # The redisplayed form carries a fresh key: sending it again files the new request.
    assert 'value="same-key-1"' not in html
    r = a.post("/requests/new/", _form(place, description="其实是另一件事：路灯不亮", idempotency_key="k-2"))
    assert r.status_code == 302 and ServiceRequest.objects.count() == 2


def test_a_signed_in_user_keys_are_theirs_across_browsers(world, place, users):
    a, b = Client(), Client()
    a.force_login(users["street_cadre"])
    b.force_login(users["street_cadre"])
    assert a.post("/requests/new/", _form(place)).status_code == 302
    assert b.post("/requests/new/", _form(place)).status_code == 302  # the same author: a retry
    assert ServiceRequest.objects.count() == 1
    c = Client()
    c.force_login(users["community_cadre"])
    assert c.post("/requests/new/", _form(place)).status_code == 302  # another author
    assert ServiceRequest.objects.count() == 2


def test_hotline_keys_belong_to_the_operator(world, place, users):
    data = {
        "description": "井盖丢了很危险",
        "category": "02002",
        "grid": place.grid.code,
        "reporter_phone": "13700001111",
        "idempotency_key": "h1",
    }
    a, b = Client(), Client()
    a.force_login(users["street_cadre"])
    b.force_login(users["community_cadre"])
    assert a.post("/requests/hotline/", data).status_code == 200
    r = b.post(
        "/requests/hotline/",
        {**data, "description": "楼道堆满杂物", "category": "01003", "reporter_phone": "13600003333"},
    )
    assert r.status_code == 200 and ServiceRequest.objects.count() == 2
    assert "13700001111" not in r.content.decode()
    r = a.post("/requests/hotline/", {**data, "description": "换了内容"})
    assert r.status_code == 422 and ServiceRequest.objects.count() == 2


# ----------------------------------------------------------------- JSON API


def _api(client, user, body, key):
    client.force_login(user)
    return client.post(
        "/api/v1/cases/requests", json.dumps(body), content_type="application/json", headers={"Idempotency-Key": key}
    )


def test_api_keys_are_per_user_and_a_changed_body_is_422(world, place, users):
    body = {
        "description": "小区门口垃圾堆放",
        "category": "01001",
        "lon": place.lon,
        "lat": place.lat,
        "reporter_phone": "13500001234",
    }
    c = Client()
    r1 = _api(c, users["street_cadre"], body, "k-api")
    assert r1.status_code == 201
    r2 = _api(c, users["street_cadre"], body, "k-api")
    assert r2.status_code == 201 and r2.json()["number"] == r1.json()["number"]
    assert r2.headers["Idempotent-Replayed"] == "true"
    r3 = _api(c, users["street_cadre"], {**body, "description": "另一件事"}, "k-api")
    assert r3.status_code == 422 and r3.json()["code"] == "idempotency_mismatch"
    r4 = _api(c, users["street_cadre"], {**body, "reporter_phone": "13500009999"}, "k-api")
    assert r4.status_code == 422
    r5 = _api(c, users["street_cadre"], {**body, "category": "01002"}, "k-api")
    assert r5.status_code == 422
    assert ServiceRequest.objects.count() == 1
    other = _api(Client(), users["district_admin"], body, "k-api")
    assert other.status_code == 201 and other.json()["number"] != r1.json()["number"]
    assert ServiceRequest.objects.count() == 2


def test_key_replay_for_a_request_recategorised_since(world, place, users):
    """A retry is recognised by what was sent, not by the request's state since: the category given at
    intake counts even after a dispatcher changed it."""
    from gongzhi.org.models import MatterCategory

    body = {"description": "小区门口垃圾堆放", "category": "01001", "lon": place.lon, "lat": place.lat}
    c = Client()
    r1 = _api(c, users["street_cadre"], body, "k-recat")
    req = ServiceRequest.objects.get(number=r1.json()["number"])
    ServiceRequest.objects.filter(pk=req.pk).update(category=MatterCategory.objects.get(code="01002"))
    r2 = _api(c, users["street_cadre"], body, "k-recat")
    assert r2.status_code == 201 and r2.json()["number"] == req.number


def test_decorated_endpoints_refuse_a_changed_body(world, place, users):
    """Endpoints wrapped by ``core.idempotency.idempotent`` (here: creating a unit, and the multipart
    intake) store a fingerprint of the request with the answer."""
    people = list(Person.objects.filter(region=world.comm_a, party_status="full").values_list("pk", flat=True)[:3])
    parent = Unit.objects.get(region=world.comm_a, kind="party_community")
    body = {
        "code": "API-1",
        "name": "新支部",
        "kind": "party_compound",
        "region": world.comm_a.code,
        "parent": parent.code,
        "founding_members": people,
    }
    c = Client()
    c.force_login(users["street_cadre"])

    def post(b, key="abc-123"):
        return c.post("/api/v1/units", json.dumps(b), content_type="application/json", headers={"Idempotency-Key": key})

    assert post(body).status_code == 201
    # The same content in another key order and spacing is the same request.
    again = c.post(
        "/api/v1/units",
        json.dumps(dict(reversed(list(body.items()))), indent=2),
        content_type="application/json",
        headers={"Idempotency-Key": "abc-123"},
    )
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    changed = post({**body, "code": "API-2", "name": "另一个支部"})
    assert changed.status_code == 422 and changed.json()["code"] == "idempotency_mismatch"
    assert not Unit.objects.filter(code="API-2").exists() and IdempotencyKey.objects.count() == 1
    # Another author's identical key is theirs: their request is made (here refused on its merits).
    d = Client()
    d.force_login(users["district_admin"])
    r = d.post(
        "/api/v1/units", json.dumps(body), content_type="application/json", headers={"Idempotency-Key": "abc-123"}
    )
    assert "Idempotent-Replayed" not in r.headers and r.json().get("code") == "duplicate"


def test_multipart_intake_key_with_another_file_is_422(world, place, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    data = {
        "description": "小区门口垃圾堆放",
        "category": "01001",
        "lon": str(place.lon),
        "lat": str(place.lat),
        "channel": "api",
    }
    c = Client()
    c.force_login(users["street_cadre"])
    r1 = c.post(
        "/api/v1/cases/requests/upload", {**data, "attachments": [io.BytesIO(pdf)]}, headers={"Idempotency-Key": "m-1"}
    )
    assert r1.status_code == 201, r1.content
    r2 = c.post(
        "/api/v1/cases/requests/upload",
        {**data, "attachments": [io.BytesIO(pdf + b"%more")]},
        headers={"Idempotency-Key": "m-1"},
    )
    assert r2.status_code == 422 and ServiceRequest.objects.count() == 1


# ----------------------------------------------------------------- Open311


@pytest.fixture
def keys(db):
    out = []
    for name in ("city-app", "hotline-bridge"):
        buf = io.StringIO()
        call_command("open311_key", name, stdout=buf)
        out.append(buf.getvalue().strip().splitlines()[-1])
    return out


def test_open311_keys_are_per_client_and_a_changed_body_is_422(world, place, keys):
    c = Client()
    data = {
        "api_key": keys[0],
        "service_code": "02003",
        "lat": place.lat,
        "long": place.lon,
        "description": "路灯不亮",
        "phone": "13600001111",
        "idempotency_key": "retry-1",
    }
    a = c.post("/open311/v2/requests.json", data)
    assert a.status_code == 201
    again = c.post("/open311/v2/requests.json", data)
    assert again.json()[0]["service_request_id"] == a.json()[0]["service_request_id"]
    changed = c.post("/open311/v2/requests.json", {**data, "description": "路灯不亮，还有井盖丢了"})
    assert changed.status_code == 422 and int(changed.json()[0]["code"]) == 422
    assert ServiceRequest.objects.count() == 1
    other = c.post("/open311/v2/requests.json", {**data, "api_key": keys[1]})
    assert other.status_code == 201
    assert other.json()[0]["service_request_id"] != a.json()[0]["service_request_id"]
    assert other.json()[0]["token"] != a.json()[0]["token"]


def test_the_lean_wsgi_route_keeps_the_same_rules(world, place, users, wsgi):
    """The fast intake route (``api/fastpath.py``) files through the same ``file_request``: a key is the
    token's user's, and a changed body is handed to Django, which answers 422."""
    from gongzhi.core.services import issue_api_token

    mine, theirs = (
        issue_api_token(SYSTEM, users["street_cadre"], "a"),
        issue_api_token(SYSTEM, users["district_admin"], "b"),
    )
    s1, _h, d1, _ = wsgi(body_for(place), token=mine, key="k-fast")
    s2, _h, d2, _ = wsgi(body_for(place), token=theirs, key="k-fast")
    assert s1 == s2 == 201 and d1["number"] != d2["number"]
    s3, _h, d3, via_django = wsgi(body_for(place, description="另一件事"), token=mine, key="k-fast")
    assert s3 == 422 and via_django and d3["code"] == "idempotency_mismatch"
    assert ServiceRequest.objects.count() == 2
