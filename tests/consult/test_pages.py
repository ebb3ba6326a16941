"""Consult pages: topic list by region, topic page with phases, htmx statement voting in priority
order, moderation, results page, CSV export, formal vote pages."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from gongzhi.consult import services, votes
from gongzhi.consult.models import FormalVote, Statement, StatementVote
from gongzhi.org.models import Person


def phases(now=None):
    now = now or timezone.now()
    return [
        {
            "kind": "collect",
            "starts_at": now - dt.timedelta(days=1),
            "ends_at": now + dt.timedelta(days=5),
            "rules": "实名参与，观点须与议题相关",
        },
        {"kind": "vote", "starts_at": now + dt.timedelta(days=5), "ends_at": now + dt.timedelta(days=8)},
    ]


@pytest.fixture
def topic(world, users):
    t = services.create_topic(
        title="小区停车怎么管",
        scope="community",
        region=world.comm_a,
        phases=phases(),
        proposed_by=users["community_cadre"],
    )
    for text in ["划定夜间临时停车位", "收取停车管理费用于维护", "禁止外来车辆进入小区"]:
        st = services.submit_statement(t, users["community_cadre"], text)
        services.moderate_statement(st, users["community_cadre"], accept=True)
    return t


@pytest.fixture
def resident(world):
    user = get_user_model().objects.create_user("t_resident", password="pw-resident")
    person = (
        Person.objects.filter(region=world.comm_a, is_mobile=False).exclude(id_number="").order_by("birth_date").first()
    )
    person.user = user
    person.save()
    return user


def test_topic_list_is_scoped(client, topic, users, resident):
    client.force_login(users["community_cadre"])
    assert "小区停车怎么管" in client.get("/consult/").content.decode()
    client.force_login(users["other_street_cadre"])
    assert "小区停车怎么管" not in client.get("/consult/").content.decode()
    assert client.get(f"/consult/topics/{topic.pk}/").status_code == 404
    client.force_login(resident)  # a resident of the community sees its topics
    assert "小区停车怎么管" in client.get("/consult/").content.decode()


def test_topic_page_shows_phases_and_rules(client, topic, users):
    client.force_login(users["street_cadre"])
    html = client.get(f"/consult/topics/{topic.pk}/").content.decode()
    assert "征集" in html and "表决" in html and "实名参与，观点须与议题相关" in html
    assert f'hx-post="/consult/topics/{topic.pk}/card/"' in html


def test_statement_voting_follows_priority_and_refuses_bad_values(client, topic, resident):
    client.force_login(resident)
    first = services.next_statement(topic, resident)
    html = client.get(f"/consult/topics/{topic.pk}/").content.decode()
    assert f'data-statement="{first.pk}"' in html
    r = client.post(f"/consult/topics/{topic.pk}/card/", {"statement": first.pk, "value": "1"})
    assert r.status_code == 200
    assert StatementVote.objects.get(voter=resident).statement == first
    nxt = services.next_statement(topic, resident)
    assert f'data-statement="{nxt.pk}"' in r.content.decode()
    r = client.post(f"/consult/topics/{topic.pk}/card/", {"statement": nxt.pk, "value": "7"})
    assert "表态只能是赞同(1)、反对(-1)或跳过(0)" in r.content.decode()
    for _ in range(3):
        st = services.next_statement(topic, resident)
        if st is None:
            break
        r = client.post(f"/consult/topics/{topic.pk}/card/", {"statement": st.pk, "value": "0"})
    assert 'id="all-done"' in r.content.decode()


def test_writing_a_statement_and_moderation_queue(client, topic, users, resident):
    client.force_login(resident)
    r = client.post(f"/consult/topics/{topic.pk}/", {"text": "好"})
    assert "观点至少" in r.content.decode()
    r = client.post(f"/consult/topics/{topic.pk}/", {"text": "增设充电桩车位"})
    assert r.status_code == 302
    st = Statement.objects.get(text="增设充电桩车位")
    assert client.get(f"/consult/topics/{topic.pk}/moderate/").status_code == 404  # residents don't moderate
    client.force_login(users["community_cadre"])
    r = client.post(f"/consult/topics/{topic.pk}/moderate/", {"statement": st.pk, "accept": "0", "reason": ""})
    assert "不采纳观点须说明理由" in r.content.decode()
    r = client.post(f"/consult/topics/{topic.pk}/moderate/", {"statement": st.pk, "accept": "0", "reason": "重复"})
    st.refresh_from_db()
    assert st.status == "rejected" and st.moderation_reason == "重复"


def _populate(topic, n=30, seed=1):
    import numpy as np

    rng = np.random.default_rng(seed)
    sts = list(topic.statements.filter(status="accepted"))
    User = get_user_model()
    for i in range(n):
        u = User.objects.create_user(f"p{i}")
        for j, st in enumerate(sts):
            v = 1 if (j == 0 or (i % 2) == (j % 2)) else -1
            if rng.random() < 0.1:
                v = 0
            services.cast_vote(st, u, v)


def test_results_page_and_export(client, topic, users):
    for text in ["夜间巡逻", "增设监控", "错峰停车", "共享车位"]:
        st = services.submit_statement(topic, users["street_cadre"], text)
        services.moderate_statement(st, users["street_cadre"], accept=True)
    _populate(topic)
    client.force_login(users["community_cadre"])
    html = client.get(f"/consult/topics/{topic.pk}/results/").content.decode()
    assert html.index("common-ground") < html.index("opinion-map")  # the 最大公约数 list first
    points = json.loads(re.search(r'id="points-data"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert len(points) == 30 and {p["group"] for p in points} >= {0, 1}
    assert "划定夜间临时停车位" in html.split('id="common-ground"')[1].split("</section>")[0]
    live = html.split('id="live"')[1].split("</p>")[0]
    assert "尚未开始实时更新" in live  # the job has not run yet: the groups are computed on the spot
    from datetime import timedelta

    from django.utils import timezone

    services.update_live_analysis(topic, now=timezone.now() + timedelta(minutes=1))
    html = client.get(f"/consult/topics/{topic.pk}/results/").content.decode()
    assert "已更新 1 次" in html.split('id="live"')[1].split("</p>")[0]  # all votes came in one burst
    r = client.get(f"/consult/topics/{topic.pk}/export/votes.csv")
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert rows[0] == ["timestamp", "datetime", "comment-id", "voter-id", "vote"] and len(rows) == 1 + 30 * 7
    assert client.get(f"/consult/topics/{topic.pk}/export/secret.csv").status_code == 404


def test_results_page_too_small(client, topic, users):
    client.force_login(users["community_cadre"])
    html = client.get(f"/consult/topics/{topic.pk}/results/").content.decode()
    assert 'id="too-small"' in html


def test_formal_vote_pages(client, world, users, resident):
    client.force_login(users["community_cadre"])
    r = client.post(
        "/consult/votes/new/",
        {
            "title": "电梯加装方案",
            "region": world.comm_a.pk,
            "electorate": "residents",
            "method": "single",
            "preset": "simple_majority",
            "options": "同意\n不同意",
            "hours": 2,
            "unit": "",
        },
    )
    assert r.status_code == 302
    vote = FormalVote.objects.get(title="电梯加装方案")
    yes = vote.options.get(label="同意").pk
    # officer enters an in-person ballot by id number
    other = vote.electors.exclude(person=resident.person).first().person
    r = client.post(f"/consult/votes/{vote.pk}/", {"officer": "1", "id_number": other.id_number, "choice": yes})
    assert r.status_code == 200 and 'id="receipt-code"' in r.content.decode()  # the receipt, shown once
    r = client.post(f"/consult/votes/{vote.pk}/", {"officer": "1", "id_number": other.id_number, "choice": yes})
    assert "已经投过票" in r.content.decode()
    client.force_login(resident)
    r = client.post(f"/consult/votes/{vote.pk}/", {"choice": yes})
    assert r.status_code == 200 and 'id="receipt-code"' in r.content.decode()
    html = client.get(f"/consult/votes/{vote.pk}/").content.decode()
    assert 'id="turnout">2<' in html and 'id="result"' not in html  # hidden until close
    assert 'id="officer-ballot"' not in html  # residents are not officers
    FormalVote.objects.filter(pk=vote.pk).update(
        opens_at=timezone.now() - dt.timedelta(hours=3), closes_at=timezone.now() - dt.timedelta(minutes=1)
    )
    html = client.get(f"/consult/votes/{vote.pk}/").content.decode()
    assert 'id="result"' in html and "同意：2 票" in html and 'id="unpublished"' in html
    assert FormalVote.objects.get(pk=vote.pk).status == "open"  # a GET writes nothing; the job tallies
    r = client.post(f"/consult/votes/{vote.pk}/", {"choice": yes})
    assert FormalVote.objects.get(pk=vote.pk).result is None  # refused: time is up
    assert votes.close_due() == [vote.pk]
    assert FormalVote.objects.get(pk=vote.pk).result["present"] == 2
    html = client.get(f"/consult/votes/{vote.pk}/").content.decode()
    assert "同意：2 票" in html and 'id="unpublished"' not in html


def test_formal_vote_form_errors(client, world, users):
    client.force_login(users["community_cadre"])
    r = client.post(
        "/consult/votes/new/",
        {
            "title": "x",
            "region": world.comm_a.pk,
            "electorate": "branch",
            "method": "single",
            "preset": "two_thirds",
            "options": "a\nb",
            "hours": 2,
            "unit": "",
        },
    )
    assert "党支部表决须指明党组织" in r.content.decode()
    client.force_login(users["auditor"])
    assert client.get("/consult/votes/new/").status_code == 404


def test_demo_data(world, client, users):
    from gongzhi.consult import demo

    counts = demo.generate(seed=3, scale="tiny", progress=lambda *a: None)
    assert counts["consult_topics"] == 3 and counts["formal_votes"] == 1
    vote = FormalVote.objects.get()
    assert vote.status == "tallied" and vote.result["present"] == counts["formal_ballots"]
    assert vote.result["quorum_met"] and vote.minutes
    topic = vote.topic
    data = services.results_data(services.Topic.objects.exclude(pk=topic.pk).first())
    assert data["n_groups"] >= 2 and data["common_ground"]
    assert len(data["participation"]) > 1
    # The demo runs the live analysis as the scheduled job would: one update per burst (the demo
    # gives each chunk of votes one time).
    shown = services.Topic.objects.exclude(pk=topic.pk).first()
    times = set(StatementVote.objects.filter(statement__topic=shown).values_list("created_at", flat=True))
    assert data["live"]["updates"] == len(times) > 1 and data["live"]["votes_pending"] == 0


def test_raise_topic_page_and_page_permissions(client, world, users, topic):
    client.force_login(users["community_cadre"])
    r = client.post(
        "/consult/topics/new/",
        {
            "title": "楼道堆物清理",
            "region": world.comm_a.pk,
            "collect_days": 5,
            "deliberate_days": 0,
            "vote_days": 2,
            "publish_days": 3,
            "rules": "实名",
        },
    )
    assert r.status_code == 302
    t = services.Topic.objects.get(title="楼道堆物清理")
    assert [p.kind for p in t.phases.order_by("starts_at")] == ["collect", "vote", "publish"]
    r = client.post(
        "/consult/topics/new/",
        {
            "title": "x",
            "region": world.comm_b.pk,
            "collect_days": 5,
            "deliberate_days": 0,
            "vote_days": 0,
            "publish_days": 0,
        },
    )
    assert r.status_code == 200  # a community outside the scope is not a valid choice
    assert not services.Topic.objects.filter(region=world.comm_b).exists()
    # auditors see results but cannot moderate or raise topics
    client.force_login(users["auditor"])
    assert client.get(f"/consult/topics/{topic.pk}/results/").status_code == 200
    assert client.get(f"/consult/topics/{topic.pk}/moderate/").status_code == 404
    assert client.get("/consult/topics/new/").status_code == 404
