"""Open311 GeoReport v2, exercised by an independent client written from the specification."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from gongzhi.cases.models import ServiceRequest

from .open311_client import GeoReportClient, Open311Error


def django_transport(client: Client):
    def call(method, url, data):
        path = url.split("://", 1)[-1].split("/", 1)[1]
        r = client.post("/" + path, data) if method == "POST" else client.get("/" + path)
        return r.status_code, r.get("Content-Type", ""), r.content

    return call


@pytest.fixture
def api_key(db):
    out = io.StringIO()
    call_command("open311_key", "city-12345", stdout=out)
    return out.getvalue().strip().splitlines()[-1]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_full_cycle(world, place, api_key, fmt):
    c = GeoReportClient("http://testserver/open311/v2/", api_key=api_key, fmt=fmt, transport=django_transport(Client()))
    services = c.services()
    codes = {s["service_code"] for s in services}
    assert {"01005", "02003"} <= codes
    assert all(s["type"] == "realtime" for s in services)
    assert c.service_definition("02003")["service_code"] == "02003"
    out = c.post_request(
        service_code="02003",
        lat=place.lat,
        long=place.lon,
        description="路灯不亮三天了",
        first_name="明",
        last_name="李",
        phone="13600001111",
    )
    sid, token = out[0]["service_request_id"], out[0]["token"]
    assert ServiceRequest.objects.get(number=sid).channel == "open311"
    got = c.request(sid)[0]
    assert got["service_code"] == "02003" and got["status"] == "open"
    assert float(got["lat"]) == pytest.approx(place.lat) and got["agency_responsible"]
    assert c.token(token)[0]["service_request_id"] == sid
    assert sid in {r["service_request_id"] for r in c.requests(service_code="02003", status="open")}
    assert sid not in {r["service_request_id"] for r in c.requests(status="closed")}
    assert [r["service_request_id"] for r in c.requests(service_request_id=sid)] == [sid]
    assert c.requests(start_date="2999-01-01T00:00:00Z") == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_in_spec_format_and_nothing_saved(world, place, api_key, fmt):
    c = GeoReportClient("http://testserver/open311/v2/", api_key=api_key, fmt=fmt, transport=django_transport(Client()))
    cases = [
        dict(service_code="99999", lat=place.lat, long=place.lon, description="x"),
        dict(service_code="02003", lat=1.0, long=1.0, description="x"),
        dict(service_code="02003", lat="north", long=place.lon, description="x"),
        dict(service_code="02003", description="no location"),
        dict(lat=place.lat, long=place.lon, description="no service code"),
    ]
    for fields in cases:
        with pytest.raises(Open311Error) as e:
            c.post_request(**fields)
        assert e.value.status == 400
        err = e.value.errors[0]
        assert int(err["code"]) == 400 and err["description"]
    bad_key = GeoReportClient(
        "http://testserver/open311/v2/", api_key="nope", fmt=fmt, transport=django_transport(Client())
    )
    with pytest.raises(Open311Error) as e:
        bad_key.post_request(service_code="02003", lat=place.lat, long=place.lon, description="x")
    assert e.value.status == 403
    with pytest.raises(Open311Error) as e:
        c.request("nope")
    assert e.value.status == 404
    with pytest.raises(Open311Error) as e:
        c.requests(status="maybe")
    assert e.value.status == 400
    assert ServiceRequest.objects.count() == 0


def test_idempotent_retry(world, place, api_key):
    c = Client()
    data = {
        "api_key": api_key,
        "service_code": "02003",
        "lat": place.lat,
        "long": place.lon,
        "description": "路灯不亮",
        "idempotency_key": "retry-1",
    }
    a = c.post("/open311/v2/requests.json", data).json()
    b = c.post("/open311/v2/requests.json", data).json()
    assert a[0]["service_request_id"] == b[0]["service_request_id"]
    assert ServiceRequest.objects.count() == 1


def test_key_command_refuses_duplicates(db):
    from django.core.management.base import CommandError

    call_command("open311_key", "dup", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("open311_key", "dup", stdout=io.StringIO())
