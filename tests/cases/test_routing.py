"""The routing snapshot: resolve() answers from memory, keeps its reasons, and notices every change —
model signals, org services' bulk updates (through their org.* events), rollbacks, and other processes
(the watermark) — plus intake's query budget and the request-id blocks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from gongzhi.cases import services
from gongzhi.cases.models import ServiceRequest
from gongzhi.core.actors import SYSTEM
from gongzhi.org import responsibility
from gongzhi.org import services as org
from gongzhi.org.models import Grid, MatterCategory, ResponsibilityRule, Unit


@pytest.fixture
def grid_a(world):
    return Grid.objects.filter(region=world.comm_a).order_by("code").first()


def street_gov(world):
    return Unit.objects.get(code=f"{world.street_a.code}-GOV")


def test_warm_resolve_runs_no_query_and_keeps_every_reason(world, grid_a, django_assert_num_queries):
    responsibility.resolve("01005", grid=grid_a)
    with django_assert_num_queries(0):
        d = responsibility.resolve("01005", grid=grid_a)
        p = responsibility.resolve("01005", lon=grid_a.centroid_lon, lat=grid_a.centroid_lat)
    assert d.unit.code == f"{world.district.code}-CGJ" and p.grid == grid_a and p.unit == d.unit
    assert str(d.reasons[0]).startswith(f"位置在网格{grid_a.code}") and "权责清单" in str(d.reasons[1])
    assert str(d.reasons[-1]).startswith("办理时限") and d.as_dict()["rule"]["region"] == d.rule.region.code


def test_service_bulk_update_invalidates_through_the_org_event(world, grid_a):
    """update_unit writes with queryset.update (no model signal); its org.* event drops the snapshot."""
    org.create_category(SYSTEM, code="13", name="测试大类")
    org.create_category(SYSTEM, code="13001", name="测试事项")
    gov = street_gov(world)
    assert gov.name in responsibility.resolve("13001", grid=grid_a).explanation
    org.update_unit(SYSTEM, gov, name="街道办事处（新名）")
    assert "街道办事处（新名）" in responsibility.resolve("13001", grid=grid_a).explanation


def test_new_rule_version_takes_effect(world, grid_a):
    cat = MatterCategory.objects.get(code="02003")
    before = responsibility.resolve("02003", grid=grid_a, at=dt.datetime(2027, 2, 1, tzinfo=dt.UTC))
    dept = Unit.objects.filter(kind="department").exclude(pk=before.unit.pk).order_by("code").first()
    org.add_responsibility_rule(
        SYSTEM,
        category=cat,
        region=world.district,
        handler_level="department",
        department=dept,
        effective_from=dt.date(2027, 1, 1),
    )
    after = responsibility.resolve("02003", grid=grid_a, at=dt.datetime(2027, 2, 1, tzinfo=dt.UTC))
    assert after.unit == dept and after.rule.version == before.rule.version + 1


def test_rolled_back_change_does_not_stay_in_the_snapshot(world, grid_a):
    org.create_category(SYSTEM, code="14", name="大类")
    org.create_category(SYSTEM, code="14001", name="事项")
    assert responsibility.resolve("14001", grid=grid_a).fallback == "street"
    cat = MatterCategory.objects.get(code="14001")
    dept = Unit.objects.filter(kind="department").order_by("code").first()
    with pytest.raises(RuntimeError), transaction.atomic():
        ResponsibilityRule.objects.create(
            category=cat,
            region=world.district,
            handler_level="department",
            department=dept,
            sla="general",
            effective_from=dt.date(2020, 1, 1),
        )
        assert responsibility.resolve("14001", grid=grid_a).unit == dept  # seen inside the transaction
        raise RuntimeError("roll back")
    assert responsibility.resolve("14001", grid=grid_a).fallback == "street"


def test_other_process_change_is_seen_through_the_watermark(world, grid_a, monkeypatch):
    """A bulk update with no signal and no event (as another process's would look from here)."""
    org.create_category(SYSTEM, code="15", name="大类")
    org.create_category(SYSTEM, code="15001", name="事项")
    assert responsibility.resolve("15001", grid=grid_a).fallback == "street"
    Unit.objects.filter(region=world.street_a, kind__in=["government", "party_street"]).update(status="dissolved")
    assert responsibility.resolve("15001", grid=grid_a).fallback == "street"  # within RECHECK_SECONDS: cached
    monkeypatch.setattr(responsibility, "RECHECK_SECONDS", 0.0)
    assert responsibility.resolve("15001", grid=grid_a).fallback == "district"


def test_intake_query_budget(world, place, django_assert_max_num_queries):
    services.submit(SYSTEM, description="预热", category="01001", lon=place.lon, lat=place.lat)
    # PostgreSQL takes ids from the sequence in blocks, so the number is known before the insert: the
    # request, its three transitions and their events go in one statement. SQLite: savepoint, insert,
    # release, UPDATE for the number, transitions (one INSERT), events (one INSERT).
    with django_assert_max_num_queries(1 if connection.vendor == "postgresql" else 6):
        req, created = services.submit(
            SYSTEM,
            description="小区门口垃圾堆放多日无人清运",
            category="01001",
            lon=place.lon,
            lat=place.lat,
            idempotency_key="budget-1",
        )
    assert created and req.state == "dispatched" and req.transitions.count() == 3
    assert req.number.endswith(f"{req.pk:07d}") and ServiceRequest.objects.get(pk=req.pk).number == req.number
    again, created = services.submit(
        SYSTEM,
        description="小区门口垃圾堆放多日无人清运",
        category="01001",
        lon=place.lon,
        lat=place.lat,
        idempotency_key="budget-1",
    )
    assert not created and again.pk == req.pk and ServiceRequest.objects.filter(idempotency_key="budget-1").count() == 1


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_stale_id_block_recovers(world, place):
    """Ids come from the sequence in blocks; when the sequence is reset under them (a bulk load), the
    intake notices the clash and starts afresh, writing nothing twice."""
    a, _ = services.submit(SYSTEM, description="第一条", category="01001", lon=place.lon, lat=place.lat)
    table = ServiceRequest._meta.db_table
    with connection.cursor() as cur:  # a bulk load takes the next ids explicitly and resets the sequence
        nxt = a.pk + 1
        cur.execute(
            f"INSERT INTO {table} (id, number, token, channel, description, region_id, grid_id, lon, lat, "
            "address, anonymous, reporter_name, reporter_phone, reporter_id_number, state, routing_reason, "
            "routing, sla, escalation_level, rating, resolution, created_at, updated_at, version) "
            "SELECT %s, 'bulk-' || %s, md5(random()::text), channel, description, region_id, grid_id, lon, "
            "lat, address, anonymous, reporter_name, reporter_phone, reporter_id_number, state, "
            "routing_reason, routing, sla, escalation_level, rating, resolution, created_at, updated_at, "
            f"version FROM {table} WHERE id = %s",
            [nxt, nxt, a.pk],
        )
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [nxt + 50])
    b, created = services.submit(SYSTEM, description="第二条", category="01001", lon=place.lon, lat=place.lat)
    assert created and b.pk > nxt + 50 and b.number.endswith(f"{b.pk:07d}")


def test_intake_outside_a_transaction_commits_and_dispatches(transactional_db, monkeypatch):
    """As under gunicorn: no caller's transaction. On PostgreSQL the one statement commits by itself
    (no BEGIN/COMMIT); the outbox dispatch runs after it and finds its events; a retry writes nothing."""
    from gongzhi.core.models import DeliveryBatch, Event
    from gongzhi.demo.generator import DemoGenerator
    from gongzhi.org import geo

    gen = DemoGenerator(seed=7, scale="tiny")
    gen.build()
    gen.write()
    geo.invalidate()
    responsibility.invalidate()
    g = Grid.objects.order_by("code").first()
    assert not connection.in_atomic_block
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    services.submit(SYSTEM, description="预热", category="01001", lon=g.centroid_lon, lat=g.centroid_lat)
    with connection.execute_wrapper(count):
        req, created = services.submit(
            SYSTEM,
            description="楼道灯坏了",
            category="01001",
            lon=g.centroid_lon,
            lat=g.centroid_lat,
            idempotency_key="outside-1",
        )
    assert created and req.transitions.count() == 3
    if connection.vendor == "postgresql":  # one write for request, transitions and events (then the dispatch)
        writes = [s for s in statements if s.startswith(("INSERT", "WITH", "UPDATE")) and "cases_" in s]
        assert len(writes) == 1 and writes[0].startswith('WITH p AS (INSERT INTO "cases_servicerequest"')
    events = Event.objects.filter(aggregate_id=req.number)
    assert events.count() == 3
    last = max(e.seq for e in events)
    assert DeliveryBatch.objects.filter(last_seq__gte=last).exists()  # dispatched after the commit
    again, created = services.submit(
        SYSTEM,
        description="楼道灯坏了",
        category="01001",
        lon=g.centroid_lon,
        lat=g.centroid_lat,
        idempotency_key="outside-1",
    )
    assert not created and again.pk == req.pk and Event.objects.filter(aggregate_id=req.number).count() == 3


def test_the_stored_rows_are_the_objects_built(world, place):
    """Whatever path wrote them (one statement on PostgreSQL, the ORM on SQLite), the rows read back
    equal the request, transitions and events built in Python, field by field."""
    from gongzhi.core.models import Event

    req, _ = services.submit(
        SYSTEM,
        description="路灯不亮，晚上很黑",
        category="02003",
        lon=place.lon,
        lat=place.lat,
        address="幸福里3号",
        reporter_name="张三",
        reporter_phone="13500001111",
        idempotency_key="rows-1",
    )
    stored = ServiceRequest.objects.get(pk=req.pk)
    for f in ServiceRequest._meta.concrete_fields:
        assert getattr(stored, f.attname) == getattr(req, f.attname), f.name
    steps = [(t.action, t.from_state, t.to_state, t.unit_id, t.reason, t.at) for t in stored.transitions.all()]
    assert steps == [
        ("submit", "", "submitted", None, "", req.created_at),
        ("accept", "submitted", "accepted", None, "按权责清单自动派单", req.created_at),
        ("dispatch", "accepted", "dispatched", req.handling_unit_id, req.routing_reason, req.created_at),
    ]
    assert stored.transitions.get(action="submit").data["channel"] == "web"
    events = list(Event.objects.filter(aggregate_id=req.number).order_by("seq"))
    assert [e.type for e in events] == ["cases.request.submit", "cases.request.accept", "cases.request.dispatch"]
    assert events[0].payload["personal"] == {"name": "张三", "phone": "13500001111", "id_number": ""}
    assert all(e.region_id == req.region_id and e.public for e in events)
