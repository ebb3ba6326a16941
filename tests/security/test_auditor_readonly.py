"""The auditor reads; it does not take part (issue 17, item 6).

As found on the demo: an ``auditor`` account could vote on consultation statements. Now taking part
in a consultation — submitting a statement, taking a stance, casting a formal ballot online (for
itself as a resident, or for its unit in an alliance vote) — is refused to read-only roles in the
service (``consult.permissions.require_participant``), whichever path calls it; the pages offer the
auditor no voting card and no statement form. The matrix covers every demo role and the anonymous
visitor on the API and the pages.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from gongzhi.consult import services, votes
from gongzhi.consult.models import Statement, StatementVote
from gongzhi.core.errors import Forbidden
from gongzhi.org.models import Person

from .scope_fixtures import ROLES, client_as  # noqa: F401  (fixtures)

# Who may take part in a topic of community A: every role that can see it, except the auditor.
# The other street's cadre does not see the topic at all (404); the anonymous API caller gets 401.
EXPECTED_API = {
    "district_admin": 201,
    "street_cadre": 201,
    "community_cadre": 201,
    "grid_worker": 201,
    "department_staff": 201,
    "auditor": 403,
    "other_street_cadre": 404,
    None: 401,
}


@pytest.fixture
def topic(world, users):
    now = timezone.now()
    t = services.create_topic(
        title="小区停车怎么管",
        scope="community",
        region=world.comm_a,
        proposed_by=users["community_cadre"],
        phases=[{"kind": "collect", "starts_at": now - dt.timedelta(days=1), "ends_at": now + dt.timedelta(days=5)}],
    )
    st = services.submit_statement(t, users["community_cadre"], "划定夜间临时停车位")
    services.moderate_statement(st, users["community_cadre"], accept=True)
    return t


def _api(client, method, path, body=None):
    return getattr(client, method)(
        "/api/v1/consult" + path, json.dumps(body) if body is not None else None, content_type="application/json"
    )


@pytest.mark.parametrize("role", ROLES)
def test_stance_on_a_statement_by_role(topic, client_as, role):
    st = topic.statements.get()
    r = _api(client_as(role), "post", f"/statements/{st.pk}/votes", {"value": 1})
    assert r.status_code == EXPECTED_API[role], (role, r.content)
    assert StatementVote.objects.count() == (1 if EXPECTED_API[role] == 201 else 0)
    if role == "auditor":
        assert r.json()["code"] == "read_only"


@pytest.mark.parametrize("role", ROLES)
def test_statement_submission_by_role(topic, client_as, role):
    r = _api(client_as(role), "post", f"/topics/{topic.pk}/statements", {"text": "增加电动车充电桩"})
    assert r.status_code == EXPECTED_API[role], (role, r.content)
    assert Statement.objects.filter(text="增加电动车充电桩").exists() == (EXPECTED_API[role] == 201)


@pytest.mark.parametrize("role", ROLES)
def test_topic_page_and_card_by_role(topic, client_as, role):
    c = client_as(role)
    st = topic.statements.get()
    page = c.get(f"/consult/topics/{topic.pk}/")
    card = c.post(f"/consult/topics/{topic.pk}/card/", {"statement": st.pk, "value": "1"})
    if role is None:  # sign in first
        assert page.status_code == card.status_code == 302
    elif role == "other_street_cadre":
        assert page.status_code == card.status_code == 404
    else:
        html = page.content.decode()
        assert page.status_code == 200
        if role == "auditor":
            assert 'id="read-only"' in html and 'name="value"' not in html and 'name="text"' not in html
        else:  # the statement's author has no card left to vote on; the others have
            assert 'name="text"' in html and ('name="value"' in html or role == "community_cadre")
            assert 'id="read-only"' not in html
    assert StatementVote.objects.count() == (1 if EXPECTED_API[role] == 201 else 0)


def test_read_only_roles_refused_in_the_service(topic, users):
    st = topic.statements.get()
    with pytest.raises(Forbidden):
        services.cast_vote(st, users["auditor"], 1)
    with pytest.raises(Forbidden):
        services.submit_statement(topic, users["auditor"], "审计人员的观点")
    services.cast_vote(st, users["department_staff"], -1)  # a department takes part
    assert list(StatementVote.objects.values_list("voter__username", flat=True)) == ["t_dept"]


def test_auditor_casts_no_formal_ballot_even_as_a_resident(world, users):
    """The auditor's account linked to a resident of the community: before, it voted online as that
    resident; now the read-only account is refused (the person votes through an account of their own)."""
    person = (
        Person.objects.filter(region=world.comm_a, is_mobile=False).exclude(id_number="").order_by("birth_date").first()
    )
    person.user = users["auditor"]
    person.save()
    now = timezone.now()
    vote = votes.create_vote(
        title="是否加装电梯",
        region=world.comm_a,
        electorate="residents",
        method="single",
        options=["同意", "不同意"],
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=1),
        actor=users["community_cadre"],
    )
    with pytest.raises(Forbidden) as e:
        votes.cast_ballot(vote, [vote.options.first().pk], voter=users["auditor"])
    assert e.value.code == "read_only" and vote.roll.count() == 0
    c = Client()
    c.force_login(users["auditor"])
    r = c.post(
        f"/api/v1/consult/votes/{vote.pk}/ballots",
        json.dumps({"choices": [vote.options.first().pk]}),
        content_type="application/json",
    )
    assert r.status_code == 403 and vote.roll.count() == 0
