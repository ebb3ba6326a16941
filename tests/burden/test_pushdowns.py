"""The burden meter shows the matters pushed down per street (issue 20, item 2; seed 002: 防止向基层增加负担、
转嫁责任): the street view, the API and the report field source."""

from __future__ import annotations

import datetime as dt

from gongzhi.burden import meter, sources
from tests.cases.pushdown_helpers import push_down


def test_street_view_counts_push_downs_per_street(bworld):
    w = bworld
    push_down(w, w.users)
    push_down(w, w.users, consent=False)  # pending: shown, not counted as pushed down
    start, end = meter.parse_period(f"{w.today:%Y-%m}")
    view = meter.street_view(w.district, start, end)
    assert view["total"]["pushdowns"] == 1
    row = view["pushdowns"][0]
    assert row["code"] == w.street_a.code and row["took_effect"] == 1 and row["pending"] == 1 and row["asked"] == 2
    assert {r["code"]: r["asked"] for r in view["pushdowns"]}.get(w.street_b.code) == 0
    assert meter.street_view(w.street_b, start, end)["total"]["pushdowns"] == 0
    # a report field reads the same records
    assert sources.compute_field("cases.pushdowns", w.street_a, start, end) == 1
    assert sources.compute_field("cases.pushdowns", w.street_b, start, end) == 0


def test_meter_page_and_api_show_the_push_downs(bworld, client):
    w = bworld
    push_down(w, w.users)
    client.force_login(w.users["street_cadre"])
    page = client.get(f"/burden/?street={w.street_a.code}").content.decode()
    assert 'id="street-pushdowns">1<' in page and "向基层下派" in page
    data = client.get(f"/api/v1/burden/regions/{w.street_a.code}").json()
    assert data["pushdowns"][0]["took_effect"] == 1
    last_month = (w.today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    assert (
        client.get(f"/api/v1/burden/regions/{w.street_a.code}?month={last_month}").json()["pushdowns"][0]["took_effect"]
        == 0
    )
