"""Bad input answers 4xx with a message and writes nothing (issue 17, item 7).

Each class is reproduced as it was found on the demo: NUL characters in JSON bodies, in query
parameters and in paths; lone surrogates in JSON; negative and beyond-bigint ``offset``/``limit``;
an empty ``category`` on the duplicate check; NUL in a web page's query string. On PostgreSQL each of
these was a 500 (NUL and surrogates cannot be stored or even sent as query parameters, a negative
slice raises in the ORM, an offset beyond bigint overflows); SQLite stored the NUL silently. The
API answers 422 in its error shape ``{"detail", "code", "field"}``; pages answer 400.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core import signals
from django.db import close_old_connections

from gongzhi.cases.models import ServiceRequest
from gongzhi.core.actors import SYSTEM
from gongzhi.core.services import issue_api_token
from gongzhi.org.models import Unit

from .scope_fixtures import _synchronous_classifier  # noqa: F401  (autouse)

BIGINT = 2**63 - 1


@pytest.fixture
def token(users):
    return issue_api_token(SYSTEM, users["district_admin"], "bad-input")


@pytest.fixture
def place(world):
    from gongzhi.org.models import Grid

    g = Grid.objects.filter(region=world.comm_a).order_by("code").first()
    return {"lon": g.centroid_lon, "lat": g.centroid_lat}


def call(client, token, method, path, body=None, raw=None):
    kw = {"headers": {"Authorization": f"Bearer {token}"}}
    if raw is not None or body is not None:
        kw.update(data=raw if raw is not None else json.dumps(body), content_type="application/json")
    return getattr(client, method)("/api/v1" + path, **kw)


def assert_refused(r, status=422, field=None):
    assert r.status_code == status, (r.status_code, r.content[:300])
    out = r.json()
    assert out["code"] == "invalid" and out["detail"], out
    if field:
        assert out.get("field") == field, out
    return out


# ------------------------------------------------------------------ JSON bodies


@pytest.mark.parametrize("field", ["description", "address", "reporter_name"])
def test_nul_in_a_json_field_is_refused_and_nothing_written(client, token, place, field):
    body = {"description": "路灯不亮", "category": "01001", **place, field: "路灯\x00不亮"}
    before = ServiceRequest.objects.count()
    out = assert_refused(call(client, token, "post", "/cases/requests", body), field=field)
    assert "NUL" in out["detail"]
    assert ServiceRequest.objects.count() == before


def test_nul_in_a_nested_json_value_is_refused(client, token, world):
    """The check walks the whole document, lists and objects included (here: a unit's name)."""
    parent = Unit.objects.get(code=f"{world.street_a.code}-GOV")
    before = Unit.objects.count()
    r = call(
        client,
        token,
        "post",
        "/units",
        {"code": "X1", "name": "a\x00b", "kind": "party_branch", "parent": parent.code, "region": world.comm_a.code},
    )
    assert_refused(r, field="name")
    r = call(client, token, "post", "/cases/requests/NOPE/whistle", {"departments": ["a", "b\x00"], "reason": "x"})
    assert_refused(r, field="departments.1")
    assert Unit.objects.count() == before


def test_lone_surrogate_in_json_is_refused(client, token, place):
    raw = '{{"description": "路灯\\ud800不亮", "category": "01001", "lon": {!r}, "lat": {!r}}}'.format(
        place["lon"], place["lat"]
    )
    before = ServiceRequest.objects.count()
    out = assert_refused(call(client, token, "post", "/cases/requests", raw=raw), field="description")
    assert "surrogate" in out["detail"] or "代理" in out["detail"]
    assert ServiceRequest.objects.count() == before
    # A correctly paired surrogate (an emoji written as an escape) is ordinary text.
    raw = '{{"description": "路灯不亮\\ud83d\\ude00", "category": "01001", "lon": {!r}, "lat": {!r}}}'.format(
        place["lon"], place["lat"]
    )
    assert call(client, token, "post", "/cases/requests", raw=raw).status_code == 201


def test_nul_in_a_json_key_and_non_finite_numbers_are_refused(client, token, place):
    r = call(client, token, "post", "/cases/requests", raw='{"descr\\u0000iption": "x", "category": "01001"}')
    assert_refused(r)
    for bad in ("NaN", "Infinity", "-Infinity", "1e999"):
        raw = '{{"description": "路灯不亮", "category": "01001", "lon": {}, "lat": {!r}}}'.format(bad, place["lat"])
        assert_refused(call(client, token, "post", "/cases/requests", raw=raw), field="lon")


def test_integers_beyond_bigint_in_json_are_refused(client, token, world):
    r = call(client, token, "post", "/cases/requests/NOPE/actions", {"action": "accept", "expected_version": 2**70})
    assert_refused(r, field="expected_version")


def test_malformed_json_answers_in_the_error_shape(client, token):
    r = call(client, token, "post", "/cases/requests", raw='{"description": ')
    assert r.status_code == 400 and r.json()["code"] == "invalid" and "JSON" in r.json()["detail"]
    r = call(client, token, "post", "/cases/requests", raw=b'{"description": "\xff\xfe"}')
    assert r.status_code == 400 and r.json()["code"] == "invalid"


def test_nul_in_a_multipart_form_field_is_refused(client, token, place):
    before = ServiceRequest.objects.count()
    r = client.post(
        "/api/v1/cases/requests/upload",
        {"description": "a\x00b", "category": "01001", **place},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert_refused(r, field="description")
    assert ServiceRequest.objects.count() == before


def test_nul_through_the_fast_intake_route(token, place):
    """The lean WSGI route files requests without Ninja; it must refuse the same bytes the same way."""
    from gongzhi.wsgi import application

    before = ServiceRequest.objects.count()
    for raw in (
        '{"description": "a\\u0000b", "category": "01001", "lon": %r, "lat": %r}',
        '{"description": "a\\uDBFFb", "category": "01001", "lon": %r, "lat": %r}',
    ):
        data = (raw % (place["lon"], place["lat"])).encode()
        status, body = wsgi_post(application, data, token)
        assert status == 422, (status, body)
        assert json.loads(body)["field"] == "description"
    assert ServiceRequest.objects.count() == before


def wsgi_post(application, data, token, path="/api/v1/cases/requests", headers=None):
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "QUERY_STRING": "",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data),
        "CONTENT_LENGTH": str(len(data)),
        "CONTENT_TYPE": "application/json",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        **(headers or {}),
    }
    out = {}

    def start_response(status, headers, exc_info=None):
        out["status"] = int(status.split()[0])

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        chunks = application(environ, start_response)
        body = b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return out["status"], body


# ------------------------------------------------------------------ query and path parameters


@pytest.mark.parametrize(
    "path",
    [
        "/cases/requests?state=%00",
        "/cases/requests?category=a%00b",
        "/people?q=%00",
        "/units?q=x%00",
        "/cases/suggest?text=%00",
        "/alerts/?kind=%00",
    ],
)
def test_nul_in_a_query_parameter_is_refused(client, token, path):
    out = assert_refused(call(client, token, "get", path))
    assert "NUL" in out["detail"]


@pytest.mark.parametrize("path", ["/cases/requests/%00", "/units/X%00Y", "/regions/%00"])
def test_nul_in_a_path_parameter_is_refused(client, token, path):
    assert_refused(call(client, token, "get", path))


@pytest.mark.parametrize("path", ["/cases/requests", "/alliances", "/units", "/people"])
@pytest.mark.parametrize(
    "query, field",
    [
        ("offset=-1", "offset"),
        (f"offset={BIGINT + 1}", "offset"),
        (f"offset={10**30}", "offset"),
        ("limit=-5", "limit"),
        (f"limit={10**30}", "limit"),
    ],
)
def test_out_of_range_paging_is_refused(client, token, path, query, field):
    out = assert_refused(call(client, token, "get", f"{path}?{query}"))
    assert field in out["detail"]


@pytest.mark.parametrize("path", ["/cases/requests", "/alliances", "/units", "/people"])
def test_paging_at_the_edges_still_answers(client, token, path):
    r = call(client, token, "get", f"{path}?offset={BIGINT}&limit=1")
    assert r.status_code == 200 and r.json() == []
    r = call(client, token, "get", f"{path}?offset=0&limit=1")
    assert r.status_code == 200 and len(r.json()) <= 1


def test_empty_category_on_the_duplicate_check(client, token, place):
    r = call(client, token, "get", f"/cases/duplicates?category=&lon={place['lon']}&lat={place['lat']}")
    assert_refused(r, status=r.status_code if r.status_code in (400, 422) else 422, field="category")


# ------------------------------------------------------------------ web pages


@pytest.mark.parametrize("path", ["/search/?q=%00", "/alerts/?kind=%00", "/requests/?state=a%00", "/org/unit/X%00/"])
def test_nul_in_a_page_query_or_path_answers_400(client, users, path):
    client.force_login(users["district_admin"])
    r = client.get(path)
    assert r.status_code == 400
    assert "NUL" in r.content.decode()


def test_nul_in_a_page_form_post_answers_400(client, users):
    client.force_login(users["district_admin"])
    before = ServiceRequest.objects.count()
    r = client.post("/requests/new/", {"description": "a\x00b", "category": "01001"})
    assert r.status_code == 400 or (r.status_code == 200 and "aria-invalid" in r.content.decode())
    assert ServiceRequest.objects.count() == before


# ------------------------------------------------------------------ the schema says so


def test_every_operation_declares_the_refusals_it_can_give(client, db):
    """422 (validation, bad characters, paging), 400/403/404/409 (domain errors), 401 (no token) and,
    where there is a body, 413 — all in the one error shape."""
    doc = client.get("/api/v1/openapi.json").json()
    assert {"detail", "code"} <= set(doc["components"]["schemas"]["Error"]["required"])
    ops = [(path, method, op) for path, methods in doc["paths"].items() for method, op in methods.items()]
    assert len(ops) > 100
    for path, method, op in ops:
        for code in ("400", "403", "404", "409", "422"):
            assert code in op["responses"], (method, path, code)
        if op.get("security"):
            assert "401" in op["responses"], (method, path)
        if method in ("post", "put", "patch"):
            assert "413" in op["responses"], (method, path)
    paging = {
        p["name"]: p["schema"]
        for p in doc["paths"]["/api/v1/cases/requests"]["get"]["parameters"]
        if p["name"] in ("offset", "limit")
    }
    assert paging["offset"]["minimum"] == 0 and paging["offset"]["maximum"] == BIGINT
    assert paging["limit"]["minimum"] == 1


def test_refusals_speak_the_callers_language(client, token):
    r = client.get("/api/v1/people?q=%00", headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
    assert r.status_code == 422 and "must not contain NUL characters" in r.json()["detail"]
    r = client.post(
        "/api/v1/cases/requests",
        data='{"description": "a\\u0000"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
    )
    assert r.status_code == 422 and "must not contain NUL characters" in r.json()["detail"]
    r = client.get("/api/v1/people?q=%00", headers={"Authorization": f"Bearer {token}"})
    assert "不能含有NUL字符" in r.json()["detail"]


# ------------------------------------------------------------------ pages under random query strings


def _page_paths():
    """Every page of the URL conf without path parameters (not the API, Open311, admin or log-out)."""
    from django.urls import URLPattern, URLResolver, get_resolver
    from django.urls.resolvers import RoutePattern

    out = []

    def walk(patterns, prefix):
        for p in patterns:
            if not isinstance(p.pattern, RoutePattern) or "<" in str(p.pattern):
                continue
            path = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, path)
            elif isinstance(p, URLPattern):
                out.append("/" + path)

    walk(get_resolver().url_patterns, "")
    skip = ("/api/", "/open311/", "/admin/", "/logout/", "/i18n/", "/static/")
    return sorted(p for p in set(out) if not p.startswith(skip))


def test_pages_under_random_query_strings_never_fail(client, users):
    """Every page, opened by the district administrator with random values for the query parameters
    pages read (and NUL among them): a page or a refusal, never a 500."""
    import urllib.parse

    from hypothesis import HealthCheck, given, seed, settings
    from hypothesis import strategies as st

    paths = _page_paths()
    assert len(paths) > 30
    client.force_login(users["district_admin"])
    names = [
        "q",
        "page",
        "year",
        "quarter",
        "kind",
        "status",
        "state",
        "region",
        "street",
        "unit",
        "month",
        "period",
        "order",
        "run",
        "category",
        "level",
        "layer",
        "token",
        "lon",
        "lat",
        "grid",
        "next",
        "tab",
    ]
    values = st.one_of(
        st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=20),
        st.integers(-(2**70), 2**70).map(str),
        st.sampled_from(["", "-1", "0", "1e999", "nan", "2026-13", "\x00", "a\x00b"]),
    )

    @seed(20261217)
    @settings(
        max_examples=3 * len(paths),
        deadline=None,
        database=None,
        derandomize=True,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(path=st.sampled_from(paths), params=st.dictionaries(st.sampled_from(names), values, max_size=4))
    def open_page(path, params):
        r = client.get(path + "?" + urllib.parse.urlencode(params))
        assert r.status_code < 500, (path, params, r.status_code)

    open_page()
    # And each page once with NUL in every parameter it might read: refused, not a 500.
    for path in paths:
        r = client.get(path + "?" + urllib.parse.urlencode({n: "a\x00b" for n in names}))
        assert r.status_code == 400, (path, r.status_code)
