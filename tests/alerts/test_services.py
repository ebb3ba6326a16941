"""The scan and the status use cases against the database: what is raised, deduplication,
suppression after dismissal, optimistic concurrency, events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from gongzhi.alerts import services as S
from gongzhi.alerts.models import Alert, Kind, ScanRun, Status
from gongzhi.alerts.queries import open_alerts
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Conflict, DomainError
from gongzhi.core.models import Event

from .conftest import at_day, background


def spike(w, add, d=None, n=8, grid=None, cat=None):
    """n requests on day d (default: the scanned day), scattered over the grid's bounding box."""
    import random

    from gongzhi.cases.models import ServiceRequest

    from .conftest import make_request

    grid, cat, d = grid or w.grid_a, cat or w.cat, d or w.day
    rng = random.Random(n * 31 + d.toordinal())
    return ServiceRequest.objects.bulk_create(
        [
            make_request(
                grid, cat, t, lon=rng.uniform(grid.min_lon, grid.max_lon), lat=rng.uniform(grid.min_lat, grid.max_lat)
            )
            for t in at_day(w, d, n)
        ]
    )


@pytest.mark.django_db
def test_a_spike_raises_one_explained_alert(aworld, add):
    w = aworld
    background(w)
    reqs = spike(w, add)
    r = S.scan(SYSTEM, None, w.at)
    assert [(a.kind, a.grid_id, a.category_id) for a in r.raised] == [(Kind.ARRIVALS, w.grid_a.pk, w.cat.pk)]
    a = r.raised[0]
    assert a.region == w.comm_a and a.observed == 8 and 0 < a.expected < 2 and a.p_value < S.ALPHA
    assert a.window_start == a.window_end == w.day
    assert a.baseline_start == w.day - dt.timedelta(days=56) and a.baseline_end == w.day - dt.timedelta(days=1)
    assert set(a.requests.values_list("pk", flat=True)) == {q.pk for q in reqs}
    assert "期望" in a.explanation and w.grid_a.code in a.explanation and "p=" in a.explanation
    assert a.series["observed"][-1] == 8 and a.series["flagged"] == [w.day.isoformat()]
    assert len(a.series["days"]) == len(a.series["expected"]) == len(a.series["upper"])
    assert a.status == Status.OPEN and a.get_absolute_url() == f"/alerts/{a.pk}/"
    assert Event.objects.filter(type="alerts.raised", aggregate_id=str(a.pk)).count() == 1
    run = ScanRun.objects.get()
    assert run.first_day == run.last_day == w.day and run.raised == 1 and run.series >= 1


@pytest.mark.django_db
def test_quiet_weekly_data_raises_nothing(aworld):
    w = aworld
    background(w, per_day=(3, 1, 1, 1, 3, 0, 0))
    background(w, grid=w.grid_b, category=w.cat2, per_day=(0, 2, 2, 2, 2, 5, 5), seed=1)
    r = S.scan(SYSTEM, None, w.at, days=7)
    assert r.raised == [] and Alert.objects.count() == 0


@pytest.mark.django_db
def test_the_same_anomaly_is_not_raised_twice_while_open(aworld, add):
    w = aworld
    background(w)
    spike(w, add)
    first = S.scan(SYSTEM, None, w.at).raised[0]
    again = S.scan(SYSTEM, None, w.at)
    assert again.raised == [] and again.updated == [] and Alert.objects.count() == 1
    # the surge goes on the next day: the open alert grows instead of a second one
    nxt = w.day + dt.timedelta(days=1)
    spike(w, add, d=nxt, n=7)
    r = S.scan(SYSTEM, None, w.at + dt.timedelta(days=1))
    assert r.raised == [] and [a.pk for a in r.updated] == [first.pk]
    a = Alert.objects.get()
    assert a.window_start == w.day and a.window_end == nxt and a.observed == 15 and a.version == 2
    assert "15件" in a.title and str(nxt.strftime("%m-%d")) in a.explanation
    assert a.requests.count() == 15
    assert Event.objects.filter(type="alerts.updated").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(
            kind=a.kind,
            key=a.key,
            title="x",
            region=a.region,
            window_start=a.window_start,
            window_end=a.window_end,
            expected=1,
            observed=1,
            p_value=1,
            score=0,
            explanation="x",
            created_at=timezone.now(),
            updated_at=timezone.now(),
        )


@pytest.mark.django_db
def test_dismissed_alert_stays_quiet_then_a_new_surge_raises_again(aworld, add):
    w = aworld
    background(w)
    spike(w, add)
    a = S.scan(SYSTEM, None, w.at).raised[0]
    S.dismiss(SYSTEM, a, reason="已知：周末集中清运，次日恢复")
    nxt = w.day + dt.timedelta(days=2)
    spike(w, add, d=nxt, n=8)
    assert S.scan(SYSTEM, None, w.at + dt.timedelta(days=2), days=2).raised == []
    later = w.day + dt.timedelta(days=S.SUPPRESS_DAYS + 3)
    spike(w, add, d=later, n=9)
    r = S.scan(SYSTEM, None, timezone.make_aware(dt.datetime.combine(later + dt.timedelta(days=1), dt.time(6))))
    assert [x.window_start for x in r.raised] == [later]
    assert Alert.objects.filter(key=a.key).count() == 2


@pytest.mark.django_db
def test_repeated_complaints_at_one_place(aworld, add):
    w = aworld
    background(w, grid=w.grid_a2, category=w.cat2, per_day=(1, 0, 0, 0, 0, 0, 1))
    g = w.grid_a2
    lon, lat = (g.min_lon + g.max_lon) / 2, (g.min_lat + g.max_lat) / 2
    pts = [(lon, lat), (lon + 0.0001, lat), (lon, lat + 0.0001), (lon - 0.0001, lat - 0.0001)]
    reqs = []
    for k, (x, y) in enumerate(pts):
        t = timezone.make_aware(dt.datetime.combine(w.day - dt.timedelta(days=3 * k), dt.time(20, 0)))
        reqs += add(g, w.cat2, [t], lon=x, lat=y)
    r = S.scan(SYSTEM, None, w.at)
    rep = [a for a in r.raised if a.kind == Kind.REPEAT]
    assert len(rep) == 1 and not [a for a in r.raised if a.kind == Kind.ARRIVALS]
    a = rep[0]
    assert a.grid == g and a.category == w.cat2 and a.observed >= 4 and a.expected < 1
    assert {q.pk for q in reqs} <= set(a.requests.values_list("pk", flat=True))
    assert "50米" in a.explanation and "DBSCAN" in a.explanation
    # one more complaint there: the open alert takes it in
    more = add(
        g,
        w.cat2,
        [timezone.make_aware(dt.datetime.combine(w.day + dt.timedelta(days=1), dt.time(9)))],
        lon=lon,
        lat=lat,
    )
    r2 = S.scan(SYSTEM, None, w.at + dt.timedelta(days=1))
    assert r2.raised == [] and [x.pk for x in r2.updated] == [a.pk]
    assert a.requests.filter(pk=more[0].pk).exists()


@pytest.mark.django_db
def test_a_cluster_of_sla_breaches(aworld, add):
    w = aworld
    # history: requests due over the baseline, one in ten late
    hist = []
    for k in range(8, 64):
        due = timezone.make_aware(dt.datetime.combine(w.day - dt.timedelta(days=k), dt.time(17)))
        late = k % 10 == 0
        hist += add(
            w.grid_a,
            w.cat,
            [due - dt.timedelta(days=5)],
            unit=w.unit,
            due_at=due,
            resolved_at=due + dt.timedelta(hours=5 if late else -5),
            state="closed",
        )
    late = []
    for k in range(5):
        due = timezone.make_aware(dt.datetime.combine(w.day - dt.timedelta(days=k), dt.time(12)))
        late += add(w.grid_a2, w.cat, [due - dt.timedelta(days=5)], unit=w.unit, due_at=due, resolved_at=None)
    r = S.scan(SYSTEM, None, w.at)
    sla = [a for a in r.raised if a.kind == Kind.SLA]
    assert len(sla) == 1
    a = sla[0]
    assert a.region == w.street_a and a.unit == w.unit and a.category == w.cat and a.observed == 5
    assert a.expected < 2 and set(a.requests.values_list("pk", flat=True)) == {q.pk for q in late}
    assert "超时率" in a.explanation
    assert S.scan(SYSTEM, None, w.at).raised == []  # deduplicated


@pytest.mark.django_db
def test_status_changes_validate_and_use_the_version(aworld, add, users):
    w = aworld
    background(w)
    spike(w, add)
    a = S.scan(SYSTEM, None, w.at).raised[0]
    with pytest.raises(DomainError) as e:
        S.dismiss(users["street_cadre"], a, reason="  ")
    assert e.value.field == "reason"
    a.refresh_from_db()
    assert a.status == Status.OPEN and a.version == 1
    with pytest.raises(Conflict):
        S.acknowledge(users["street_cadre"], a, version=7)
    a = S.acknowledge(users["street_cadre"], a, version=1)
    assert a.status == Status.ACKNOWLEDGED and a.version == 2 and a.status_by == users["street_cadre"]
    with pytest.raises(DomainError):
        S.acknowledge(users["street_cadre"], a)
    a = S.resolve(users["street_cadre"], a, version=2, note="已增加清运车次")
    assert a.status == Status.RESOLVED and a.status_reason == "已增加清运车次"
    with pytest.raises(DomainError):
        S.dismiss(users["street_cadre"], a, reason="x")
    assert list(Event.objects.filter(type__startswith="alerts.").order_by("seq").values_list("type", flat=True)) == [
        "alerts.raised",
        "alerts.scanned",
        "alerts.acknowledged",
        "alerts.resolved",
    ]


@pytest.mark.django_db
def test_open_alerts_for_the_command_centre(aworld, add, users):
    w = aworld
    background(w)
    background(w, grid=w.grid_b, seed=2)
    spike(w, add)
    spike(w, add, grid=w.grid_b, n=12)
    raised = S.scan(SYSTEM, None, w.at).raised
    assert len(raised) == 2
    top = open_alerts(users["district_admin"])
    assert [a.grid for a in top] == [w.grid_b, w.grid_a]  # same scan time: the more severe first
    assert top[0].severity >= top[1].severity
    assert [a.grid for a in open_alerts(users["street_cadre"])] == [w.grid_a]
    assert [a.grid for a in open_alerts(users["other_street_cadre"])] == [w.grid_b]
    assert open_alerts(users["district_admin"], region=w.street_b, limit=5) == [top[0]]
    assert open_alerts(users["district_admin"], limit=1) == [top[0]]
    S.dismiss(SYSTEM, top[0], reason="误报")
    assert [a.grid for a in open_alerts(users["district_admin"])] == [w.grid_a]


@pytest.mark.django_db
def test_scan_of_one_region_only_sees_its_requests(aworld, add):
    w = aworld
    background(w)
    background(w, grid=w.grid_b, seed=2)
    spike(w, add)
    spike(w, add, grid=w.grid_b)
    r = S.scan(SYSTEM, w.street_b, w.at)
    assert [a.grid for a in r.raised] == [w.grid_b]
    with pytest.raises(DomainError):
        S.scan(SYSTEM, None, w.at, days=0)


@pytest.mark.django_db
def test_command_and_daily_task(aworld, add):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from gongzhi.alerts.tasks import daily_scan

    w = aworld
    background(w)
    spike(w, add)
    out = StringIO()
    call_command("alerts", "scan", "--region", w.street_a.code, "--at", w.at.date().isoformat(), stdout=out)
    assert "raised 1" in out.getvalue() and "诉求激增" in out.getvalue()
    with pytest.raises(CommandError, match="没有代码为"):
        call_command("alerts", "scan", "--region", "000")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("alerts", "scan", "--at", "June")
    result = daily_scan.enqueue(w.street_a.code, 1)  # the immediate backend in tests
    assert result.return_value["raised"] == 0 and ScanRun.objects.count() == 2
