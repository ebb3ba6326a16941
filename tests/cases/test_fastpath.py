"""The lean WSGI route for filing a request: the same answers as the Ninja view, through the real
WSGI application (``gongzhi.wsgi.application``), for the happy path and every refusal."""

from __future__ import annotations

import io
import json

import pytest
from django.core import signals
from django.db import close_old_connections
from django.test import Client

from gongzhi.api.fastpath import PATH, FastIntake
from gongzhi.cases.models import ServiceRequest
from gongzhi.core.actors import SYSTEM
from gongzhi.core.services import issue_api_token


def fast_intake() -> FastIntake:
    """The lean route inside the WSGI application (other wrappers, e.g. ops.slowclients, go around it)."""
    from gongzhi.wsgi import application

    app = application
    while not isinstance(app, FastIntake):
        app = app.app
    return app


@pytest.fixture
def wsgi(monkeypatch):
    """Call the WSGI application as a server would (keeping the test's connection open, as the
    test client does). Returns (status, headers, body, whether Django answered)."""
    from gongzhi.wsgi import application

    fast = fast_intake()
    django_calls = []
    inner = fast.app

    def django_app(environ, start_response):
        django_calls.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    monkeypatch.setattr(fast, "app", django_app)

    def call(body, token=None, key=None, lang=None, path=PATH, raw=None, host="127.0.0.1"):
        data = raw if raw is not None else json.dumps(body).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": host,
            "QUERY_STRING": "",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(data),
            "CONTENT_LENGTH": str(len(data)),
            "CONTENT_TYPE": "application/json",
        }
        if token:
            environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        if key:
            environ["HTTP_IDEMPOTENCY_KEY"] = key
        if lang:
            environ["HTTP_ACCEPT_LANGUAGE"] = lang
        out = {}

        def start_response(status, headers, exc_info=None):
            out["status"], out["headers"] = int(status.split()[0]), dict(headers)

        before = len(django_calls)
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            chunks = application(environ, start_response)
            payload = b"".join(chunks)
            getattr(chunks, "close", lambda: None)()
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
        try:
            answer = json.loads(payload)
        except ValueError:
            answer = payload.decode()
        return out["status"], out["headers"], answer, len(django_calls) > before

    return call


@pytest.fixture
def token(users):
    return issue_api_token(SYSTEM, users["street_cadre"], "hotline")


def body_for(place, **kw):
    return {
        "description": "路灯不亮",
        "category": "02003",
        "lon": place.lon,
        "lat": place.lat,
        "reporter_phone": "13500001111",
        **kw,
    }


def test_success_is_answered_by_the_lean_route_as_the_view_would(wsgi, token, place, users):
    status, headers, d, via_django = wsgi(body_for(place), token=token, key="k1")
    assert status == 201 and not via_django
    assert headers["Content-Type"].startswith("application/json") and headers["X-Frame-Options"] == "DENY"
    req = ServiceRequest.objects.get(number=d["number"])
    assert req.idempotency_key == f"api:{users['street_cadre'].pk}:k1" and req.channel == "api"
    # The Ninja view's answer for the same call has the same fields and the same routing.
    c = Client()
    r = c.post(
        "/api/v1/cases/requests",
        body_for(place),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k2"},
    )
    assert r.status_code == 201
    view = r.json()
    assert set(view) == set(d)
    for k in (
        "state",
        "state_label",
        "category",
        "handling_unit",
        "routing_reason",
        "sla",
        "grid",
        "version",
        "reporter_phone",
    ):
        assert view[k] == d[k], k


def test_retry_with_the_same_key_creates_nothing(wsgi, token, place):
    s1, _h1, d1, _ = wsgi(body_for(place), token=token, key="same")
    s2, h2, d2, via_django = wsgi(body_for(place), token=token, key="same")
    assert s1 == s2 == 201 and not via_django
    assert d2["number"] == d1["number"] and h2["Idempotent-Replayed"] == "true"
    assert ServiceRequest.objects.filter(idempotency_key__endswith=":same").count() == 1


@pytest.mark.parametrize(
    "case, status, check",
    [
        ("unknown category", 400, lambda d: d["field"] == "category"),
        ("outside every grid", 400, lambda d: d["code"] == "outside_grids"),
        ("malformed body", 422, lambda d: d["errors"][0]["loc"][-1] == "description"),
        ("not JSON", 400, lambda d: "detail" in d),
        # no valid token: Ninja falls back to the session, which wants a CSRF token for a POST
        ("bad token", 403, lambda d: "CSRF" in d["detail"]),
        ("bad channel", 400, lambda d: d["field"] == "channel"),
        ("key too long", 400, lambda d: d["field"] == "Idempotency-Key"),
    ],
)
def test_refusals_are_djangos_answers_and_change_nothing(wsgi, token, place, case, status, check):
    kw = {"token": token, "key": "r1"}
    b = body_for(place)
    if case == "unknown category":
        b["category"] = "00000"
    elif case == "outside every grid":
        b.update(lon=0.0, lat=0.0)
    elif case == "malformed body":
        b.pop("description")
    elif case == "not JSON":
        kw["raw"] = b"{not json"
    elif case == "bad token":
        kw["token"] = "gz_wrong"
    elif case == "bad channel":
        b["channel"] = "fax"
    elif case == "key too long":
        kw["key"] = "x" * 101
    before = ServiceRequest.objects.count()
    got, _headers, d, via_django = wsgi(b, **kw)
    assert got == status and via_django and check(d), d
    assert ServiceRequest.objects.count() == before


def test_language_follows_accept_language(wsgi, token, place):
    _s, h_zh, zh, _ = wsgi(body_for(place), token=token, key="zh")
    _s, h_en, en, via_django = wsgi(body_for(place), token=token, key="en", lang="en-US,en;q=0.9")
    assert not via_django and zh["state"] == en["state"] == "dispatched"
    assert zh["state_label"] == "已派单" and en["state_label"] != zh["state_label"]
    assert h_en["Content-Language"] == "en" and h_zh["Content-Language"] == "zh-hans"


def test_other_calls_and_a_disabled_route_go_to_django(wsgi, token, place, monkeypatch):
    _s, _h, _d, via_django = wsgi(body_for(place), token=token, key="o1", path="/api/v1/cases/requests/upload")
    assert via_django
    s, _h, _d, via_django = wsgi(body_for(place), token=token, key="o2", host="evil.example")
    assert s == 400 and via_django
    monkeypatch.setattr(fast_intake(), "enabled", False)
    s, _h, _d, via_django = wsgi(body_for(place), token=token, key="o3")
    assert s == 201 and via_django
