"""Issue 19 items 1 and 4: each role lands on its own to-do page; logged out, `/` is the public landing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from gongzhi.core.actors import SYSTEM


@pytest.fixture(autouse=True)
def _synchronous_classifier(monkeypatch):
    from gongzhi.cases import classify, routing, services

    routing.clear()
    monkeypatch.setattr(classify, "BACKGROUND", False)
    monkeypatch.setattr(services.intake, "SUGGEST_TIMEOUT_S", None)


@pytest.fixture
def grid_of_worker(world, users):
    """The grid worker of community A is assigned to its first grid."""
    from gongzhi.org.models import Grid, GridAssignment, Person

    grid = Grid.objects.filter(region=world.comm_a).order_by("code").first()
    person = Person.objects.filter(region=world.comm_a, user__isnull=True).order_by("pk").first()
    person.user = users["grid_worker"]
    person.save(update_fields=["user"])
    GridAssignment.objects.create(
        grid=grid,
        person=person,
        region=grid.region,
        kind=GridAssignment.Kind.GRID_WORKER,
        start_date=dt.date(2026, 1, 1),
    )
    return grid


def _submit(grid, **kw):
    from gongzhi.cases import services

    req, _ = services.submit(
        SYSTEM, description="楼道堆放杂物无人清理", category="01001", lon=grid.centroid_lon, lat=grid.centroid_lat, **kw
    )
    req.refresh_from_db()
    return req


def _sections(resp):
    return {s.key: s for s in resp.context["sections"]}


def test_grid_worker_lands_on_their_open_requests(client, users, grid_of_worker):
    req = _submit(grid_of_worker)
    client.force_login(users["grid_worker"])
    resp = client.get("/")
    secs = _sections(resp)
    assert secs["grid_open"].count == 1 and secs["grid_open"].rows[0].text.startswith(req.number)
    assert {"grid_follow", "grid_bypass"} <= set(secs)
    assert "desk_waiting" not in secs  # a grid worker does not dispatch


def test_street_cadre_sees_the_dispatch_desk_and_overdue(client, users, world, grid_of_worker):
    from gongzhi.cases.models import ServiceRequest

    req = _submit(grid_of_worker)
    ServiceRequest.objects.filter(pk=req.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    client.force_login(users["street_cadre"])
    secs = _sections(client.get("/"))
    assert secs["desk_overdue"].count == 1 and secs["desk_overdue"].rows[0].urgent
    assert "meetings_due" in secs
    # another street's cadre does not see street A's request
    client.force_login(users["other_street_cadre"])
    assert _sections(client.get("/"))["desk_overdue"].count == 0


def test_department_and_auditor_sections(client, users):
    client.force_login(users["department_staff"])
    assert {"dept_summons", "dept_open"} <= set(_sections(client.get("/")))
    client.force_login(users["auditor"])
    assert set(_sections(client.get("/"))) == {"flags_open"}


def test_resident_sees_their_own_requests_and_nothing_of_staff(client, world, grid_of_worker):
    resident = get_user_model().objects.create_user("t_res", password="pw-res")
    mine = _submit(grid_of_worker, reporter_user=resident)
    _submit(grid_of_worker)  # someone else's
    client.force_login(resident)
    resp = client.get("/")
    assert resp.templates[0].name == "web/home_resident.html"
    secs = _sections(resp)
    assert set(secs) == {"my_requests", "open_topics", "my_service"}
    assert secs["my_requests"].count == 1 and secs["my_requests"].rows[0].text.startswith(mine.number)
    assert "figures" not in resp.context


def test_logged_out_home_is_the_public_landing(client, world, grid_of_worker):
    _submit(grid_of_worker)
    resp = client.get("/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "/requests/new/" in html and "/ledger/" in html and "/login/" in html
    assert resp.context["public"]["requests"] == 1
    assert [label for label, _pct in resp.context["rates"]]  # response, on-time and satisfaction rates
