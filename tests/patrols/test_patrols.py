"""Grid patrols (issue 19 item 1: patrols due on the grid worker's home; item 2: the patrol page)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from gongzhi.cases.models import Channel, ServiceRequest
from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.org.models import Grid, GridAssignment, Person
from gongzhi.patrols import services
from gongzhi.patrols.models import Patrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world, users):
    """The grid worker works the first two grids of community A; a third grid of A is not theirs."""
    grids = list(Grid.objects.filter(region=world.comm_a).select_related("region").order_by("code"))
    assert len(grids) >= 3
    person = Person.objects.create(name="网格员甲", region=world.comm_a, user=users["grid_worker"])
    for g in grids[:2]:
        GridAssignment.objects.create(
            grid=g, person=person, kind=GridAssignment.Kind.GRID_WORKER, region=g.region, start_date=dt.date(2026, 1, 1)
        )
    return type("S", (), {"mine": grids[:2], "other": grids[2], "users": users, "world": world})


def test_record_files_findings_once(setup):
    worker = setup.users["grid_worker"]
    grid = setup.mine[0]
    findings = [services.Finding("楼道堆放杂物，存在消防隐患"), services.Finding("路灯不亮")]
    p, created = services.record_patrol(worker, grid=grid, minutes=40, findings=findings, idempotency_key="k1")
    assert created and p.on == timezone.localdate() and p.findings.count() == 2
    assert set(ServiceRequest.objects.filter(channel=Channel.GRID).values_list("grid_id", flat=True)) == {grid.pk}
    again, created = services.record_patrol(worker, grid=grid, minutes=40, findings=findings, idempotency_key="k1")
    assert not created and again.pk == p.pk
    assert Patrol.objects.count() == 1 and ServiceRequest.objects.count() == 2


@pytest.mark.parametrize(
    "who, grid, allowed",
    [
        ("grid_worker", "mine", True),
        ("grid_worker", "other", False),  # a grid of the same community that is not theirs
        ("community_cadre", "other", True),
        ("street_cadre", "other", True),
        ("district_admin", "other", True),
        ("other_street_cadre", "mine", False),
        ("department_staff", "mine", False),
        ("auditor", "mine", False),
    ],
)
def test_who_may_record(setup, who, grid, allowed):
    g = setup.mine[0] if grid == "mine" else setup.other
    if allowed:
        assert services.record_patrol(setup.users[who], grid=g)[1]
    else:
        with pytest.raises(Forbidden):
            services.record_patrol(setup.users[who], grid=g)
        assert not Patrol.objects.exists()


def test_bad_dates_and_minutes(setup):
    worker, grid = setup.users["grid_worker"], setup.mine[0]
    today = timezone.localdate()
    for kw, field in (
        ({"on": today + dt.timedelta(days=1)}, "on"),
        ({"on": today - dt.timedelta(days=services.BACKFILL_DAYS + 1)}, "on"),
        ({"minutes": 0}, "minutes"),
        ({"findings": [services.Finding("x")] * (services.MAX_FINDINGS + 1)}, "findings"),
    ):
        with pytest.raises(DomainError) as exc:
            services.record_patrol(worker, grid=grid, **kw)
        assert exc.value.field == field
    assert not Patrol.objects.exists()
    assert services.record_patrol(worker, grid=grid, on=today - dt.timedelta(days=services.BACKFILL_DAYS))[1]


def test_due_and_cadence(setup):
    worker = setup.users["grid_worker"]
    a, b = setup.mine
    today = timezone.localdate()
    # Never patrolled: both due today.
    assert [d.overdue_days for d in services.due_for(worker)] == [0, 0]
    services.record_patrol(worker, grid=a, on=today - dt.timedelta(days=3))
    services.record_patrol(worker, grid=b, on=today - dt.timedelta(days=7))
    due = {d.grid.code: d for d in services.status(setup.mine)}
    assert due[a.code].every_days == services.default_every_days() == 7
    assert not due[a.code].is_due and due[b.code].overdue_days == 0
    # A community default, then one grid's own cadence.
    services.set_cadence(setup.users["community_cadre"], region=setup.world.comm_a, every_days=2)
    assert {d.grid.code: d.overdue_days for d in services.due_for(worker)} == {b.code: 5, a.code: 1}
    services.set_cadence(setup.users["community_cadre"], grid=a, every_days=14)
    assert [d.grid.code for d in services.due_for(worker)] == [b.code]
    with pytest.raises(Forbidden):
        services.set_cadence(worker, grid=a, every_days=3)
    with pytest.raises(Forbidden):
        services.set_cadence(setup.users["other_street_cadre"], region=setup.world.comm_a, every_days=3)
    with pytest.raises(DomainError) as exc:
        services.set_cadence(setup.users["community_cadre"], grid=a, every_days=0)
    assert exc.value.field == "every_days"


def test_pages_and_home(setup):
    c = Client()
    c.force_login(setup.users["grid_worker"])
    home = c.get("/").content.decode()
    assert 'id="todo-grid_patrol"' in home or "grid_patrol" in home
    page = c.get("/patrols/")
    assert page.status_code == 200
    html = page.content.decode()
    assert all(f'data-grid="{g.code}"' in html for g in setup.mine) and setup.other.code not in html
    # Two bad fields are reported at once and nothing is written.
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    bad = c.post("/patrols/new/", {"grid": setup.mine[0].code, "on": tomorrow.isoformat(), "minutes": "0"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert text.count('class="errorlist"') >= 1 and "minutes" in text and not Patrol.objects.exists()
    ok = c.post(
        "/patrols/new/",
        {
            "grid": setup.mine[0].code,
            "on": timezone.localdate().isoformat(),
            "finding_0": "井盖松动",
            "idempotency_key": "x1",
        },
    )
    assert ok.status_code == 302
    p = Patrol.objects.get()
    assert c.get(ok["Location"]).status_code == 200 and p.findings.count() == 1
    # A grid that is not theirs is not offered.
    other = c.post("/patrols/new/", {"grid": setup.other.code, "on": timezone.localdate().isoformat()})
    assert other.status_code == 400 and Patrol.objects.count() == 1


def test_api(setup):
    c = Client()
    c.force_login(setup.users["grid_worker"])
    due = c.get("/api/v1/patrols/due").json()
    assert {d["grid"] for d in due} == {g.code for g in setup.mine}
    body = {"grid": setup.mine[1].code, "findings": [{"description": "绿化带垃圾堆积"}]}
    r = c.post("/api/v1/patrols", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="p1")
    assert r.status_code == 201, r.content
    r2 = c.post("/api/v1/patrols", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="p1")
    assert r2.json()["id"] == r.json()["id"] and ServiceRequest.objects.count() == 1
    bad = c.post("/api/v1/patrols", {"grid": setup.other.code}, content_type="application/json")
    assert bad.status_code == 403
    missing = c.post("/api/v1/patrols", {"grid": "NOPE"}, content_type="application/json")
    assert missing.status_code == 404 and missing.json()["field"] == "grid"
    listing = c.get("/api/v1/patrols").json()
    assert [p["grid"] for p in listing] == [setup.mine[1].code]


def test_burden_meter_counts_the_record(setup):
    """Recording a patrol is a platform demand of a few minutes (burden.platform's patrol_record), once."""
    from gongzhi.burden.models import DemandItem
    from gongzhi.burden.platform import STANDARD
    from gongzhi.core import events

    p, _ = services.record_patrol(setup.users["grid_worker"], grid=setup.mine[0])
    events.dispatch_pending()
    items = DemandItem.objects.filter(source_ref=f"patrol:{p.pk}")
    assert items.count() == 1 and items.get().minutes == STANDARD["patrol_record"].minutes
    events.dispatch_pending(rescan=True)
    assert DemandItem.objects.filter(source_ref=f"patrol:{p.pk}").count() == 1
