"""The meter (per worker per week, per unit per month, per street) and the platform's own demands
recorded from the domain events and from the records, once each."""

from __future__ import annotations

import datetime as dt

from django.db.models import Sum

from gongzhi.burden import meter, platform
from gongzhi.burden import services as S
from gongzhi.burden.models import DemandItem
from gongzhi.core import events
from gongzhi.core.actors import SYSTEM

from .conftest import day


def test_worker_weeks_unit_months_and_street_view_add_up(bworld):
    w = bworld
    monday = meter.week_start(w.today)
    S.issue_demand(
        SYSTEM,
        issuer=w.gov_a,
        title="打卡",
        kind="checkin",
        minutes=15,
        recurrence="daily",
        issued_on=monday - dt.timedelta(days=14),
        until=monday + dt.timedelta(days=6),
        workers=[w.worker],
    )
    S.issue_demand(
        SYSTEM,
        issuer=w.gov,
        title="月报",
        kind="report",
        minutes=60,
        issued_on=w.today,
        units=[w.comm_a_unit, w.comm_b_unit],
    )
    weeks = meter.worker_weeks(w.worker, weeks=4)
    assert [r["start"] for r in weeks] == [monday - dt.timedelta(weeks=k) for k in (3, 2, 1, 0)]
    assert [r["minutes"] for r in weeks] == [0, 7 * 15, 7 * 15, 7 * 15]
    assert weeks[-1]["by_kind"]["checkin"] == 105 and weeks[-1]["higher"] == 105 and weeks[-1]["platform"] == 0
    months = meter.unit_months(w.comm_a_unit, months=2)
    this_month = DemandItem.objects.filter(
        unit=w.comm_a_unit, on__gte=w.today.replace(day=1), on__lt=meter.add_months(w.today.replace(day=1), 1)
    )
    assert months[-1]["minutes"] == this_month.aggregate(m=Sum("minutes"))["m"]
    start, end = meter.parse_period(f"{w.today:%Y-%m}")
    view = meter.street_view(w.street_a, start, end)
    assert [u["code"] for u in view["units"]] == [w.comm_a_unit.code]  # street B's committee is not in street A
    assert view["total"]["minutes"] == months[-1]["minutes"]
    assert view["workers"][0]["id"] == w.worker.pk
    district = meter.street_view(w.district, start, end)
    assert district["total"]["minutes"] == view["total"]["minutes"] + 60


def test_an_intake_by_a_grid_worker_is_a_platform_demand_once(bworld):
    from gongzhi.cases import services as C
    from gongzhi.org.models import MatterCategory

    w = bworld
    cat = MatterCategory.objects.filter(parent__isnull=False).order_by("code").first()
    req, _ = C.submit(
        w.users["grid_worker"], description="楼道堆物", channel="grid", category=cat.code, grid=w.grid.code
    )
    C.submit(SYSTEM, description="热线来电", channel="hotline", category=cat.code, grid=w.grid.code)
    events.dispatch_pending([platform.SUBSCRIBER])
    items = DemandItem.objects.filter(demand__origin="platform")
    assert list(items.values_list("source_ref", "worker", "unit", "minutes")) == [
        (f"intake:{req.number}", w.worker.pk, w.comm_a_unit.pk, platform.STANDARD["intake"].minutes)
    ]
    assert items.get().demand.region == w.street_a
    assert platform.backfill(SYSTEM) == 0  # the same step from the records is not counted again
    events.dispatch_pending([platform.SUBSCRIBER])
    assert items.count() == 1
    assert meter.worker_weeks(w.worker, weeks=1)[0]["platform"] == 10


def test_meeting_attendance_from_the_event_and_the_backfill(bworld):
    from gongzhi.alliances import demo as alliances_demo
    from gongzhi.alliances.models import Attendance, Meeting
    from gongzhi.core.models import Event

    alliances_demo.generate(seed=4, scale="tiny", progress=lambda *a: None)
    m = Meeting.objects.filter(held_on__isnull=False, attendance__isnull=False).select_related("alliance").first()
    ev = Event(
        type="alliances.meeting.recorded",
        aggregate_type="alliance",
        aggregate_id=m.alliance.code,
        payload={
            "code": m.alliance.code,
            "kind": m.kind,
            "year": m.year,
            "period": m.period,
            "held_on": m.held_on.isoformat(),
        },
    )
    n = platform.items_for_events(SYSTEM, [ev])
    attended = Attendance.objects.filter(meeting=m).count()
    assert n == attended + 1  # each attending unit, and the lead unit's record
    assert platform.items_for_events(SYSTEM, [ev]) == 0
    made = platform.backfill(SYSTEM)
    held = Meeting.objects.filter(held_on__isnull=False)
    assert made == Attendance.objects.filter(meeting__in=held).count() + held.count() - n
    att = DemandItem.objects.filter(source_ref=f"meeting:{m.pk}:{Attendance.objects.filter(meeting=m).first().unit_id}")
    assert att.get().minutes == 90 and att.get().on == m.held_on and att.get().completed_at is not None


def test_follow_up_visits_count_from_the_records_and_with_a_reopen_event(bworld):
    from gongzhi.cases import services as C
    from gongzhi.org.models import MatterCategory

    w = bworld
    cat = MatterCategory.objects.filter(parent__isnull=False).order_by("code").first()
    reqs = [
        C.submit(SYSTEM, description=f"路灯不亮{k}", channel="web", category=cat.code, grid=w.grid.code)[0]
        for k in range(2)
    ]
    for r in reqs:
        C.resolve(SYSTEM, r, resolution="已修复")
    C.record_followup(SYSTEM, reqs[0], fixed=True, rating="satisfied")
    C.record_followup(SYSTEM, reqs[1], fixed=False, note="仍不亮")  # reopens
    # a follow-up emits no event of its own: it is read from the request's records whenever an event of
    # that request arrives (here the submit/reopen events, dispatched after the visits)
    events.dispatch_pending([platform.SUBSCRIBER])
    items = DemandItem.objects.filter(demand__platform_key="followup")
    assert items.count() == 2
    assert {i.worker_id for i in items} == {w.worker.pk} and {i.minutes for i in items} == {15}
    assert platform.backfill(SYSTEM) == 0
    assert not DemandItem.objects.filter(demand__platform_key="intake").exists()  # web, not a grid intake
    assert items.order_by("-on").first().on <= day(w, 0)


def test_summary_for_the_command_centre_counts_the_subtree_only(bworld):
    from gongzhi.burden import figures

    w = bworld
    S.issue_demand(
        SYSTEM,
        issuer=w.gov_a,
        title="打卡",
        kind="checkin",
        minutes=15,
        recurrence="daily",
        issued_on=w.today - dt.timedelta(days=6),
        until=w.today,
        workers=[w.worker],
    )
    S.issue_demand(
        SYSTEM, issuer=w.gov, title="月报", kind="report", minutes=60, issued_on=w.today, units=[w.comm_b_unit]
    )
    start = w.today - dt.timedelta(days=6)
    a = figures.summary(w.street_a, start, w.today)
    assert a["hours"] == round(7 * 15 / 60, 1) and a["higher_hours"] == a["hours"] and a["platform_hours"] == 0
    assert a["items"] == 7 and a["workers"] == 1 and a["per_worker_week_minutes"] == 105
    b = figures.summary(w.street_b, start, w.today)
    assert b["hours"] == 1.0 and b["workers"] == 0 and b["per_worker_week_minutes"] is None
    d = figures.summary(w.district, start, w.today)
    assert d["items"] == a["items"] + b["items"]
