"""Open311 GET publishes only what is public (issue 17, item 5) and refuses bad input with 4xx
(issue 17, item 7, the Open311 part).

As found on the demo: anonymous ``GET /open311/v2/requests.json`` returned the descriptions and the
full-precision coordinates of every street's requests, welfare (救助) categories included. Now:
a request is published only when its category's major class is public (``open311.PUBLIC_CLASSES``;
welfare, neighbour disputes, illegal building, rural matters and unlisted classes never); its point
is its grid's centroid and its address the grid's name; phone-, ID- and account-like numbers in the
description and the handling notes are masked with ``permissions.mask_text`` (the same rule as the
API and the pages); property-management requests are listed without their description.

Robustness as found: an idempotency key longer than its column, an impossible ``start_date``,
NUL characters in fields and parameters gave 500s (or were stored); a control character that came in
through another channel made ``requests.xml`` unparseable.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.test import Client

from gongzhi.cases import open311, services
from gongzhi.cases.models import ServiceRequest
from gongzhi.core.actors import SYSTEM

from .scope_fixtures import ROLES, _synchronous_classifier, client_as, place, place_b

PHONE, ID_NUMBER = "13912345678", "110101199003071234"


@pytest.fixture
def filed(world, place, place_b):
    """Requests of both streets: public ones with personal numbers in the text, a welfare one, a
    property-management one; each at a point off its grid's centroid."""
    off = 0.0001

    def mk(code, text, p, **kw):
        return services.submit(
            SYSTEM,
            description=text,
            category=code,
            lon=p.lon + off,
            lat=p.lat + off,
            address="幸福里3号楼2单元501室",
            reporter_phone="13800001111",
            **kw,
        )[0]

    out = {
        "light": mk("02003", f"路灯不亮，请联系我{PHONE}，身份证{ID_NUMBER}", place),
        "welfare": mk("06001", "家里困难想申请低保，我叫张三，电话13700002222", place),
        "welfare_b": mk("06002", "独居老人需要助餐服务", place_b),
        "property": mk("04003", "物业费账目不公开，业主李四13600003333", place),
        "rubbish_b": mk("01001", "村口垃圾堆放多日无人清运", place_b),
    }
    return out


def _rows(client, **params):
    r = client.get("/open311/v2/requests.json", params)
    assert r.status_code == 200, r.content
    return {row["service_request_id"]: row for row in r.json()}


def test_sensitive_categories_are_never_published(filed):
    c = Client()
    rows = _rows(c)
    assert filed["light"].number in rows and filed["rubbish_b"].number in rows
    for key in ("welfare", "welfare_b"):
        n = filed[key].number
        assert n not in rows
        assert _rows(c, service_request_id=n) == {}
        assert _rows(c, service_code=filed[key].category.code) == {}
        r = c.get(f"/open311/v2/requests/{n}.json")
        assert r.status_code == 404  # the same answer as for a number that does not exist
    raw = c.get("/open311/v2/requests.json").content.decode()
    assert "低保" not in raw and "张三" not in raw and "助餐" not in raw


def test_point_snapped_to_the_grid_and_address_replaced(filed, place):
    row = _rows(Client())[filed["light"].number]
    assert (row["lat"], row["long"]) == (round(place.grid.centroid_lat, 6), round(place.grid.centroid_lon, 6))
    assert (row["lat"], row["long"]) != (filed["light"].lat, filed["light"].lon)
    assert row["address"] == place.grid.name and row["address_id"] == place.grid.code
    assert "3号楼" not in json.dumps(_rows(Client()), ensure_ascii=False)


def test_numbers_in_text_are_masked_and_property_descriptions_withheld(filed):
    req = ServiceRequest.objects.get(pk=filed["light"].pk)
    services.resolve(SYSTEM, req, resolution=f"已电话联系居民{PHONE}，路灯已修复")
    c = Client()
    rows = _rows(c)
    light = rows[filed["light"].number]
    assert "139****5678" in light["description"] and "110101********1234" in light["description"]
    assert "139****5678" in light["status_notes"] and "路灯已修复" in light["status_notes"]
    prop = rows[filed["property"].number]
    assert prop["description"] == "" and prop["service_code"] == "04003"
    for fmt in ("json", "xml"):
        raw = c.get(f"/open311/v2/requests.{fmt}").content.decode()
        for secret in (PHONE, ID_NUMBER, "13800001111", "13600003333", "李四"):
            assert secret not in raw, (fmt, secret)
        detail = c.get(f"/open311/v2/requests/{filed['light'].number}.{fmt}").content.decode()
        assert PHONE not in detail and ID_NUMBER not in detail


@pytest.mark.parametrize("role", ROLES)
def test_every_caller_gets_the_public_view(filed, client_as, role):
    """GET is the public interface: a signed-in session of any role, or an API key, changes nothing."""
    rows = _rows(client_as(role))
    assert filed["welfare"].number not in rows and filed["light"].number in rows
    assert PHONE not in rows[filed["light"].number]["description"]


def test_public_view_is_decided_per_major_class():
    assert open311.publicity("02003") == open311.FULL and open311.publicity("07001") == open311.FULL
    assert open311.publicity("04080") == open311.SUMMARY  # a local extension follows its major class
    for code in ("05001", "06001", "06002", "08001", "10080", "99001", None):
        assert open311.publicity(code) is None


def test_service_list_says_which_are_not_public(world):
    svc = {s["service_code"]: s for s in Client().get("/open311/v2/services.json").json()}
    assert "不公开" in svc["06001"]["description"] and "不公开" not in svc["02003"]["description"]


# ----------------------------------------------------------------- bad input (item 7)


@pytest.fixture
def api_key(db):
    out = io.StringIO()
    call_command("open311_key", "probe", stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def _post(place, api_key, **kw):
    data = {"api_key": api_key, "service_code": "02003", "lat": place.lat, "long": place.lon, "description": "路灯不亮"}
    data.update(kw)
    return Client().post("/open311/v2/requests.json", data)


def test_idempotency_key_longer_than_its_column_is_400(world, place, api_key):
    r = _post(place, api_key, idempotency_key="k" * 150)
    assert r.status_code == 400 and "idempotency_key" in r.json()[0]["description"]
    r = Client().post(
        "/open311/v2/requests.json",
        {"api_key": api_key, "service_code": "02003", "lat": place.lat, "long": place.lon, "description": "路灯不亮"},
        headers={"Idempotency-Key": "k" * 150},
    )
    assert r.status_code == 400
    assert ServiceRequest.objects.count() == 0
    assert _post(place, api_key, idempotency_key="k" * open311.MAX_KEY).status_code == 201


@pytest.mark.parametrize(
    "value",
    [
        "2026-02-30T00:00:00",
        "2026-13-01T00:00:00Z",
        "tomorrow",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
    ],
)
def test_invalid_start_or_end_date_is_400(world, value):
    for name in ("start_date", "end_date"):
        for fmt in ("json", "xml"):
            r = Client().get(f"/open311/v2/requests.{fmt}", {name: value})
            assert r.status_code == 400, (name, value, fmt)


@pytest.mark.parametrize(
    "field", ["description", "first_name", "phone", "address_string", "service_code", "idempotency_key"]
)
def test_nul_in_a_field_is_400_and_nothing_written(world, place, api_key, field):
    value = {"service_code": "02\x003", "phone": "139\x0012345678"}.get(field, "路灯\x00不亮")
    r = _post(place, api_key, **{field: value})
    assert r.status_code == 400 and ServiceRequest.objects.count() == 0


@pytest.mark.parametrize("param", ["service_code", "status", "service_request_id", "start_date"])
def test_nul_in_a_query_parameter_is_400(world, param):
    r = Client().get("/open311/v2/requests.json", {param: "a\x00b"})
    assert r.status_code == 400 and int(r.json()[0]["code"]) == 400


def test_non_finite_coordinates_are_400(world, place, api_key):
    for lat in ("nan", "inf", "-inf"):
        assert _post(place, api_key, lat=lat).status_code == 400
    assert ServiceRequest.objects.count() == 0


def test_a_control_character_from_another_channel_keeps_requests_xml_parseable(world, place):
    """Whatever is stored (here a description with control characters, as another channel accepted
    them before input was checked centrally), the XML written is well-formed."""
    req, _ = services.submit(SYSTEM, description="路灯不亮 闪烁", category="02003", lon=place.lon, lat=place.lat)
    ServiceRequest.objects.filter(pk=req.pk).update(description="路灯不亮\x01\x1b[31m 闪烁")
    for path in ("/open311/v2/requests.xml", f"/open311/v2/requests/{req.number}.xml"):
        r = Client().get(path)
        assert r.status_code == 200
        root = ET.fromstring(r.content)  # raises on an unparseable document
        assert root.find("request/description").text.startswith("路灯不亮")
