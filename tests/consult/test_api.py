"""Consult JSON API: topics, statements, votes on statements, formal votes and ballots."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from gongzhi.consult import services
from gongzhi.consult.models import Ballot, FormalVote, RollEntry
from gongzhi.org.models import Person


@pytest.fixture
def api(client):
    def call(method, path, user=None, data=None, headers=None):
        if user is not None:
            client.force_login(user)
        kw = {"headers": dict(headers or {})}
        if data is not None:
            kw.update(data=json.dumps(data), content_type="application/json")
        return getattr(client, method)("/api/v1/consult" + path, **kw)

    return call


@pytest.fixture
def topic(world, users):
    now = timezone.now()
    return services.create_topic(
        title="社区议事：垃圾分类",
        scope="community",
        region=world.comm_a,
        proposed_by=users["community_cadre"],
        phases=[
            {
                "kind": "collect",
                "starts_at": now - dt.timedelta(days=1),
                "ends_at": now + dt.timedelta(days=3),
                "rules": "实名参与",
            }
        ],
    )


def test_topics_statements_and_votes(api, topic, users):
    r = api("get", "/topics", users["community_cadre"])
    assert [t["title"] for t in r.json()] == ["社区议事：垃圾分类"]
    assert r.json()[0]["current_phase"] == "collect" and r.json()[0]["phases"][0]["rules"] == "实名参与"
    assert api("get", "/topics", users["other_street_cadre"]).json() == []
    assert api("get", f"/topics/{topic.pk}", users["other_street_cadre"]).status_code == 404
    r = api(
        "post",
        f"/topics/{topic.pk}/statements",
        users["grid_worker"],
        {"text": "每栋楼设分类督导员"},
        headers={"Idempotency-Key": "s1"},
    )
    assert r.status_code == 201
    sid = r.json()["id"]
    again = api(
        "post",
        f"/topics/{topic.pk}/statements",
        users["grid_worker"],
        {"text": "每栋楼设分类督导员"},
        headers={"Idempotency-Key": "s1"},
    )
    assert again.status_code == 201 and again.json()["id"] == sid
    r = api("post", f"/statements/{sid}/moderation", users["community_cadre"], {"accept": False})
    assert r.status_code == 400 and r.json()["field"] == "reason"
    r = api("post", f"/statements/{sid}/moderation", users["community_cadre"], {"accept": True})
    assert r.json()["status"] == "accepted"
    r = api("get", f"/topics/{topic.pk}/next", users["street_cadre"])
    assert r.json()["statement"]["id"] == sid
    r = api("post", f"/statements/{sid}/votes", users["street_cadre"], {"value": 2})
    assert r.status_code == 400 and r.json()["field"] == "value"
    assert api("post", f"/statements/{sid}/votes", users["street_cadre"], {"value": 1}).status_code == 201
    assert api("get", f"/topics/{topic.pk}/next", users["street_cadre"]).json()["statement"] is None
    r = api("get", f"/topics/{topic.pk}/results", users["street_cadre"])
    assert r.status_code == 200 and r.json()["too_small"]
    assert r.json()["live"] == {"updates": 0, "votes_covered": 0, "votes_pending": 1, "updated_at": None}


def test_formal_vote_api(api, world, users):
    now = timezone.now()
    body = {
        "title": "公共收益使用方案",
        "region": world.comm_a.code,
        "electorate": "residents",
        "method": "approval",
        "options": ["修缮道路", "增设路灯", "加装电梯"],
        "opens_at": (now - dt.timedelta(hours=1)).isoformat(),
        "closes_at": (now + dt.timedelta(hours=1)).isoformat(),
        "preset": "simple_majority",
    }
    assert api("post", "/votes", users["auditor"], body).status_code == 403
    r = api("post", "/votes", users["community_cadre"], body)
    assert r.status_code == 201, r.content
    vote = r.json()
    ids = [o["id"] for o in vote["options"]]
    person = Person.objects.get(pk=FormalVote.objects.get().electors.first().person_id)
    person.user = get_user_model().objects.create_user("voter")
    person.save()
    r = api("post", f"/votes/{vote['id']}/ballots", person.user, {"choices": ids[:2]})
    assert r.status_code == 201 and r.json()["channel"] == "online"
    r = api(
        "post", f"/votes/{vote['id']}/ballots", users["grid_worker"], {"choices": [ids[0]], "elector": f"p:{person.pk}"}
    )
    assert r.status_code == 409 and r.json()["code"] == "already_voted"
    r = api("post", f"/votes/{vote['id']}/ballots", users["auditor"], {"choices": [ids[0]]})
    assert r.status_code == 403 and r.json()["code"] == "read_only"  # auditors read, never vote
    r = api("post", f"/votes/{vote['id']}/ballots", users["department_staff"], {"choices": [ids[0]]})
    assert r.status_code == 403 and r.json()["code"] == "not_member"
    r = api("get", f"/votes/{vote['id']}/results", users["community_cadre"])
    assert r.status_code == 403 and r.json()["code"] == "results_hidden"
    assert api("get", f"/votes/{vote['id']}", users["community_cadre"]).json()["turnout"]["voted"] == 1
    FormalVote.objects.filter(pk=vote["id"]).update(
        closes_at=now - dt.timedelta(minutes=1), opens_at=now - dt.timedelta(hours=2)
    )
    r = api(
        "post", f"/votes/{vote['id']}/ballots", users["grid_worker"], {"choices": [ids[0]], "elector": f"p:{person.pk}"}
    )
    assert r.status_code == 400 and r.json()["code"] == "closed"
    r = api("get", f"/votes/{vote['id']}/results", users["community_cadre"])
    assert r.status_code == 200 and r.json()["result"]["present"] == 1
    assert Ballot.objects.count() == RollEntry.objects.count() == 1
