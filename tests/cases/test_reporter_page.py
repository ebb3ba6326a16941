"""Issue 19 item 4: the reporter sees a resident's page (what was done, by whom, by when, and three
clear choices), nothing of the staff form; their rating is recorded as theirs, never as the system."""

from __future__ import annotations

import pytest

from gongzhi.cases import services
from gongzhi.cases.models import State, Transition
from gongzhi.core.actors import SYSTEM

STAFF_FIELDS = ("指定承办单位编码", "合并到诉求编号", 'name="unit"', 'name="into"')


@pytest.fixture
def resolved(submit, world):
    from gongzhi.org.models import Unit

    req = submit()
    unit = Unit.objects.get(code=f"{world.street_a.code}-GOV")
    if req.state != State.DISPATCHED:
        services.dispatch(SYSTEM, req, unit=unit.code, reason="测试")
    services.start(SYSTEM, req)
    services.resolve(SYSTEM, req, resolution="已清运")
    req.refresh_from_db()
    return req


def test_reporter_page_shows_what_was_done_and_no_staff_form(client, resolved):
    resp = client.get(f"/requests/r/{resolved.number}/?token={resolved.token}")
    assert resp.status_code == 200
    assert resp.templates[0].name == "cases/reporter.html"
    html = resp.content.decode()
    assert "已清运" in html and 'id="rate-form"' in html and 'id="reopen-form"' in html
    for f in STAFF_FIELDS:
        assert f not in html
    # "was the problem solved?" is asked, never answered in advance
    assert 'name="fixed" value="1" required checked' not in html and "checked" not in html


def test_rating_needs_both_answers_and_changes_nothing_until_then(client, resolved):
    url = f"/requests/r/{resolved.number}/"
    resp = client.post(
        url, {"token": resolved.token, "action": "confirm", "rating": "satisfied", "expected_version": resolved.version}
    )
    assert resp.status_code == 400 and "请选择问题是否解决" in resp.content.decode()
    resolved.refresh_from_db()
    assert resolved.state == State.RESOLVED and not resolved.rating


def test_anonymous_reporters_rating_is_recorded_as_the_reporters(client, resolved):
    url = f"/requests/r/{resolved.number}/"
    resp = client.post(
        url,
        {
            "token": resolved.token,
            "action": "confirm",
            "rating": "satisfied",
            "fixed": "1",
            "expected_version": resolved.version,
        },
    )
    assert resp.status_code == 302
    t = Transition.objects.filter(request=resolved, action="confirm").get()
    assert t.actor_label == "反映人" and t.actor is None


def test_logged_in_reporter_rates_as_themselves(client, world, place):
    from django.contrib.auth import get_user_model

    from gongzhi.org.models import Unit

    resident = get_user_model().objects.create_user("t_res", password="pw", first_name="李四")
    req, _ = services.submit(
        SYSTEM, description="路灯不亮", category="01001", lon=place.lon, lat=place.lat, reporter_user=resident
    )
    req.refresh_from_db()
    if req.state != State.DISPATCHED:
        services.dispatch(SYSTEM, req, unit=Unit.objects.get(code=f"{world.street_a.code}-GOV").code, reason="测试")
    services.start(SYSTEM, req)
    services.resolve(SYSTEM, req, resolution="已修复")
    req.refresh_from_db()
    client.force_login(resident)
    resp = client.get(f"/requests/r/{req.number}/")
    assert resp.templates[0].name == "cases/reporter.html"
    resp = client.post(
        f"/requests/r/{req.number}/",
        {"action": "reopen", "reason": "晚上还是不亮", "expected_version": req.version},
    )
    assert resp.status_code == 302
    t = Transition.objects.filter(request=req, action="reopen").get()
    assert t.actor_label == "李四" and t.actor == resident


def test_withdraw_a_request_not_yet_dispatched(client, submit):
    req = submit(category="", auto_route=False)
    assert req.state in (State.SUBMITTED, State.ACCEPTED)
    resp = client.get(f"/requests/r/{req.number}/?token={req.token}")
    assert 'id="withdraw-form"' in resp.content.decode() and 'id="rate-form"' not in resp.content.decode()
    client.post(f"/requests/r/{req.number}/", {"token": req.token, "action": "cancel", "expected_version": req.version})
    req.refresh_from_db()
    assert req.state == State.CANCELLED
    assert Transition.objects.get(request=req, action="cancel").actor_label == "反映人"


def test_staff_still_see_the_handling_form(client, users, resolved):
    client.force_login(users["street_cadre"])
    resp = client.get(f"/requests/r/{resolved.number}/")
    assert resp.templates[0].name == "cases/detail.html"
