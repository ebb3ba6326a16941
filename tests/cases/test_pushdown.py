"""Issue 20, item 2: responsibility pushed down without power.

The rules, from the seeds:

* seed 001 (三, 第二): "破解‘权小责大’的‘小马拉大车’困境 … 制定并动态优化基层治理权责清单 … 坚决扭转‘权力上收、
  责任下移’的错配现象" — a matter goes only to a unit that holds the power it needs (the power list), and a
  unit the list does not name is chosen only with a reason;
* seed 002 (“一核多强”): "通过制定街道乡镇权力清单、责任清单，明确基层单位主体责任，防止向基层增加负担、转嫁责任" — a
  dispatch below the unit the list names (a push-down) needs the receiving unit's consent or a higher
  level's approval, is recorded, and is counted per street.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from gongzhi.cases import figures, services
from gongzhi.cases.models import PushDown, State
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.core.models import Event
from gongzhi.org import responsibility
from gongzhi.org import services as org_services
from gongzhi.org.demo import install_power_list
from gongzhi.org.models import MatterCategory, Unit


@pytest.fixture
def powers(world):
    install_power_list()
    return world


@pytest.fixture
def rc(world):
    return Unit.objects.get(region=world.comm_a, kind="residents_committee")


def _accepted(submit, category):
    req = submit(category=category, auto_route=False)
    services.accept(SYSTEM, req)
    req.refresh_from_db()
    return req


def test_gas_leak_cannot_go_to_a_residents_committee_even_with_a_reason(powers, submit, users, rc):
    """Seed 001 权小责大: 燃气泄漏 needs 燃气安全监管, which the list's 城管委 holds and a committee does not."""
    req = _accepted(submit, "03003")
    with pytest.raises(DomainError) as e:
        services.dispatch(users["street_cadre"], req, unit=rc.code, reason="社区离得近")
    assert e.value.code == "lacks_power" and e.value.field == "unit"
    assert "燃气安全监管" in e.value.message
    req.refresh_from_db()
    assert req.state == State.ACCEPTED and not PushDown.objects.exists()
    # by the list it goes to the department that holds the power
    services.dispatch(users["street_cadre"], req)
    req.refresh_from_db()
    assert req.handling_unit.code.endswith("-CGW") and req.state == State.DISPATCHED


def test_manual_dispatch_against_the_list_needs_a_reason(powers, submit, users, world):
    req = _accepted(submit, "01001")  # 暴露垃圾: the street, by the list
    other = Unit.objects.get(code=f"{world.district.code}-CGJ")  # up, to a department: not a push-down
    with pytest.raises(DomainError) as e:
        services.dispatch(users["street_cadre"], req, unit=other.code)
    assert e.value.code == "reason_required" and e.value.field == "reason"
    services.dispatch(users["street_cadre"], req, unit=other.code, reason="涉及占道，请执法局处置")
    req.refresh_from_db()
    assert req.state == State.DISPATCHED and req.handling_unit == other
    assert req.routing["listed_unit"]["code"].endswith("-GOV") and "权责清单规定由" in req.routing_reason
    assert not PushDown.objects.exists()


def test_push_down_waits_for_consent_and_is_recorded(powers, submit, users, rc, world):
    req = _accepted(submit, "01001")
    with pytest.raises(DomainError) as e:
        services.dispatch(users["street_cadre"], req, unit=rc.code)
    assert e.value.code == "reason_required"
    services.dispatch(users["street_cadre"], req, unit=rc.code, reason="社区就近组织清运")
    req.refresh_from_db()
    assert req.state == State.ACCEPTED and req.handling_unit is None  # stays with the dispatcher
    pd = PushDown.objects.get(request=req)
    assert pd.status == "pending" and pd.to_unit == rc and pd.listed_unit.code == f"{world.street_a.code}-GOV"
    assert pd.street == world.street_a
    ev = Event.objects.get(type="cases.pushdown.requested", aggregate_id=req.number)
    assert ev.public and ev.payload["to_unit"] == rc.code and ev.payload["reason"] == "社区就近组织清运"
    # while it waits, no other dispatch
    with pytest.raises(DomainError) as e:
        services.dispatch(users["street_cadre"], req)
    assert e.value.code == "pushdown_pending"
    # the street cadre cannot consent for the committee; the committee's own staff can
    with pytest.raises(Forbidden):
        services.consent_pushdown(users["street_cadre"], pd, agree=True)
    with pytest.raises(Forbidden):
        services.consent_pushdown(users["department_staff"], pd, agree=True)
    services.consent_pushdown(users["community_cadre"], pd, agree=True, note="同意，社区协调物业清运")
    pd.refresh_from_db()
    req.refresh_from_db()
    assert pd.status == "consented" and pd.decided_label == "t_comm"
    assert req.state == State.DISPATCHED and req.handling_unit == rc
    assert req.routing["pushdown"] == pd.pk and "经承办单位同意" in req.routing_reason
    decided = Event.objects.get(type="cases.pushdown.decided", aggregate_id=req.number)
    assert decided.payload["status"] == "consented" and decided.payload["decision"] == "consent"
    # counted per street, in the figure and by street
    day = timezone.localdate(pd.requested_at)  # the district's day, as the figure counts it
    import datetime as dt

    assert figures.pushdowns(world.street_a, day, day + dt.timedelta(days=1)) == 1
    assert figures.pushdowns(world.street_b, day, day + dt.timedelta(days=1)) == 0
    rows = figures.pushdowns_by_street(world.district, day, day + dt.timedelta(days=1))
    assert rows[0]["code"] == world.street_a.code and rows[0]["took_effect"] == 1 and rows[0]["asked"] == 1
    # a decided push-down cannot be decided again
    with pytest.raises(DomainError) as e:
        services.consent_pushdown(users["community_cadre"], pd, agree=False, note="x")
    assert e.value.code == "invalid_state"


def test_declined_push_down_leaves_the_request_with_the_dispatcher(powers, submit, users, rc):
    req = _accepted(submit, "01001")
    pd = services.dispatch(users["street_cadre"], req, unit=rc.code, reason="社区就近处理").pending_pushdown
    with pytest.raises(DomainError) as e:
        services.consent_pushdown(users["community_cadre"], pd, agree=False)
    assert e.value.field == "note"
    services.consent_pushdown(users["community_cadre"], pd, agree=False, note="清运属街道环卫职责，社区无清运力量")
    pd.refresh_from_db()
    req.refresh_from_db()
    assert pd.status == "declined" and req.state == State.ACCEPTED and req.handling_unit is None
    # the dispatcher now dispatches by the list
    services.dispatch(users["street_cadre"], req)
    req.refresh_from_db()
    assert req.handling_unit.kind == "government" and req.state == State.DISPATCHED


def test_higher_level_approves_or_refuses(powers, submit, users, rc, world):
    req = _accepted(submit, "01001")
    pd = services.dispatch(users["street_cadre"], req, unit=rc.code, reason="街道人手不足").pending_pushdown
    # a street cadre (not above the street) and the asker cannot approve
    with pytest.raises(Forbidden):
        services.approve_pushdown(users["other_street_cadre"], pd, approve=True)
    with pytest.raises(Forbidden):
        services.approve_pushdown(users["street_cadre"], pd, approve=True)
    services.approve_pushdown(users["district_admin"], pd, approve=True, note="同意，限本次")
    pd.refresh_from_db()
    req.refresh_from_db()
    assert pd.status == "approved" and req.handling_unit == rc and "经上级批准" in req.routing_reason

    req2 = _accepted(submit, "01001")
    pd2 = services.dispatch(users["street_cadre"], req2, unit=rc.code, reason="街道人手不足").pending_pushdown
    services.approve_pushdown(users["district_admin"], pd2, approve=False, note="属街道职责，不得下派")
    pd2.refresh_from_db()
    req2.refresh_from_db()
    assert pd2.status == "refused" and req2.state == State.ACCEPTED


def test_concurrent_decisions_one_wins(powers, submit, users, rc):
    req = _accepted(submit, "01001")
    pd = services.dispatch(users["street_cadre"], req, unit=rc.code, reason="就近").pending_pushdown
    stale = pd.version
    services.withdraw_pushdown(users["street_cadre"], pd, note="改按清单派单")
    pd.refresh_from_db()
    assert pd.status == "withdrawn"
    pd.status = "pending"  # a stale copy
    with pytest.raises(Conflict):
        services.consent_pushdown(users["community_cadre"], pd, agree=True, expected_version=stale)


def test_consent_does_not_override_a_missing_power(powers, submit, users, rc, world):
    """Refused outright: 违法建设 needs 行政执法; the committee lacks it, so no push-down is even recorded."""
    req = _accepted(submit, "08001") if MatterCategory.objects.filter(code="08001").exists() else None
    if req is None:
        pytest.skip("no 08001 in the demo categories")
    with pytest.raises(DomainError) as e:
        services.dispatch(users["street_cadre"], req, unit=rc.code, reason="社区同意接收")
    assert e.value.code == "lacks_power"
    assert not PushDown.objects.exists()


def test_power_withdrawn_meanwhile_refuses_the_handover(powers, submit, users, rc, world):
    enforcement = org_services.define_power(
        SYSTEM, code="garbage", name="垃圾清运调度", categories=[]
    )  # a new power, not yet needed
    req = _accepted(submit, "01001")
    pd = services.dispatch(users["street_cadre"], req, unit=rc.code, reason="就近").pending_pushdown
    org_services.define_power(
        SYSTEM, code="garbage", name="垃圾清运调度", categories=[MatterCategory.objects.get(code="01001")]
    )
    org_services.grant_power(
        SYSTEM, unit=Unit.objects.get(code=f"{world.street_a.code}-GOV"), power=enforcement, region=world.street_a
    )
    with pytest.raises(DomainError) as e:
        services.consent_pushdown(users["community_cadre"], pd, agree=True)
    assert e.value.code == "lacks_power"
    pd.refresh_from_db()
    assert pd.status == "pending"  # the whole decision rolled back


def test_intake_does_not_assign_a_unit_lacking_the_power(powers, submit, world):
    gas = MatterCategory.objects.get(code="03003")
    cgw = Unit.objects.get(code=f"{world.district.code}-CGW")
    grant = cgw.power_grants.get(power__code="gas_safety")
    import datetime as dt

    org_services.end_power_grant(SYSTEM, grant, effective_to=dt.date.today() - dt.timedelta(days=1))
    assert responsibility.missing_powers(cgw, gas, world.comm_a)
    req = submit(category="03003")
    assert req.state == State.SUBMITTED and req.handling_unit is None
    with pytest.raises(DomainError) as e:
        services.dispatch(SYSTEM, req)
    assert e.value.code == "lacks_power"


def test_pages_dispatch_form_inbox_and_consent(powers, submit, users, rc, world, client):
    req = _accepted(submit, "01001")
    client.force_login(users["street_cadre"])
    page = client.get(f"/requests/r/{req.number}/").content.decode()
    assert 'id="list-says"' in page and f'data-code="{world.street_a.code}-GOV"' in page
    # without a reason: the form comes back with the field marked, nothing written
    r = client.post(
        f"/requests/r/{req.number}/",
        {"action": "dispatch", "unit": rc.code, "reason": "", "expected_version": req.version},
    )
    assert r.status_code == 400 and "须说明理由" in r.content.decode()
    assert not PushDown.objects.exists()
    r = client.post(
        f"/requests/r/{req.number}/",
        {"action": "dispatch", "unit": rc.code, "reason": "社区就近处理", "expected_version": req.version},
    )
    assert r.status_code == 302
    pd = PushDown.objects.get()
    assert 'data-status="pending"' in client.get(f"/requests/r/{req.number}/").content.decode()
    # the committee's cadre sees it in the inbox and consents there
    client.force_login(users["community_cadre"])
    inbox = client.get("/requests/inbox/pushdowns/").content.decode()
    assert req.number in inbox and 'id="to-consent"' in inbox
    r = client.post(
        "/requests/inbox/pushdowns/", {"pushdown": pd.pk, "decision": "consent", "expected_version": pd.version}
    )
    assert r.status_code == 302
    pd.refresh_from_db()
    assert pd.status == "consented"
    # a stale form: conflict
    r = client.post(
        "/requests/inbox/pushdowns/", {"pushdown": pd.pk, "decision": "decline", "note": "x", "expected_version": 1}
    )
    assert r.status_code == 409


def test_api_inbox_approve_and_route(powers, submit, users, rc, world, client):
    req = _accepted(submit, "01001")
    client.force_login(users["street_cadre"])
    r = client.post(
        f"/api/v1/cases/requests/{req.number}/actions",
        {"action": "dispatch", "unit": rc.code, "reason": "就近"},
        content_type="application/json",
    )
    assert r.status_code == 200
    body = r.json()
    assert body["state"] == "accepted" and body["pushdowns"][0]["status"] == "pending"
    pid = body["pushdowns"][0]["id"]
    r = client.post(f"/api/v1/cases/pushdowns/{pid}/approve", {"agree": True}, content_type="application/json")
    assert r.status_code == 403  # not above the street
    client.force_login(users["district_admin"])
    assert client.get("/api/v1/cases/pushdowns").json()["approve"][0]["id"] == pid
    r = client.post(f"/api/v1/cases/pushdowns/{pid}/approve", {"agree": False}, content_type="application/json")
    assert r.status_code == 400 and r.json()["field"] == "note"
    r = client.post(
        f"/api/v1/cases/pushdowns/{pid}/approve", {"agree": True, "note": "同意"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "approved"
    gas = client.get(f"/api/v1/cases/route?category=03003&grid={req.grid.code}").json()
    assert gas["powers_needed"] == ["gas_safety"] and gas["powers_missing"] == []
    r = client.post(
        f"/api/v1/cases/requests/{_accepted(submit, '03003').number}/actions",
        {"action": "dispatch", "unit": rc.code, "reason": "就近"},
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["code"] == "lacks_power" and r.json()["field"] == "unit"
