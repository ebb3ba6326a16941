"""Rate limits hold across worker processes (issue 17, item 10).

As found: the intake form's limit (20 posts a minute per address) was counted in each gunicorn
worker's memory, so with several workers 60 posts from one address got 40 through instead of 20.
Now django-ratelimit counts in the shared cache: Redis when ``GONGZHI_CACHE_URL`` is set, otherwise
the database cache with an atomic increment (``gongzhi.security.cache``). The cross-process tests
start two separate Python processes that post at the same moment against the same database (and the
same Redis); they need PostgreSQL (the SQLite test database lives in memory, in one process).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from django.conf import settings
from django.core import checks
from django.core.cache import caches
from django.db import connection, connections
from django.test import Client

from gongzhi.cases import views


def test_the_cache_is_shared_and_ratelimit_accepts_it():
    backend = settings.CACHES[settings.RATELIMIT_USE_CACHE]["BACKEND"]
    assert backend in ("gongzhi.security.cache.DatabaseCache", "django.core.cache.backends.redis.RedisCache")
    errors = [e for e in checks.run_checks(tags=[checks.Tags.caches]) if e.is_serious()]
    assert errors == []


def test_a_redis_url_selects_redis():
    env = dict(os.environ, GONGZHI_CACHE_URL="redis://127.0.0.1:6379/15", DJANGO_SETTINGS_MODULE="gongzhi.settings")
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import django; django.setup(); from django.conf import settings as s; "
                "print(s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION'])"
            ),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["django.core.cache.backends.redis.RedisCache", "redis://127.0.0.1:6379/15"]


def test_intake_form_limit_in_one_process(db):
    c = Client()
    codes = [c.post("/requests/new/", {"description": ""}, REMOTE_ADDR="10.7.0.1").status_code for _ in range(21)]
    assert codes == [400] * 20 + [429]  # 20 counted (an empty form is refused, but it counts), then limited
    r = c.post("/requests/new/", {"description": ""}, REMOTE_ADDR="10.7.0.1")
    assert r.status_code == 429 and "提交过于频繁" in r.content.decode()
    assert c.post("/requests/new/", {"description": ""}, REMOTE_ADDR="10.7.0.2").status_code == 400


# ------------------------------------------------------------------ across processes (PostgreSQL)

WORKER = textwrap.dedent("""
    import json, os, sys, time
    import gongzhi.settings_test as s
    if os.environ.get("H_LOCKS_LOCMEM"):
        # The old arrangement: each process counts in its own memory.
        s.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    import django
    django.setup()
    from django.test import Client
    from gongzhi.cases import views
    views.RATE_WINDOW = 3600  # one window for the whole test: no boundary falls inside it
    ip, n = sys.argv[1], int(sys.argv[2])
    c = Client(HTTP_HOST="127.0.0.1")
    assert c.get("/requests/new/").status_code == 200  # warm up: imports and first queries before the start
    print("ready", flush=True)
    sys.stdin.readline()  # both processes start posting together
    codes = []
    for _ in range(n):
        r = c.post("/requests/new/", {"description": ""}, REMOTE_ADDR=ip)
        # 400: the (empty) form was let through to validation; 429: limited
        assert r.status_code == 429 or 'name="description"' in r.content.decode(), r.status_code
        codes.append(r.status_code)
    print(json.dumps(codes), flush=True)
""")


def _posts_in_two_processes(env_extra: dict, n: int = 30) -> list[int]:
    db = connection.settings_dict
    url = f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="gongzhi.settings_test", **env_extra)
    env.pop("GONGZHI_CACHE_URL", None) if "GONGZHI_CACHE_URL" not in env_extra else None
    env.pop("GONGZHI_REDIS_URL", None)
    ip = f"10.{random.randrange(1, 250)}.{random.randrange(1, 250)}.{random.randrange(1, 250)}"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, ip, str(n)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for p in procs:
        line = p.stdout.readline()
        assert line.strip() == "ready", p.communicate()[1][-3000:]
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    codes = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-3000:]
        codes += json.loads(out.strip().splitlines()[-1])
    return codes


def _pg():
    if connection.vendor != "postgresql":
        pytest.skip("two processes share the test database only on PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_sixty_posts_from_two_processes_get_twenty_through_database_cache():
    _pg()
    codes = _posts_in_two_processes({})
    assert len(codes) == 60 and codes.count(400) == 20 and codes.count(429) == 40


@pytest.mark.django_db(transaction=True)
def test_sixty_posts_from_two_processes_get_twenty_through_redis():
    _pg()
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    codes = _posts_in_two_processes({"GONGZHI_CACHE_URL": "redis://127.0.0.1:6379/15"})
    assert len(codes) == 60 and codes.count(400) == 20 and codes.count(429) == 40


@pytest.mark.django_db(transaction=True)
def test_as_found_per_process_counters_let_forty_through():
    """The reproduction: with each process counting in its own memory, 40 of 60 got through."""
    _pg()
    codes = _posts_in_two_processes({"H_LOCKS_LOCMEM": "1"})
    assert codes.count(400) == 40 and codes.count(429) == 20


@pytest.mark.django_db(transaction=True)
def test_database_cache_increment_loses_no_count_under_concurrency():
    """Six threads, each with its own connection and its own cache object, increment one key 50 times."""
    _pg()
    caches["default"].set("h-locks-counter", 0, 300)
    barrier = threading.Barrier(6)
    errors = []

    def worker():
        try:
            cache = caches.create_connection("default")
            barrier.wait()
            for _ in range(50):
                cache.incr("h-locks-counter")
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(e))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert caches["default"].get("h-locks-counter") == 300


def test_increment_of_a_missing_or_expired_key_raises(db):
    cache = caches["default"]
    with pytest.raises(ValueError):
        cache.incr("h-locks-missing")
    cache.set("h-locks-expired", 5, 1)
    assert cache.incr("h-locks-expired", 2) == 7
    time.sleep(2.1)
    with pytest.raises(ValueError):
        cache.incr("h-locks-expired")


def test_add_opens_a_key_once_and_again_after_it_expired(db):
    cache = caches["default"]
    assert cache.add("h-locks-add", 0, 1) is True
    assert cache.add("h-locks-add", 5, 1) is False and cache.get("h-locks-add") == 0
    time.sleep(2.1)
    assert cache.add("h-locks-add", 7, 60) is True and cache.get("h-locks-add") == 7


@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_of_one_key_open_it_once():
    _pg()
    barrier = threading.Barrier(6)
    results = []

    def worker():
        try:
            cache = caches.create_connection("default")
            barrier.wait()
            results.append(cache.add("h-locks-race", 0, 300))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 5 + [True]


def test_behind_a_proxy_each_client_has_its_own_limit(db, settings, monkeypatch):
    """Behind nginx every request comes from the proxy's address: with GONGZHI_CLIENT_IP_HEADER the
    limit is per client again; without it the header is ignored (a client cannot pick its address)."""
    monkeypatch.setattr(views, "RATE_LIMIT", 2)
    c = Client()

    def post(real_ip):
        return c.post(
            "/requests/new/", {"description": ""}, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP=real_ip
        ).status_code

    assert [post(f"10.6.0.{i}") for i in range(3)] == [400, 400, 429]  # one bucket: the proxy's
    settings.GONGZHI_CLIENT_IP_HEADER = "X-Real-IP"
    assert [post("10.6.1.1") for _ in range(3)] == [400, 400, 429]
    assert post("10.6.1.2") == 400  # another client behind the same proxy


def test_migrate_makes_the_cache_table(db):
    """`gongzhi migrate` (as `make run` does) ends with the database cache's table in place."""
    from django.core.management.sql import emit_post_migrate_signal

    table = settings.CACHES["default"].get("LOCATION")
    if settings.CACHES["default"]["BACKEND"] != "gongzhi.security.cache.DatabaseCache":
        pytest.skip("the cache is Redis here")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {connection.ops.quote_name(table)}")
    assert table not in connection.introspection.table_names()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert table in connection.introspection.table_names()
    assert caches["default"].add("h-locks-after-migrate", 1, 60) is True
