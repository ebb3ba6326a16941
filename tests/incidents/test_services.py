"""Declare → desk routing through cases.services.submit → mobilisation → needs → stand-down."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.incidents import services as S
from gongzhi.incidents.models import Incident, IncidentGrid, LogEntry, Mobilisation, Notification

from .conftest import declare_a

pytestmark = pytest.mark.django_db


def submit(grid, category="02001", **kw):
    from gongzhi.cases import services as C

    req, _ = C.submit(SYSTEM, description="路面塌陷积水", category=category, grid=grid.code, **kw)
    return req


def test_request_in_area_goes_to_desk_with_emergency_sla_outside_not_after_stand_down_not(iworld):
    w = iworld
    before = submit(w.grids_a[0])
    assert before.routing["fallback"] != "override"
    inc = declare_a(w)
    assert inc.desk_unit == w.gov_a and inc.region == w.street_a and inc.status == "active"
    req = submit(w.grids_a[0])  # a general-SLA category
    assert req.handling_unit == w.gov_a and req.state == "dispatched"
    assert req.sla == "emergency" and req.routing["fallback"] == "override"
    assert (req.due_at - req.sla_started_at) == dt.timedelta(hours=2)
    assert "区域应急" in req.routing_reason and inc.code in req.routing_reason
    assert req.transitions.filter(action="dispatch", unit=w.gov_a).exists()
    # uncategorised requests are taken too
    from gongzhi.cases import services as C

    unc, _ = C.submit(SYSTEM, description="这里情况紧急需要帮助", grid=w.grids_a[0].code)
    assert unc.handling_unit == w.gov_a and unc.sla == "emergency"
    # another grid of the same community is not in the area
    other = submit(w.grids_a[1])
    assert other.routing["fallback"] != "override" and other.sla == "general"
    outside = submit(w.grids_b[0])
    assert outside.routing["fallback"] != "override"
    assert S.request_counts(inc)["received"] == 2
    S.stand_down(w.users["street_cadre"], inc, note="积水已排除")
    after = submit(w.grids_a[0])
    assert after.routing["fallback"] != "override" and after.sla == "general"
    assert S.request_counts(inc)["received"] == 2  # the window is closed


def test_no_query_per_request_when_no_incident(iworld, django_assert_num_queries):
    from gongzhi.incidents import routing

    routing.active_grids()  # loads (one query) and caches
    g = iworld.grids_a[0]
    with django_assert_num_queries(0):
        for _ in range(50):
            assert routing.override(None, g) is None


def test_cache_cleared_on_declare_and_stand_down(iworld):
    from gongzhi.incidents import routing

    w = iworld
    g = w.grids_a[0]
    assert routing.override(None, g) is None  # cached: no incident
    inc = declare_a(w)
    d = routing.override(None, g)  # the post_save signal cleared the cache
    assert d is not None and d.unit == w.gov_a and d.fallback == "override" and d.sla == "emergency"
    S.stand_down(w.users["street_cadre"], inc)
    assert routing.override(None, g) is None


def test_mobilisation_notifies_party_members_and_volunteers_of_the_area(iworld):
    from gongzhi.org.models import GridAssignment, HouseholdLink, Membership, Person
    from gongzhi.volunteers import services as V

    w = iworld
    g = w.grids_a[0]
    # a resident of the grid who is a registered volunteer and not a party member
    party = set(Membership.objects.filter(role__in=S.PARTY_ROLES).values_list("person_id", flat=True))
    resident = Person.objects.filter(household__grid=g).exclude(pk__in=party).order_by("id").first()
    bank = V.create_bank(SYSTEM, code="TB-I", name="应急测试时间银行", region=w.street_a, operator=w.gov_a)
    V.register_volunteer(SYSTEM, person=resident, bank=bank, skills="急救")
    inc = declare_a(w)
    mobs = {m.person_id: m for m in Mobilisation.objects.filter(incident=inc)}
    covering = set(GridAssignment.objects.filter(grid=g, kind="coverage").values_list("person_id", flat=True))
    linking = set(HouseholdLink.objects.filter(household__grid=g).values_list("member_id", flat=True))
    expected_party = (covering | linking) & party
    assert expected_party and expected_party <= set(mobs)
    assert all(mobs[p].kind == "party_member" for p in expected_party)
    assert mobs[resident.pk].kind == "volunteer" and "志愿者" in mobs[resident.pk].basis
    # someone covering another grid only is not called
    far = set(GridAssignment.objects.filter(grid=w.grids_b[0], kind="coverage").values_list("person_id", flat=True))
    assert not (far - covering - linking) & set(mobs)
    assert Notification.objects.filter(incident=inc).count() == len(mobs)
    assert set(Notification.objects.filter(incident=inc).values_list("person_id", flat=True)) == set(mobs)
    entry = inc.log.get(kind=LogEntry.Kind.MOBILISED)
    assert entry.data["party_member"] + entry.data["volunteer"] == len(mobs)
    # calling again notifies nobody twice
    assert S.mobilise(w.users["street_cadre"], inc) == 0


def test_check_in_and_assign(iworld):
    w = iworld
    inc = declare_a(w)
    m = Mobilisation.objects.filter(incident=inc).order_by("id").first()
    with pytest.raises(DomainError) as e:
        S.assign(w.users["street_cadre"], m, task="转移群众")
    assert e.value.field == "status"
    with pytest.raises(Forbidden):
        S.check_in(w.users["other_street_cadre"], m)
    with pytest.raises(Forbidden):
        S.check_in(w.users["auditor"], m)
    S.check_in(w.users["grid_worker"], m)
    m.refresh_from_db()
    assert m.status == "checked_in" and m.checked_in_at is not None
    with pytest.raises(Conflict):
        S.check_in(w.users["grid_worker"], m)
    with pytest.raises(Forbidden):
        S.assign(w.users["grid_worker"], m, task="转移群众")
    with pytest.raises(DomainError):
        S.assign(w.users["street_cadre"], m, task="  ")
    stale = Mobilisation.objects.get(pk=m.pk)
    S.assign(w.users["community_cadre"], m, task="转移低洼处老人")
    m.refresh_from_db()
    assert m.status == "assigned" and m.task == "转移低洼处老人"
    with pytest.raises(Conflict):
        S.assign(w.users["street_cadre"], stale, task="另一任务", expected_version=stale.version)
    assert inc.log.filter(kind="checked_in").count() == 1 and inc.log.filter(kind="assigned").count() == 1


def test_self_check_in(iworld):
    from django.contrib.auth import get_user_model

    w = iworld
    inc = declare_a(w)
    m = Mobilisation.objects.filter(incident=inc).order_by("id").first()
    u = get_user_model().objects.create_user("mobilised-self", password="x")
    m.person.user = u
    m.person.save(update_fields=["user"])
    S.check_in(u, m)
    assert Mobilisation.objects.get(pk=m.pk).checked_in_at is not None


def test_need_goes_to_the_pool_with_emergency_priority(iworld):
    from gongzhi.resources.models import PoolNeed

    w = iworld
    inc = declare_a(w)
    need = S.raise_need(w.users["street_cadre"], inc, title="沙袋", kind="material", quantity=200)
    assert need.priority == 0 and need.source == "emergency" and need.source_ref == f"incident:{inc.code}-1"
    assert need.grid_id == w.grids_a[0].pk
    need2 = S.raise_need(
        w.users["street_cadre"], inc, title="抽水泵操作员", kind="person", quantity=2, skills="抽水, 驾驶"
    )
    assert need2.pk != need.pk and need2.skills == ["抽水", "驾驶"]
    with pytest.raises(DomainError) as e:
        S.raise_need(
            w.users["street_cadre"],
            inc,
            title="越界",
            kind="material",
            lon=w.grids_b[0].centroid_lon,
            lat=w.grids_b[0].centroid_lat,
        )
    assert e.value.field == "location"
    with pytest.raises(DomainError) as e:
        S.raise_need(w.users["street_cadre"], inc, title="x", kind="spaceship")
    assert e.value.field == "kind"
    with pytest.raises(Forbidden):
        S.raise_need(w.users["other_street_cadre"], inc, title="沙袋", kind="material")
    assert PoolNeed.objects.filter(source="emergency").count() == 2
    m = Mobilisation.objects.filter(incident=inc).first()
    S.check_in(w.users["street_cadre"], m)
    S.assign(w.users["street_cadre"], m, task="装沙袋", need=need)
    assert Mobilisation.objects.get(pk=m.pk).need_id == need.pk


def test_polygon_area_selects_overlapping_grids(iworld):
    import shapely
    from shapely.geometry import shape

    from gongzhi.org import geo

    w = iworld
    g = w.grids_a[0]
    # a small polygon strictly inside the grid
    inner = shape(g.geometry).representative_point().buffer(0.0002)
    inc = S.declare(w.users["street_cadre"], name="燃气泄漏", kind="gas", severity=2, polygon=geo.to_geojson(inner))
    assert list(IncidentGrid.objects.filter(incident=inc).values_list("grid_id", flat=True)) == [g.pk]
    assert inc.polygon["type"] == "Polygon"
    assert shapely.geometry.shape(inc.geometry).equals(shape(g.geometry).buffer(0))


def test_refusals_change_nothing(iworld):
    w = iworld
    u = w.users["street_cadre"]
    n0 = Incident.objects.count()
    cases = [
        (dict(grids=[]), DomainError, "grids"),
        (dict(grids=["999999999999999"]), DomainError, "grids"),
        (dict(name=" "), DomainError, "name"),
        (dict(kind="alien"), DomainError, "kind"),
        (dict(severity=9), DomainError, "severity"),
        (dict(grids=[], polygon={"type": "Point", "coordinates": [0, 0]}), DomainError, "polygon"),
        (
            dict(grids=[], polygon={"type": "Polygon", "coordinates": [[[0, 0], [0.001, 0], [0.001, 0.001], [0, 0]]]}),
            DomainError,
            "grids",
        ),  # a polygon far from every grid: empty area
        (dict(grids=[w.grids_b[0].code]), Forbidden, "grids"),  # outside the declarer's street
        (dict(grids=[w.grids_a[0].code, w.grids_b[0].code]), Forbidden, "grids"),
    ]
    for kw, exc, field in cases:
        with pytest.raises(exc) as e:
            declare_a(w, u, **kw)
        assert e.value.field == field, kw
        assert any(w in e.value.message for w in ("请", "须", "超出")), e.value.message
    assert Incident.objects.count() == n0


def test_overlap_and_stand_down_twice(iworld):
    w = iworld
    inc = declare_a(w, grids=[w.grids_a[0].code, w.grids_a[1].code])
    with pytest.raises(Conflict) as e:
        declare_a(w, w.users["district_admin"], name="另一事件", grids=[w.grids_a[1].code, w.grids_a[2].code])
    assert e.value.code == "overlap" and w.grids_a[1].code in e.value.message
    # disjoint area: fine, by the district admin
    other = declare_a(w, w.users["district_admin"], name="乡镇山洪", grids=[w.grids_b[0].code])
    assert other.desk_unit == w.gov_b
    stale_version = inc.version
    S.stand_down(w.users["street_cadre"], inc)
    with pytest.raises(Conflict) as e:
        S.stand_down(w.users["street_cadre"], Incident.objects.get(pk=inc.pk))
    assert e.value.code == "invalid_state"
    assert Incident.objects.get(pk=inc.pk).version == stale_version + 1
    # after stand-down the grids are free again
    again = declare_a(w, name="二次内涝", grids=[w.grids_a[1].code])
    assert again.is_active
    # work on a stood-down incident is refused
    m = Mobilisation.objects.filter(incident=inc).first()
    with pytest.raises(DomainError):
        S.check_in(w.users["street_cadre"], m)


def test_district_wide_incident_sits_at_the_district(iworld):
    from gongzhi.org.models import Unit

    w = iworld
    inc = declare_a(w, w.users["district_admin"], grids=[w.grids_a[0].code, w.grids_b[0].code])
    assert inc.region == w.district
    assert inc.desk_unit == Unit.objects.get(code=f"{w.district.code}-GOV")
    # chosen desk
    dept = Unit.objects.get(code=f"{w.district.code}-CGJ")
    inc2 = declare_a(w, w.users["district_admin"], grids=[w.grids_a[2].code], desk_unit=dept)
    assert inc2.desk_unit == dept
    req = submit(w.grids_a[2])
    assert req.handling_unit == dept


def test_after_action_report_and_pdf(iworld):
    from gongzhi.cases import services as C
    from gongzhi.incidents import report

    w = iworld
    inc = declare_a(w)
    req = submit(w.grids_a[0])
    C.start(SYSTEM, req) if hasattr(C, "start") else None
    m = Mobilisation.objects.filter(incident=inc).first()
    S.check_in(w.users["street_cadre"], m)
    S.raise_need(w.users["street_cadre"], inc, title="沙袋", kind="material", quantity=5)
    S.stand_down(w.users["street_cadre"], inc, at=timezone.now() + dt.timedelta(hours=3))
    inc.refresh_from_db()
    r = report.build(inc)
    assert r["requests"]["received"] == 1
    assert r["people"]["mobilised"] == Mobilisation.objects.filter(incident=inc).count()
    assert r["people"]["checked_in"] == 1
    assert r["needs"]["raised"] == 1 and r["needs"]["rows"][0]["open"] == 5
    assert r["duration_h"] >= 3
    kinds = [e.kind for e in r["timeline"]]
    assert kinds[0] == "declared" and kinds[-1] == "stood_down" and "need" in kinds
    data = report.pdf(inc)
    assert data.startswith(b"%PDF") and b"STSong-Light" in data


def test_log_is_public_on_the_ledger_without_personal_data(iworld):
    import json

    from gongzhi.core.events import dispatch_pending
    from gongzhi.ledger.models import Leaf

    w = iworld
    inc = declare_a(w)
    m = Mobilisation.objects.filter(incident=inc).select_related("person").first()
    S.check_in(w.users["street_cadre"], m)
    S.raise_need(w.users["street_cadre"], inc, title="沙袋", kind="material", quantity=5)
    S.stand_down(w.users["street_cadre"], inc)
    dispatch_pending(["ledger"])
    leaves = list(Leaf.objects.filter(record=f"incident:{inc.code}").order_by("index"))
    types = [lf.event_type for lf in leaves]
    for t in (
        "incidents.declared",
        "incidents.mobilised",
        "incidents.checked_in",
        "incidents.need_raised",
        "incidents.desk_counts",
        "incidents.stood_down",
    ):
        assert t in types
    for lf in leaves:
        text = bytes(lf.entry).decode()
        assert m.person.name not in text
    checked = next(lf for lf in leaves if lf.event_type == "incidents.checked_in")
    entry = json.loads(bytes(checked.entry))
    assert "personal" not in entry["data"] and set(entry["personal"]) >= {"name", "person_id"}
    assert entry["data"]["kind"] == m.kind
