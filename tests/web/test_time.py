"""One time zone (issue 19 item 7): pages show times in the district's zone (settings.TIME_ZONE,
Asia/Shanghai) as ``YYYY-MM-DD HH:MM`` through ``gongzhi_time``'s ``when``; the API keeps ISO 8601
with the offset."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import timezone

from gongzhi.web.templatetags.gongzhi_time import when, when_iso

INSTANT = dt.datetime(2026, 12, 6, 20, 27, tzinfo=dt.UTC)  # 2026-12-07 04:27 in Asia/Shanghai


def test_when_shows_the_district_zone():
    assert when(INSTANT) == "2026-12-07 04:27"
    assert when("2026-12-06T20:27:00+00:00") == "2026-12-07 04:27"
    assert when("2026-12-06T20:27:00.123456Z") == "2026-12-07 04:27"
    assert when("2026-12-07T04:27:00+08:00") == "2026-12-07 04:27"
    assert when(dt.datetime(2026, 12, 7, 4, 27)) == "2026-12-07 04:27"  # naive: the district's wall time
    assert when(dt.date(2026, 12, 7)) == "2026-12-07"
    assert when("2026-12-07") == "2026-12-07"
    assert when(None) == "" and when("") == "" and when("soon") == "soon"
    assert when_iso(INSTANT) == "2026-12-07T04:27:00+08:00"
    assert when_iso("2026-12-06T20:27:00+00:00") == "2026-12-07T04:27:00+08:00"
    assert when_iso(None) == ""


def test_when_follows_settings_time_zone():
    with override_settings(TIME_ZONE="Europe/Berlin"), timezone.override("Europe/Berlin"):
        assert when(INSTANT) == "2026-12-06 21:27"


def test_the_template_filter():
    out = Template("{% load gongzhi_time %}{{ t|when }}|{{ t|when_iso }}|{{ none|when|default:'—' }}").render(
        Context({"t": INSTANT, "none": None})
    )
    assert out == "2026-12-07 04:27|2026-12-07T04:27:00+08:00|—"


@pytest.fixture
def request_with_known_time(world):
    from gongzhi.cases import services
    from gongzhi.cases.models import Transition
    from gongzhi.core.actors import SYSTEM
    from gongzhi.org.models import Grid

    g = Grid.objects.filter(region=world.comm_a).order_by("code").first()
    req, _ = services.submit(
        SYSTEM, description="小区门口垃圾堆放多日无人清运", category="01001", lon=g.centroid_lon, lat=g.centroid_lat
    )
    Transition.objects.filter(request=req).update(at=INSTANT)
    return req


def test_request_history_in_the_district_zone(client, users, request_with_known_time):
    client.force_login(users["district_admin"])
    r = client.get(f"/requests/r/{request_with_known_time.number}/")
    assert r.status_code == 200
    timeline = r.content.decode().split('id="timeline"')[1].split("</ol>")[0]
    assert '<time datetime="2026-12-07T04:27:00+08:00">2026-12-07 04:27</time>' in timeline
    assert "20:27" not in timeline


def test_api_times_are_iso_8601_with_an_offset(client, users, request_with_known_time):
    client.force_login(users["district_admin"])
    r = client.get(f"/api/v1/cases/requests/{request_with_known_time.number}")
    assert r.status_code == 200
    body = r.json()
    for text in [body["created_at"], *(t["at"] for t in body["timeline"])]:
        parsed = dt.datetime.fromisoformat(text)
        assert parsed.tzinfo is not None, text
    assert dt.datetime.fromisoformat(body["timeline"][0]["at"]) == INSTANT
