"""The read-replica router: dashboards and public pages read from ``replica`` (here a test mirror of
default), everything else, every write, every read inside a transaction and every migration stays on
default; the pages that read from the replica say how fresh the data is; without the router nothing
changes."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connections, router, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from gongzhi.cases.models import ServiceRequest
from gongzhi.command.models import DailyRollup
from gongzhi.core import replica
from gongzhi.core.models import ApiToken, Event, Region
from gongzhi.ledger.models import Leaf
from gongzhi.org.models import StaffRole

ROUTED = override_settings(DATABASE_ROUTERS=["gongzhi.core.replica.ReplicaRouter"])
BOTH = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


def test_the_router_sends_only_eligible_reads_in_reading_blocks_to_the_replica():
    r = replica.ReplicaRouter()
    for model in (ServiceRequest, DailyRollup, Leaf, Region, Event):
        assert r.db_for_read(model) is None  # outside a reading block: default
    with replica.reading():
        for model in (ServiceRequest, DailyRollup, Leaf, Region, Event):
            assert r.db_for_read(model) == "replica", model
        # accounts, sessions, roles and permissions, tokens: always fresh, from default
        for model in (get_user_model(), Session, StaffRole, ApiToken):
            assert r.db_for_read(model) is None, model
        for model in (ServiceRequest, get_user_model()):
            assert r.db_for_write(model) == "default"
    assert r.allow_migrate("default", "cases") and not r.allow_migrate("replica", "cases")
    assert not r.allow_migrate("replica", "ledger", model_name="leaf")


@BOTH
def test_a_transaction_reads_its_own_writes_from_default():
    with ROUTED, replica.reading():
        assert router.db_for_read(ServiceRequest) == "replica"
        with transaction.atomic():
            assert router.db_for_read(ServiceRequest) == "default"
        assert router.db_for_read(ServiceRequest) == "replica"


def _queries(client, url, alias):
    with CaptureQueriesContext(connections[alias]) as q:
        resp = client.get(url)
    return resp, len(q.captured_queries)


@BOTH
def test_dashboards_and_public_ledger_pages_read_from_the_replica(users, world):
    c = Client()
    c.force_login(users["district_admin"])
    code = world.district.code
    with ROUTED:
        assert replica.configured()
        for url in (f"/command/{code}/", f"/command/{code}/wall/panel/", "/requests/figures/"):
            resp, n = _queries(c, url, "replica")
            assert resp.status_code == 200, url
            assert n > 0, url
            page = resp.content.decode()
            assert "数据截至" in page and 'id="data-as-of"' in page, url
        # the desk, where staff act on what they see, stays on default
        resp, n = _queries(c, f"/command/{code}/desk/", "replica")
        assert resp.status_code == 200 and n == 0 and "数据截至" not in resp.content.decode()
        # the public record (no checkpoint yet: 404, read from the replica all the same)
        resp, n = _queries(Client(), "/ledger/checkpoint", "replica")
        assert resp.status_code == 404 and n > 0
        # a page that is not a dashboard: default only
        resp, n = _queries(c, "/requests/", "replica")
        assert n == 0


@BOTH
def test_without_the_router_nothing_changes(users, world):
    c = Client()
    c.force_login(users["district_admin"])
    assert not replica.configured()
    resp, n = _queries(c, f"/command/{world.district.code}/", "replica")
    assert resp.status_code == 200 and n == 0 and "数据截至" not in resp.content.decode()
    with replica.reading():
        assert router.db_for_read(ServiceRequest) == "default" and replica.data_as_of() is None


@BOTH
def test_rows_written_on_default_are_read_through_the_replica(world):
    """The mirror sees committed rows: what the dashboards read is the primary's data, later."""
    with ROUTED, replica.reading():
        n_default = Region.objects.using("default").count()
        assert Region.objects.all().db == "replica"
        assert Region.objects.count() == n_default > 0
        assert replica.lag_seconds() is not None and replica.lag_seconds() < 5


@BOTH
def test_the_rollups_own_lag_is_part_of_data_as_of(world):
    import datetime as dt

    from django.utils import timezone

    from gongzhi.command import queries

    with ROUTED, replica.reading():
        assert abs((queries.data_as_of() - timezone.now()).total_seconds()) < 5
        waiting = timezone.now() - dt.timedelta(hours=1)
        Event.objects.create(
            type="cases.request.submit", occurred_at=waiting, aggregate_type="service_request", aggregate_id="x"
        )  # not yet taken in by the rollups
        assert queries.data_as_of() == waiting
    assert queries.data_as_of() is None  # outside a replica-reading page: nothing shown
