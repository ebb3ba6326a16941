"""The common pool's use cases on the tiny district: offer, raise, match, respond, deliver, repair, share."""

from __future__ import annotations

from io import StringIO

import pytest

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Conflict, DomainError
from gongzhi.core.models import Event
from gongzhi.org.models import Grid, Unit
from gongzhi.resources import services as S
from gongzhi.resources.models import Assignment, PoolNeed, PoolResource


def pt(region, k=0):
    g = Grid.objects.filter(region__path__startswith=region.path).order_by("code")[k]
    return g.centroid_lon, g.centroid_lat


def gov(region):
    return Unit.objects.get(code=f"{region.code}-GOV")


def offer(region, qty=5, kind="material", k=0, **kw):
    lon, lat = pt(region, k)
    return S.offer_resource(
        SYSTEM,
        owner=kw.pop("owner", gov(region.ancestor_at("street"))),
        name=kw.pop("name", "物资"),
        kind=kind,
        quantity=qty,
        lon=lon,
        lat=lat,
        **kw,
    )


def need(region, qty=3, prio="basic", kind="material", k=0, **kw):
    lon, lat = pt(region, k)
    return S.raise_need(
        SYSTEM, title=kw.pop("title", "需求"), kind=kind, quantity=qty, priority=prio, lon=lon, lat=lat, **kw
    )


def live(n):
    return list(n.assignments.filter(status__in=Assignment.ACTIVE).order_by("id"))


def test_offer_and_raise_locate_the_grid_and_emit(world):
    r = offer(world.comm_a, qty=4, unit_label="箱")
    assert r.grid is not None and r.region == r.grid.region and world.street_a.contains(r.region)
    n = need(world.comm_a, prio="emergency")
    assert n.priority == 0 and n.status == "open" and n.grid.region == n.region
    assert Event.objects.filter(type="resources.resource_offered", aggregate_id=str(r.pk)).exists()
    assert Event.objects.filter(type="resources.need_raised", aggregate_id=str(n.pk)).exists()


BAD_OFFERS = [
    ({"kind": "spaceship"}, "kind"),
    ({"quantity": 0}, "quantity"),
    ({"lon": 0.0, "lat": 0.0}, "location"),
    ({"name": " "}, "name"),
    ({"use_cost": -1}, "use_cost"),
    ({"certificates": "law:x"}, "certificates"),
]


def test_offer_refuses_bad_input_and_writes_nothing(world):
    lon, lat = pt(world.comm_a)
    for kw, field in BAD_OFFERS:
        args = dict(owner=gov(world.street_a), name="物资", kind="material", quantity=3, lon=lon, lat=lat)
        args.update(kw)
        with pytest.raises(DomainError) as e:
            S.offer_resource(SYSTEM, **args)
        assert e.value.field == field, kw
    assert not PoolResource.objects.exists()


def test_need_refuses_bad_priority_and_deadline(world):
    import datetime as dt

    from django.utils import timezone

    with pytest.raises(DomainError) as e:
        need(world.comm_a, prio="urgent-ish")
    assert e.value.field == "priority"
    t = timezone.now()
    with pytest.raises(DomainError) as e:
        need(world.comm_a, window_start=t, deadline=t - dt.timedelta(hours=1))
    assert e.value.field == "deadline"
    assert not PoolNeed.objects.exists()


def test_matching_serves_emergency_before_development_and_explains(world):
    offer(world.comm_a, qty=3)
    dev = need(world.comm_a, qty=3, prio="development", title="发展")
    emg = need(world.comm_a, qty=3, prio="emergency", title="应急", k=1)
    run = S.run_matching(SYSTEM, region=world.district)
    assert run.served == 3 and run.demand == 6 and run.method == "min-cost-flow"
    assert sum(a.quantity for a in live(emg)) == 3
    assert live(dev) == []
    a = live(emg)[0]
    assert a.status == "proposed" and a.run == run
    assert "Rules passed" in a.explanation and a.unit_cost >= 0
    assert {c["rule"] for c in a.checks} >= {"kind", "skills", "certificates", "window", "region", "distance"}
    assert all(c["passed"] for c in a.checks)
    assert Event.objects.filter(type="resources.matched").exists()


def test_certificate_level_and_skills_are_respected(world):
    low = offer(world.comm_a, qty=2, kind="person", name="律师甲", certificates={"law": 1}, skills=["legal aid"])
    high = offer(world.comm_a, qty=2, kind="person", name="律师乙", certificates={"law": 2}, skills=["legal aid"], k=3)
    n = need(world.comm_a, qty=1, kind="person", certificates="law:2", skills="legal aid")
    S.run_matching(SYSTEM, region=world.street_a)
    (a,) = live(n)
    assert a.resource == high and a.resource != low
    sugg = S.suggestions(n)
    assert [s["resource"] for s in sugg] == [high]


def test_greedy_baseline_is_available(world):
    offer(world.comm_a, qty=2)
    n = need(world.comm_a, qty=2)
    run = S.run_matching(SYSTEM, region=world.district, method="greedy")
    assert run.method == "greedy" and sum(a.quantity for a in live(n)) == 2


def test_rerun_replaces_proposals_but_keeps_commitments(world):
    offer(world.comm_a, qty=4)
    n = need(world.comm_a, qty=4)
    S.run_matching(SYSTEM, region=world.district)
    (a,) = live(n)
    a = S.respond(SYSTEM, a, accept=True)
    assert a.status == "accepted"
    S.run_matching(SYSTEM, region=world.district)
    assert [x.pk for x in live(n)] == [a.pk]
    assert S.need_progress(n) == {
        "proposed": 0,
        "committed": 4,
        "in_transit": 0,
        "fulfilled": 0,
        "open": 0,
        "quantity": 4,
    }


def test_the_loop_need_response_delivery_closed_with_partial_fulfilment(world):
    offer(world.comm_a, qty=3)
    offer(world.comm_a, qty=3, k=2)
    n = need(world.comm_a, qty=5)
    S.run_matching(SYSTEM, region=world.district)
    rows = live(n)
    assert sum(a.quantity for a in rows) == 5 and len(rows) == 2
    a1, a2 = rows
    S.respond(SYSTEM, a1, accept=True)
    S.dispatch(SYSTEM, a1)
    p = S.need_progress(n)
    assert p["in_transit"] == a1.quantity and p["proposed"] == a2.quantity
    with pytest.raises(DomainError) as e:
        S.confirm_delivery(SYSTEM, a1, received=a1.quantity + 1)
    assert e.value.field == "received"
    S.confirm_delivery(SYSTEM, a1, received=a1.quantity)
    S.respond(SYSTEM, a2, accept=True)
    # partial: one unit short
    S.confirm_delivery(SYSTEM, a2, received=a2.quantity - 1)
    n.refresh_from_db()
    p = S.need_progress(n)
    assert p["fulfilled"] == 4 and p["open"] == 1 and n.status == "open"
    # the missing unit is matched again from what is left, and closes the need
    S.run_matching(SYSTEM, region=world.district)
    (a3,) = live(n)
    assert a3.quantity == 1
    S.respond(SYSTEM, a3, accept=True)
    S.confirm_delivery(SYSTEM, a3, received=1)
    n.refresh_from_db()
    assert n.status == "closed" and n.closed_at is not None
    assert Event.objects.filter(type="resources.delivered").count() == 3
    with pytest.raises(Conflict):
        S.respond(SYSTEM, a3, accept=True)


def test_decline_repairs_only_the_affected_need(world):
    near = offer(world.comm_a, qty=2, name="近")
    far = offer(world.comm_a, qty=2, name="远", k=3)
    other_res = offer(world.comm_a, qty=1, kind="vehicle", name="车")
    n = need(world.comm_a, qty=2)
    other = need(world.comm_a, qty=1, kind="vehicle")
    S.run_matching(SYSTEM, region=world.district)
    (a,) = live(n)
    (b,) = live(other)
    assert a.resource == near and b.resource == other_res
    with pytest.raises(DomainError) as e:
        S.respond(SYSTEM, a, accept=False, reason=" ")
    assert e.value.field == "reason"
    S.respond(SYSTEM, a, accept=False, reason="本周不便")
    a.refresh_from_db()
    assert a.status == "declined"
    (c,) = live(n)
    assert c.resource == far and c.quantity == 2 and "repair" in c.note
    assert [x.pk for x in live(other)] == [b.pk]  # untouched


def test_withdraw_drops_assignments_and_repairs_with_priority(world):
    big = offer(world.comm_a, qty=3, name="大")
    small = offer(world.comm_a, qty=2, name="小", k=3)
    emg = need(world.comm_a, qty=2, prio="emergency")
    dev = need(world.comm_a, qty=2, prio="development", k=1)
    S.run_matching(SYSTEM, region=world.district)
    assert sum(a.quantity for a in live(emg)) == 2 and sum(a.quantity for a in live(dev)) == 2
    user_of_big = [a for a in live(emg) if a.resource == big]
    S.withdraw_resource(SYSTEM, big, reason="设备检修")
    big.refresh_from_db()
    assert big.status == "withdrawn"
    assert not Assignment.objects.filter(resource=big, status__in=Assignment.ACTIVE).exists()
    # the emergency is still fully served (from the small resource, taken from development if needed)
    assert sum(a.quantity for a in live(emg)) == 2
    assert all(a.resource == small for a in live(emg) + live(dev))
    assert sum(a.quantity for a in live(emg) + live(dev)) == 2
    assert user_of_big or True
    with pytest.raises(DomainError):
        S.withdraw_resource(SYSTEM, big)


def test_urban_resource_serves_paired_township_only_when_shared(world):
    assert world.street_a.paired_with_id == world.street_b.pk
    kept = offer(world.comm_a, qty=2, name="不共享")
    n = need(world.comm_b, qty=1)
    S.run_matching(SYSTEM, region=world.district)
    assert live(n) == []
    shared = offer(world.comm_a, qty=2, name="共享", share_with_paired=True, k=1)
    S.run_matching(SYSTEM, region=world.district)
    (a,) = live(n)
    assert a.resource == shared and a.resource != kept
    assert any(c["rule"] == "region" and "paired" in c["detail"] for c in a.checks)


def test_cancel_need(world):
    offer(world.comm_a, qty=2)
    n = need(world.comm_a, qty=1)
    S.run_matching(SYSTEM, region=world.district)
    S.cancel_need(SYSTEM, n, reason="已自行解决")
    n.refresh_from_db()
    assert n.status == "cancelled" and live(n) == []


def test_pool_match_command(world):
    from django.core.management import CommandError, call_command

    offer(world.comm_a, qty=2)
    need(world.comm_a, qty=2)
    out = StringIO()
    call_command("pool_match", "--region", world.district.code, stdout=out)
    assert "served 2 of 2" in out.getvalue()
    with pytest.raises(CommandError, match="no region"):
        call_command("pool_match", "--region", "000")
