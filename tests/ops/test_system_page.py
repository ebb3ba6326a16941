"""The command centre's system page and /readyz show queue depths and the ledger's lag (issue 18, item 2)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone

from gongzhi.ledger import lag
from gongzhi.ledger.models import Leaf, SignedCheckpoint
from gongzhi.ops import services, system

WORKERS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "ledger", "dispatch", "periodic"]}
}


def _leaf(index, occurred):
    return Leaf(
        index=index,
        event_id=f"00000000-0000-0000-0000-{index:012d}",
        event_type="t.x",
        record="x:1",
        occurred_at=occurred,
        entry=b"",
        leaf_hash=bytes(32),
    )


def test_lag_is_the_time_to_the_first_checkpoint_holding_the_leaf(db):
    t0 = timezone.now() - dt.timedelta(minutes=2)
    Leaf.objects.bulk_create([_leaf(i, t0 + dt.timedelta(seconds=i)) for i in range(4)])
    # Checkpoint of size 2 (leaves 0, 1) signed at t0+3 s; of size 4 at t0+10 s; leaf 3 has lag 7 s.
    for size, at in ((2, 3), (4, 10)):
        cp = SignedCheckpoint.objects.create(size=size, root=bytes(32), note="n")
        SignedCheckpoint.objects.filter(pk=cp.pk).update(signed_at=t0 + dt.timedelta(seconds=at))
    values = sorted(lag.lags(t0 - dt.timedelta(seconds=1)))
    assert values == [2.0, 3.0, 7.0, 8.0]
    s = lag.summary(window=dt.timedelta(minutes=5))
    assert (s["leaves"], s["p50_s"], s["p95_s"], s["max_s"]) == (4, 3.0, 8.0, 8.0)
    assert lag.percentile([], 0.95) is None
    assert lag.percentile(list(range(1, 101)), 0.95) == 95


def test_readyz_reports_each_queue_and_the_ledger_lag(client, db, settings):
    settings.TASKS = WORKERS
    from gongzhi.ops.tasks import probe

    probe.using(queue_name="ledger").enqueue(0)
    probe.using(queue_name="periodic").enqueue(0)
    probe.using(queue_name="periodic").enqueue(0)
    services.beat("w1", queues="ledger")
    body = client.get("/readyz").json()
    queues = body["checks"]["worker"]["queues"]
    assert set(queues) == {"default", "ledger", "dispatch", "periodic"}
    assert (queues["ledger"]["ready"], queues["periodic"]["ready"], queues["dispatch"]["ready"]) == (1, 2, 0)
    assert queues["periodic"]["oldest_ready_age_s"] >= 0
    assert set(body["checks"]["ledger"]["lag"]) == {"window_s", "leaves", "p50_s", "p95_s", "max_s"}


@pytest.mark.parametrize(
    "who, status",
    [
        ("district_admin", 200),
        ("street_cadre", 403),
        ("community_cadre", 403),
        ("grid_worker", 403),
        ("department_staff", 403),
        ("auditor", 200),
        (None, 302),
    ],
)
def test_system_page_is_for_the_district_centre(client, users, settings, who, status):
    settings.TASKS = WORKERS
    services.beat("host.ledger.0.abc.0", queues="ledger")
    if who:
        client.force_login(users[who])
    response = client.get("/ops/system/")
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert "host.ledger.0.abc.0" in html and 'id="queues"' in html and 'id="ledger"' in html


def test_superuser_may_view_and_snapshot_names_the_scheduler(db, django_user_model):
    from gongzhi.core import leases

    admin = django_user_model.objects.create_superuser("root", password="x" * 12)
    assert system.may_view(admin)
    leases.acquire("scheduler", "hostA:1:abc", dt.timedelta(seconds=20))
    assert system.snapshot()["scheduler"]["holder"] == "hostA:1:abc"


def test_the_district_centre_links_to_the_system_page_and_a_street_centre_does_not(client, users, world):
    client.force_login(users["district_admin"])
    assert "/ops/system/" in client.get(f"/command/{world.district.code}/").content.decode()
    client.force_login(users["street_cadre"])
    assert "/ops/system/" not in client.get(f"/command/{world.street_a.code}/").content.decode()


# On PostgreSQL the page asks the standby (here the test mirror of default) how far it has replayed.
@pytest.mark.django_db(
    databases=["default", "replica"] if os.environ.get("DATABASE_URL", "").startswith("postgres") else ["default"]
)
def test_system_page_says_how_far_the_read_replica_trails_when_one_is_configured(client, users, settings):
    client.force_login(users["district_admin"])
    assert 'id="replica"' not in client.get("/ops/system/").content.decode()
    settings.DATABASE_ROUTERS = ["gongzhi.core.replica.ReplicaRouter"]
    assert 'id="replica"' in client.get("/ops/system/").content.decode()


def test_system_page_shows_each_subscribers_backlog_and_lag(client, users, world, settings):
    """Per subscriber: what it wants and has not been handed (a request's events wait for the rollups and
    the ledger, not for the pool, which wants only dispatches and endings), then, once dispatched, the
    batches of the last five minutes and their lag."""
    from gongzhi.cases import services as cases
    from gongzhi.core.actors import SYSTEM
    from gongzhi.core.events import dispatch_pending
    from gongzhi.org.models import Grid

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": settings.TASK_QUEUES}
    }
    dispatch_pending()
    g = Grid.objects.filter(region=world.comm_a).order_by("code").first()
    cases.submit(SYSTEM, description="路灯不亮", category="02003", lon=g.centroid_lon, lat=g.centroid_lat)
    subs = {s["name"]: s for s in system.snapshot()["subscribers"]}
    assert subs["ledger"]["queue"] == "ledger" and subs["command.rollups"]["queue"] == "dispatch"
    assert subs["command.rollups"]["backlog"] >= 1 and subs["ledger"]["backlog"] >= 1
    assert subs["resources.pool_from_alliances"]["backlog"] == 0  # not its kind of event
    dispatch_pending()
    subs = {s["name"]: s for s in system.snapshot()["subscribers"]}
    assert subs["command.rollups"]["backlog"] == 0 and subs["command.rollups"]["handled"] >= 1
    assert subs["command.rollups"]["lag_p95_s"] is not None and subs["command.rollups"]["lag_p95_s"] >= 0
    client.force_login(users["district_admin"])
    html = client.get("/ops/system/").content.decode()
    assert 'id="subscribers"' in html and "command.rollups" in html
