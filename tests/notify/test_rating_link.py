"""The rating link: works once, without logging in, and expires; a wrong token is refused. The rating is
recorded as the reporter's (反映人) through cases' own service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.cases import services as cases
from gongzhi.cases.models import State, Transition
from gongzhi.core import events
from gongzhi.core.actors import SYSTEM
from gongzhi.notify import services
from gongzhi.notify.models import Message, RatingLink
from gongzhi.notify.subscribers import NAME


@pytest.fixture
def resolved(request_flow, console_file):
    req = request_flow.make()
    cases.start(SYSTEM, req)
    cases.resolve(SYSTEM, req, resolution="已清运")
    events.dispatch_pending([NAME])
    req.refresh_from_db()
    url = Message.objects.get(template="request_resolved").params["url"]
    return req, url


def test_rate_once_without_logging_in(client, resolved):
    req, url = resolved
    assert url.startswith("/notify/rate/")
    page = client.get(url)
    assert page.status_code == 200 and req.number in page.content.decode() and 'id="rate-form"' in page.content.decode()
    resp = client.post(url, {"rating": "satisfied", "fixed": "1"})
    assert resp.status_code == 200 and 'id="rate-done"' in resp.content.decode()
    req.refresh_from_db()
    assert req.state == State.CONFIRMED and req.rating == "satisfied" and req.fixed is True
    t = Transition.objects.filter(request=req, action="confirm").get()
    assert t.actor_id is None and t.actor_label == "反映人"
    assert RatingLink.objects.get(request=req).used_at is not None
    again = client.get(url)
    assert again.status_code == 410 and "已使用" in again.content.decode()
    assert client.post(url, {"rating": "unsatisfied", "fixed": "0"}).status_code == 410
    req.refresh_from_db()
    assert req.state == State.CONFIRMED and req.rating == "satisfied"


def test_not_fixed_reopens_and_the_handler_hears(client, resolved, staff):
    req, url = resolved
    assert client.post(url, {"rating": "unsatisfied", "fixed": "0", "comment": "垃圾还在"}).status_code == 200
    req.refresh_from_db()
    assert req.state == State.REOPENED
    events.dispatch_pending([NAME])
    assert Message.objects.filter(template="request_reopened", user=staff).exists()


def test_a_logged_in_staff_member_holding_the_link_rates_as_the_reporter(client, resolved, users):
    req, url = resolved
    client.force_login(users["district_admin"])
    assert client.post(url, {"rating": "basically", "fixed": "1"}).status_code == 200
    t = Transition.objects.filter(request=req, action="confirm").get()
    assert t.actor_id is None and t.actor_label == "反映人"


def test_expired_link_is_refused(client, resolved):
    req, url = resolved
    RatingLink.objects.filter(request=req).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(url).status_code == 410
    assert client.post(url, {"rating": "satisfied", "fixed": "1"}).status_code == 410
    req.refresh_from_db()
    assert req.state == State.RESOLVED


def test_wrong_or_altered_token_is_refused(client, resolved):
    req, url = resolved
    token = url.rstrip("/").rsplit("/", 1)[1]
    pk, sig = token.split(":", 1)
    for bad in ("nothing", token[:-2] + ("AA" if not token.endswith("AA") else "BB"), f"{int(pk) + 1}:{sig}"):
        resp = client.get(f"/notify/rate/{bad}/")
        assert resp.status_code == 404, bad
    assert client.post(f"/notify/rate/{token[:-1]}x/", {"rating": "satisfied", "fixed": "1"}).status_code == 404
    req.refresh_from_db()
    assert req.state == State.RESOLVED


def test_incomplete_form_changes_nothing(client, resolved):
    req, url = resolved
    resp = client.post(url, {"rating": "satisfied"})
    assert resp.status_code == 400
    req.refresh_from_db()
    assert req.state == State.RESOLVED
    assert RatingLink.objects.get(request=req).used_at is None


def test_link_expires_after_the_configured_days(resolved, settings):
    req, _url = resolved
    link = RatingLink.objects.get(request=req)
    assert link.expires_at - link.created_at == dt.timedelta(days=7)


def test_redelivered_resolve_event_keeps_one_link(resolved):
    req, url = resolved
    events.dispatch_pending([NAME], rescan=True)
    assert RatingLink.objects.filter(request=req).count() == 1
    assert Message.objects.get(template="request_resolved").params["url"] == url
    assert services.link_for_token(url.rstrip("/").rsplit("/", 1)[1]).request_id == req.pk
