"""Rollups equal cases.figures computed from the transitions, after a rebuild and after events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gongzhi.cases import figures, services
from gongzhi.cases.models import ServiceRequest, Transition
from gongzhi.command import queries, rollups
from gongzhi.command.models import AreaDay, DailyRollup, GridState, RequestFact
from gongzhi.command.subscribers import NAME, on_request_events
from gongzhi.core.actors import SYSTEM
from gongzhi.core.events import dispatch_pending
from gongzhi.core.models import Event, Region
from gongzhi.org.models import Unit

RATES = (
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "on_time_rate",
    "return_rate",
    "reopen_rate",
    "whistle_rate",
)


def bounds(start: dt.date, end: dt.date):
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time()), tz),
        timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()), tz),
    )


def assert_same(region, start, end):
    ours = queries.totals(region, start, end)
    s, e = bounds(start, end)
    theirs = figures.total(start=s, end=e, within=region)
    assert ours["requests"] == theirs["requests"]
    for k in RATES:
        assert (ours[k]["num"], ours[k]["den"]) == (theirs[k]["num"], theirs[k]["den"]), k
    return ours


def test_rebuild_equals_figures_for_every_region_and_period(cased):
    assert ServiceRequest.objects.count() > 100, cased.counts
    end = rollups.latest_day()
    regions = list(Region.objects.exclude(level="city"))
    for region in regions:
        ours = assert_same(region, end - dt.timedelta(days=364), end)
        assert_same(region, end - dt.timedelta(days=29), end)
    district = Region.objects.get(level="district")
    total = assert_same(district, dt.date(2000, 1, 1), end)
    assert total["requests"] > 100 and total["satisfaction_rate"]["den"] > 0 and ours is not None
    assert rollups.check() == []
    # the finer and coarser tables agree
    assert (
        sum(DailyRollup.objects.values_list("arrived", flat=True))
        == sum(AreaDay.objects.values_list("arrived", flat=True))
        == total["requests"]
    )


def test_mean_hours_match_records(cased):
    district = Region.objects.get(level="district")
    end = rollups.latest_day()
    ours = queries.totals(district, dt.date(2000, 1, 1), end)
    facts = {}
    for rid, action, at in (
        Transition.objects.filter(action__in=["submit", "dispatch"])
        .exclude(request__state__in=figures.EXCLUDED)
        .order_by("at", "id")
        .values_list("request_id", "action", "at")
    ):
        facts.setdefault(rid, {}).setdefault(action, at)
    hours = [(f["dispatch"] - f["submit"]).total_seconds() / 3600 for f in facts.values() if "dispatch" in f]
    assert ours["mean_hours_to_dispatch"] == pytest.approx(sum(hours) / len(hours), rel=1e-4)


def test_events_keep_rollups_current(cased, submit, users):
    district = Region.objects.get(level="district")
    dispatch_pending([NAME])  # what the demo's own events left
    today = timezone.localdate()
    before = queries.totals(district, today, today)
    dept = users["department_staff"]
    a = submit(category="01005")
    services.start(dept, a)
    services.resolve(dept, a, resolution="已清理")
    services.confirm(SYSTEM, a, rating="satisfied", token=a.token)
    b = submit(category="01005")
    services.merge(users["street_cadre"], b, a, reason="重复")  # leaves the population
    c = submit(category="01005")
    services.return_to_dispatcher(dept, c, reason="地址不清")
    deps = [u.code for u in Unit.objects.filter(kind="department")[:1]]
    services.blow_whistle(users["street_cadre"], c, departments=deps, reason="跨部门")
    n = dispatch_pending([NAME])
    assert n > 0
    after = queries.totals(district, today, today)
    assert after["requests"] == before["requests"] + 2
    assert after["satisfaction_rate"]["num"] == before["satisfaction_rate"]["num"] + 1
    assert after["whistle_rate"]["num"] == before["whistle_rate"]["num"] + 1
    assert after["return_rate"]["num"] == before["return_rate"]["num"] + 1
    assert_same(district, today, today)
    assert_same(cased.street_a, today - dt.timedelta(days=400), today)
    assert rollups.check() == []
    # the grid states count the open requests now
    open_now = ServiceRequest.objects.filter(state__in=rollups.OPEN_STATES).count()
    assert queries.open_now(district)["open"] == open_now


def test_redelivery_changes_nothing(cased, submit):
    dispatch_pending([NAME])
    a = submit(category="01005")
    events = list(Event.objects.filter(aggregate_id=a.number))
    assert events
    on_request_events(events)
    snap = sorted(DailyRollup.objects.values_list("grid_id", "category_id", "sla", "day", "arrived", "dispatched"))
    on_request_events(events)  # delivered again (at least once)
    on_request_events(events[:1])
    assert (
        sorted(DailyRollup.objects.values_list("grid_id", "category_id", "sla", "day", "arrived", "dispatched")) == snap
    )
    assert RequestFact.objects.filter(request_id=a.pk).count() == 1
    assert rollups.check() == []


def test_check_reports_a_difference(cased):
    row = AreaDay.objects.filter(arrived__gt=0).first()
    AreaDay.objects.filter(pk=row.pk).update(arrived=row.arrived + 5)
    problems = rollups.check()
    assert any("arrived" in p and str(row.day) in p for p in problems)
    rollups.rebuild(None)
    assert rollups.check() == []


def test_rebuild_of_one_street_leaves_the_other(cased):
    other = AreaDay.objects.filter(street=cased.street_b).count()
    AreaDay.objects.filter(street=cased.street_a).update(arrived=0)
    counts = rollups.rebuild(cased.street_a)
    assert counts["facts"] == ServiceRequest.objects.filter(region__parent=cased.street_a).count()
    assert AreaDay.objects.filter(street=cased.street_b).count() == other
    assert rollups.check() == []


def test_overdue_follows_the_clock(cased, submit):
    dispatch_pending([NAME])
    district = Region.objects.get(level="district")
    a = submit(category="01005")
    dispatch_pending([NAME])
    assert a.due_at is not None
    before = queries.open_now(district)["overdue"]
    later = a.due_at + dt.timedelta(minutes=1)
    rollups.refresh_stale(queries.area(district), later)
    after = GridState.objects.get(grid_id=a.grid_id).overdue
    assert queries.open_now(district)["overdue"] >= before + 1 and after >= 1


def test_dashboard_reads_no_request_rows(cased):
    district = Region.objects.get(level="district")
    with CaptureQueriesContext(connection) as ctx:
        f = queries.figures(district)
    sql = " ".join(q["sql"] for q in ctx.captured_queries).lower()
    assert "cases_servicerequest" not in sql and "cases_transition" not in sql
    assert f["totals"]["requests"] > 0 and len(f["trend"]) == queries.TREND_DAYS
    assert {c["code"] for c in f["children"]} == {cased.street_a.code, cased.street_b.code}
    assert sum(c["requests"] for c in f["children"]) == f["totals"]["requests"]
    assert f["top_categories"] and f["sla"]


def test_street_tables_match_the_community_tables(cased, submit):
    from django.db.models import Sum

    from gongzhi.command.models import StreetCategoryMonth, StreetDay

    dispatch_pending([NAME])
    submit(category="01005")
    dispatch_pending([NAME])
    per_street = {
        (r["street_id"], r["day"]): r["n"]
        for r in AreaDay.objects.values("street_id", "day").order_by().annotate(n=Sum("arrived"))
    }
    assert per_street == {(s, d): n for s, d, n in StreetDay.objects.values_list("street_id", "day", "arrived")}
    assert (
        StreetCategoryMonth.objects.aggregate(n=Sum("satisfied"))["n"]
        == AreaDay.objects.aggregate(n=Sum("satisfied"))["n"]
    )
    assert queries.day_table(cased.district) is StreetDay and queries.day_table(cased.street_a) is AreaDay
    row = StreetDay.objects.filter(arrived__gt=0).first()
    StreetDay.objects.filter(pk=row.pk).update(satisfied=row.satisfied + 1)
    assert any("StreetDay.satisfied" in p for p in rollups.check())
