"""/healthz and /readyz (and `gongzhi status`): 200 when ready, 503 with the reason when not."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings
from django.utils import timezone

from gongzhi.core.models import Event
from gongzhi.ops import services
from gongzhi.ops.models import WorkerHeartbeat

WORKERS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "ledger", "dispatch", "periodic"]}
}


@pytest.fixture(autouse=True)
def _undeclared_events_allowed(settings):
    """These tests exercise the outbox itself with made-up event types (test.*), which no app declares."""
    settings.GONGZHI_CHECK_CONTRACTS = False


@pytest.fixture
def migrated(transactional_db, settings):
    """The test database is built without migrations: record them all as applied, as `migrate` does
    (outside a transaction: SQLite creates the django_migrations table only there)."""
    settings.MIGRATION_MODULES = {}  # pytest-django's --nomigrations hides them: read the real ones
    recorder = MigrationRecorder(connection)
    recorder.ensure_schema()
    recorder.migration_qs.all().delete()
    graph = MigrationLoader(connection).graph
    for key in sorted({k for leaf in graph.leaf_nodes() for k in graph.forwards_plan(leaf)}):
        recorder.record_applied(*key)
    return recorder


def ready(client):
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


def test_healthz_answers_without_database_or_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content)["status"] == "ok"
    assert response["X-Request-ID"]


def test_ready_when_everything_holds(client, migrated):
    status, body = ready(client)
    assert status == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "worker", "ledger"}
    assert body["checks"]["ledger"]["backlog"] == 0


def test_unapplied_migration_is_not_ready(client, migrated):
    migrated.record_unapplied("ops", "0001_initial")
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["migrations"]["ok"] is False
    assert "ops.0001_initial" in body["checks"]["migrations"]["pending"]


@override_settings(TASKS=WORKERS)
def test_worker_heartbeat_missing_then_fresh_then_stale(client, migrated):
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["worker"]["ok"] is False
    assert "ever beaten" in body["checks"]["worker"]["detail"]

    services.beat("w1")
    status, body = ready(client)
    assert status == 200, body
    assert body["checks"]["worker"]["workers_alive"] == 1

    WorkerHeartbeat.objects.filter(worker_id="w1").update(beat_at=timezone.now() - dt.timedelta(seconds=90))
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["worker"]["last_beat_age_s"] >= 90


@override_settings(TASKS=WORKERS)
def test_clean_worker_stop_removes_its_beat(migrated):
    services.beat("w2")
    services.stop("w2")
    assert not WorkerHeartbeat.objects.filter(worker_id="w2").exists()


def _public_event(age: dt.timedelta) -> Event:
    return Event.objects.create(
        type="test.public",
        occurred_at=timezone.now() - age,
        aggregate_type="test",
        aggregate_id="1",
        payload={},
        public=True,
    )


def test_ledger_backlog_young_is_ready_old_is_not(client, migrated):
    _public_event(dt.timedelta(seconds=10))
    status, body = ready(client)
    assert status == 200, body
    assert body["checks"]["ledger"]["backlog"] == 1

    _public_event(dt.timedelta(minutes=10))
    status, body = ready(client)
    assert status == 503
    ledger = body["checks"]["ledger"]
    assert ledger["ok"] is False and ledger["backlog"] == 2 and ledger["oldest_age_s"] >= 600


def test_events_the_ledger_took_or_private_ones_are_no_backlog(client, migrated):
    from gongzhi.core.events import dispatch_pending

    Event.objects.create(
        type="test.private",
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        aggregate_type="test",
        aggregate_id="2",
        payload={},
        public=False,
    )
    _public_event(dt.timedelta(hours=1))
    dispatch_pending(["ledger"])
    status, body = ready(client)
    assert status == 200, body
    assert body["checks"]["ledger"]["backlog"] == 0


@override_settings(TASKS=WORKERS)
def test_status_command_prints_the_same_and_fails_when_not_ready(migrated, capsys):
    with pytest.raises(CommandError, match="worker"):
        call_command("status")
    out = capsys.readouterr().out
    assert "FAIL worker" in out and "ok   database" in out
    services.beat("w3")
    call_command("status", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "ok"
