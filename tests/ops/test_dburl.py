"""DATABASE_URL parsing: the multi-host PostgreSQL form that follows a failover, and PgBouncer's settings."""

from __future__ import annotations

import pytest

from gongzhi.ops import dburl


def test_multi_host_url_becomes_host_and_port_lists_with_options():
    db = dburl.parse(
        "postgresql://gongzhi:s%40cret@db1.internal:6432,db2.internal:6433/gongzhi"
        "?target_session_attrs=read-write&connect_timeout=3",
        conn_max_age=0,
    )
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"]) == ("db1.internal,db2.internal", "6432,6433")
    assert (db["NAME"], db["USER"], db["PASSWORD"]) == ("gongzhi", "gongzhi", "s@cret")
    assert db["OPTIONS"] == {"target_session_attrs": "read-write", "connect_timeout": 3}
    assert db["CONN_MAX_AGE"] == 0


def test_multi_host_default_port_and_ipv6():
    db = dburl.parse("postgres://u@[::1]:5433,10.0.0.2/app")
    assert (db["HOST"], db["PORT"]) == ("::1,10.0.0.2", "5433,5432")


def test_single_host_and_sqlite_go_to_dj_database_url():
    db = dburl.parse("postgresql://u@h:5432/app?sslmode=require", conn_max_age=60)
    assert (db["HOST"], db["PORT"], db["CONN_MAX_AGE"]) == ("h", 5432, 60)
    assert db["OPTIONS"] == {"sslmode": "require"}
    assert dburl.parse("sqlite:////tmp/x.sqlite3")["ENGINE"] == "django.db.backends.sqlite3"


def test_bad_port_is_refused():
    with pytest.raises(ValueError, match="not a number"):
        dburl.parse("postgresql://u@h1:x,h2:5432/app")


def test_libpq_accepts_the_result():
    """The lists reach libpq as Django passes them (host=…, port=… keywords)."""
    from psycopg.conninfo import conninfo_attempts, make_conninfo

    db = dburl.parse("postgresql://u@127.0.0.1:6432,127.0.0.1:6433/app?target_session_attrs=read-write")
    conninfo = make_conninfo(host=db["HOST"], port=db["PORT"], dbname=db["NAME"], user=db["USER"], **db["OPTIONS"])
    from psycopg.conninfo import conninfo_to_dict

    attempts = conninfo_attempts(conninfo_to_dict(conninfo))
    assert [(a["host"], a["port"]) for a in attempts] == [("127.0.0.1", "6432"), ("127.0.0.1", "6433")]
    assert {a["target_session_attrs"] for a in attempts} == {"read-write"}


def test_pgbouncer_settings():
    db = dburl.for_pgbouncer(dburl.parse("postgresql://u@h1:6432,h2:6432/app"))
    assert db["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert db["OPTIONS"]["prepare_threshold"] is None
    assert dburl.pgbouncer_enabled({"GONGZHI_PGBOUNCER": "1"})
    assert not dburl.pgbouncer_enabled({})
