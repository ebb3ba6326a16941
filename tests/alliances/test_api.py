"""The JSON API: apply → approve → join beyond the cap → record a meeting → points with drill-down."""

import datetime as dt

import pytest

from gongzhi.alliances import rating as RT
from gongzhi.alliances.models import Alliance
from gongzhi.core.actors import SYSTEM

from .conftest import found


@pytest.fixture
def api(client, users):
    def call(method, path, user="street_cadre", key=None, **body):
        client.force_login(users[user])
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        fn = getattr(client, method)
        if method == "get":
            return fn("/api/v1/alliances" + path, body, **headers)
        return fn("/api/v1/alliances" + path, body, content_type="application/json", **headers)

    return call


def test_apply_and_decide(units, api):
    body = {
        "lead_unit": units.comm_party.code,
        "kind": "cross_domain",
        "name": "API联合体",
        "purpose": "p",
        "members": [units.school.code],
    }
    r = api("post", "", user="community_cadre", key="k1", **body)
    assert r.status_code == 201, r.content
    r2 = api("post", "", user="community_cadre", key="k1", **body)
    assert r2.json() == r.json() and Alliance.objects.count() == 1
    code = r.json()["code"]
    r = api("post", f"/{code}/decision", user="community_cadre", approve=True)
    assert r.status_code == 403
    r = api("post", f"/{code}/decision", approve=True, approver_unit=units.comm_party.code)
    assert r.status_code == 400 and r.json()["code"] == "approver_level"
    r = api("post", f"/{code}/decision", approve=True)
    assert r.status_code == 200 and r.json()["status"] == "established" and len(r.json()["members"]) == 2
    r = api("get", f"/{code}/compliance", year=dt.date.today().year)
    assert r.json()["counts"]["required"] >= 1
    assert api("get", f"/{code}", user="other_street_cadre").status_code == 404


def test_cap_refusal_over_api_names_alliances(units, api):
    alls = [
        found(lead, [units.school], name=f"联合体{i}")
        for i, lead in enumerate([units.hospital, units.firms[0], units.firms[1]])
    ]
    r = api("post", f"/{alls[0].code}/members", unit=units.property.code)
    assert r.status_code == 201
    r = api("post", f"/{alls[0].code}/members", unit=units.school.code)
    assert r.status_code == 409  # already a member (founding)
    extra = found(units.residents, [units.property], name="第四个")
    mid = api("post", f"/{extra.code}/members", unit=units.school.code).json()["id"]
    r = api("post", f"/memberships/{mid}/decision")
    assert r.status_code == 400 and all(a.name in r.json()["detail"] for a in alls)
    r = api("post", f"/memberships/{mid}/decision", special_justification="教育专项")
    assert r.status_code == 200 and r.json()["beyond_cap"] is True


def test_meeting_and_points(units, api, alliance):
    mid = alliance.meetings.get(kind="kickoff").pk
    r = api(
        "post",
        f"/{alliance.code}/meetings/{mid}",
        held_on="2025-01-20",
        minutes="纪要",
        attendees=[units.comm_party.code, units.school.code],
    )
    assert r.status_code == 200 and r.json()["attendance"] == 2
    assert api("get", f"/{alliance.code}/points/2025/1").status_code == 404
    RT.compute_quarter(alliance, 2025, 1, actor=SYSTEM)
    r = api("get", f"/{alliance.code}/points/2025/1", unit=units.school.code)
    d = r.json()
    assert d["ruleset"] == 1 and d["drill_down"]["attendance"][0]["record_type"] == "meeting"
    assert api("get", f"/{alliance.code}/funds").json()["balance"] == "0.00"
    assert api("get", f"/{alliance.code}/ratings").json() == []
