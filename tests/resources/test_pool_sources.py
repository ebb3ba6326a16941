"""Needs reach the common pool from other modules (issue 7): request dispatch and emergency bypass
events from ``gongzhi.cases``, agreed alliance need lists, and the incident desk's
``raise_emergency_need``. Delivery is at least once: each source makes exactly one need."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from gongzhi.core.actors import SYSTEM
from gongzhi.core.events import dispatch_pending, emit
from gongzhi.org.models import Grid, Unit
from gongzhi.resources import services as S
from gongzhi.resources import subscribers as SUB
from gongzhi.resources.models import Assignment, PoolNeed, PoolResource, Priority, Source

NAMES = [SUB.ALLIANCE_SUBSCRIBER, SUB.CASES_SUBSCRIBER]


def deliver(twice: bool = True) -> None:
    """Deliver pending events to the pool's subscribers; with ``twice`` forget the deliveries and
    deliver every event again (as after a crash before the delivery was recorded)."""
    dispatch_pending(NAMES)
    if twice:
        dispatch_pending(NAMES, rescan=True)


@pytest.fixture(autouse=True)
def _synchronous_classifier(monkeypatch):
    from gongzhi.cases import classify, routing
    from gongzhi.cases import services as cases

    routing.clear()
    monkeypatch.setattr(classify, "BACKGROUND", False)
    monkeypatch.setattr(cases.intake, "SUGGEST_TIMEOUT_S", None)


@pytest.fixture
def place(world):
    g = Grid.objects.filter(region=world.comm_a).select_related("region").order_by("code").first()
    return type("Place", (), {"grid": g, "lon": g.centroid_lon, "lat": g.centroid_lat})()


def submit(place, category, **kw):
    from gongzhi.cases import services as cases

    req, _ = cases.submit(
        SYSTEM, description="独居老人需要上门助餐和照护", category=category, lon=place.lon, lat=place.lat, **kw
    )
    req.refresh_from_db()
    return req


def test_dispatched_livelihood_request_makes_one_need(place):
    req = submit(place, "06002")
    assert req.state == "dispatched"
    other = submit(place, "05001")  # 噪音扰民: no resources needed
    deliver()
    need = PoolNeed.objects.get(source=Source.REQUEST)
    assert need.source_ref == f"request:{req.number}"
    assert need.priority == Priority.BASIC and need.kind == "person" and need.quantity == 1
    assert (need.lon, need.lat, need.region_id) == (req.lon, req.lat, req.region_id)
    assert need.deadline == req.due_at
    assert not PoolNeed.objects.filter(source_ref=f"request:{other.number}").exists()


def test_closing_a_request_cancels_its_unserved_need(place):
    from gongzhi.cases import services as cases

    req = submit(place, "07001")  # 消防通道堵塞: an emergency
    deliver()
    need = PoolNeed.objects.get(source_ref=f"request:{req.number}")
    assert need.priority == Priority.EMERGENCY and need.status == PoolNeed.Status.OPEN
    cases.resolve(SYSTEM, req, resolution="已清理通道")
    cases.close(SYSTEM, req, reason="办结")
    deliver()
    need.refresh_from_db()
    assert need.status == PoolNeed.Status.CANCELLED and need.closed_at is not None
    assert PoolNeed.objects.filter(source=Source.REQUEST).count() == 1


def test_a_served_need_is_not_cancelled_with_its_request(place, world):
    req = submit(place, "06001")  # 低保救助: funds
    deliver()
    need = PoolNeed.objects.get(source_ref=f"request:{req.number}")
    assert need.kind == "funds"
    owner = Unit.objects.filter(region=world.comm_a).order_by("code").first()
    res = PoolResource.objects.create(
        name="救助金", owner=owner, kind="funds", quantity=1, lon=place.lon, lat=place.lat, region=place.grid.region
    )
    Assignment.objects.create(need=need, resource=res, quantity=1, status=Assignment.Status.ACCEPTED)
    with transaction.atomic():  # events emitted by hand, in the shape cases.services documents
        emit(
            "cases.request.cancel",
            aggregate_type="service_request",
            aggregate_id=req.number,
            payload={
                "number": req.number,
                "action": "cancel",
                "category": "06001",
                "grid": place.grid.code,
                "state": "cancelled",
                "region": place.grid.region.code,
                "unit": None,
                "from_state": "dispatched",
                "to_state": "cancelled",
                "reason": "",
                "followers": [],
            },
        )
    deliver()
    need.refresh_from_db()
    assert need.status == PoolNeed.Status.OPEN  # something is committed: the pool keeps it


def test_hand_emitted_request_events_without_a_request_row(place):
    payload = {
        "number": "X2026000001",
        "category": "03001",
        "grid": place.grid.code,
        "region": "x",
        "state": "dispatched",
        "unit": None,
        "from_state": "received",
        "to_state": "dispatched",
        "reason": "",
        "followers": [],
    }
    for _ in range(2):  # the same transition reported twice
        with transaction.atomic():
            emit(
                "cases.request.dispatch",
                aggregate_type="service_request",
                aggregate_id=payload["number"],
                payload={**payload, "action": "dispatch"},
            )
    deliver()
    need = PoolNeed.objects.get(source=Source.REQUEST)
    assert (need.lon, need.lat) == (place.grid.centroid_lon, place.grid.centroid_lat)
    assert need.priority == Priority.EMERGENCY and need.kind == "material"
    with transaction.atomic():
        emit(
            "cases.request.cancel",
            aggregate_type="service_request",
            aggregate_id=payload["number"],
            payload={**payload, "action": "cancel"},
        )
    deliver()
    need.refresh_from_db()
    assert need.status == PoolNeed.Status.CANCELLED


def test_emergency_bypass_makes_one_emergency_need(place, users):
    from gongzhi.cases import services as cases

    b = cases.start_bypass(
        users["grid_worker"], category="03003", summary="燃气泄漏，已疏散并关阀", grid=place.grid.code
    )
    deliver()
    need = PoolNeed.objects.get(source=Source.EMERGENCY)
    assert need.source_ref == f"bypass:{b.pk}" and need.priority == Priority.EMERGENCY
    assert need.region == place.grid.region
    # filing the bypass afterwards dispatches a request: no second need for the same incident
    req = cases.file_bypass(users["grid_worker"], b.pk, description="3号楼燃气泄漏", resolution="关阀疏散")
    deliver()
    assert PoolNeed.objects.count() == 1
    cases.close(SYSTEM, req, reason="已备案")
    deliver()
    need.refresh_from_db()
    assert need.status == PoolNeed.Status.CANCELLED


def test_raise_emergency_need_once_per_incident(place):
    a = S.raise_emergency_need(
        SYSTEM, incident_ref="INC-7", title="转移安置", kind="vehicle", quantity=3, lon=place.lon, lat=place.lat
    )
    b = S.raise_emergency_need(
        SYSTEM, incident_ref="INC-7", title="转移安置", kind="vehicle", quantity=3, lon=place.lon, lat=place.lat
    )
    assert a.pk == b.pk and a.priority == Priority.EMERGENCY and a.source == Source.EMERGENCY
    assert PoolNeed.objects.count() == 1
    from gongzhi.core.errors import DomainError

    with pytest.raises(DomainError):
        S.raise_emergency_need(SYSTEM, incident_ref="INC-8", title="", kind="vehicle", lon=place.lon, lat=place.lat)
    assert PoolNeed.objects.count() == 1


def test_agreed_alliance_need_list_reaches_the_pool(world):
    from gongzhi.alliances import services as AS

    a_, comm = world.street_a, world.comm_a
    lead = Unit.objects.filter(region=comm, kind="party_community").first()
    school = Unit.objects.get(region=a_, kind="school")
    prop = Unit.objects.filter(region=comm, kind="property_company").first()
    firm = Unit.objects.filter(region=a_, kind__startswith="enterprise").order_by("code").first()
    on = dt.date(2025, 1, 6)
    al = AS.apply_alliance(
        lead_unit=lead,
        kind="cross_domain",
        name="社区共建联合体",
        purpose="共建共治",
        members=[school, prop, firm],
        on=on,
        actor=SYSTEM,
    )
    al = AS.decide_application(al, approve=True, on=on, actor=SYSTEM)
    ko = al.meetings.get(kind="kickoff", year=2025)
    AS.record_meeting(
        ko,
        held_on=dt.date(2025, 1, 20),
        minutes="三张清单",
        attendees=[lead, school],
        on=dt.date(2025, 1, 20),
        actor=SYSTEM,
    )
    venue = AS.add_list_item(al, year=2025, kind="need", title="四点半课堂场地", unit=school, actor=SYSTEM)
    care = AS.add_list_item(al, year=2025, kind="need", title="困难老人助餐", unit=lead, posts=2, actor=SYSTEM)
    AS.add_list_item(al, year=2025, kind="resource", title="活动室", unit=prop, actor=SYSTEM)
    AS.add_list_item(al, year=2025, kind="project", title="护学岗", unit=lead, actor=SYSTEM)
    AS.agree_lists(al, 2025, actor=SYSTEM)
    deliver()
    needs = {n.source_ref: n for n in PoolNeed.objects.filter(source=Source.ALLIANCE)}
    assert set(needs) == {f"alliance-item:{venue.pk}", f"alliance-item:{care.pk}"}
    v, c = needs[f"alliance-item:{venue.pk}"], needs[f"alliance-item:{care.pk}"]
    assert v.priority == Priority.DEVELOPMENT and v.kind == "venue" and v.quantity == 1
    assert c.priority == Priority.BASIC and c.quantity == 2  # the item says otherwise
    # the party committee has no coordinates of its own: the first grid of the lead unit's community
    g = Grid.objects.filter(region__path__startswith=lead.region.path).order_by("code").first()
    assert lead.lon is None and (v.lon, v.lat) == (g.centroid_lon, g.centroid_lat) and v.region == lead.region
    AS.agree_lists(al, 2025, actor=SYSTEM)  # agreeing again (nothing new) emits again: still one need per item
    deliver()
    assert PoolNeed.objects.filter(source=Source.ALLIANCE).count() == 2
