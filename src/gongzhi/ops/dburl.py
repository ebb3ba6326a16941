"""``DATABASE_URL`` → Django's ``DATABASES["default"]``, multi-host PostgreSQL URLs included.

libpq accepts several hosts in one URL, ``postgresql://u@h1:5432,h2:5433/db?target_session_attrs=read-write``,
and tries them in turn (psycopg 3 tries each host itself and moves on after any connection error); with
``target_session_attrs=read-write`` it keeps only a host that accepts writes, so after a failover a new
connection finds the new primary. dj-database-url refuses such a URL, so this module parses it: the hosts
and ports become Django's ``HOST`` and ``PORT`` as comma-separated lists (passed to libpq as they are),
the query string becomes ``OPTIONS``. Every other URL goes to dj-database-url unchanged.

Behind PgBouncer in transaction pooling (``GONGZHI_PGBOUNCER=1``, see :func:`for_pgbouncer`): no
server-side cursors and no prepared statements, which PgBouncer 1.18 cannot keep across transactions.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import dj_database_url

POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "postgis")

# Query parameters that are Django settings, not libpq options.
_INT_OPTIONS = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count"}


def _split_hostports(netloc: str) -> tuple[str, str]:
    """``h1:5432,[::1]:5433,h3`` → (``h1,::1,h3``, ``5432,5433,5432``)."""
    hosts, ports = [], []
    for part in netloc.split(","):
        part = part.strip()
        if not part:
            raise ValueError("empty host in a multi-host database URL")
        if part.startswith("["):  # [IPv6]:port
            end = part.index("]")
            host, rest = part[1:end], part[end + 1 :]
            port = rest[1:] if rest.startswith(":") else ""
        elif part.count(":") == 1:
            host, port = part.split(":")
        else:
            host, port = part, ""
        if port and not port.isdigit():
            raise ValueError(f"port {port!r} is not a number in a multi-host database URL")
        hosts.append(unquote(host))
        ports.append(port or "5432")
    return ",".join(hosts), ",".join(ports)


def parse(url: str, *, conn_max_age: int = 0, conn_health_checks: bool = False) -> dict[str, Any]:
    """Django's database settings for ``url``; a PostgreSQL URL may name several ``host:port`` pairs."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    if parts.scheme not in POSTGRES_SCHEMES or "," not in netloc:
        return dict(dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=conn_health_checks))
    userinfo = parts.netloc.rpartition("@")[0]
    user, _, password = userinfo.partition(":")
    host, port = _split_hostports(netloc)
    options: dict[str, Any] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        options[key] = int(value) if key in _INT_OPTIONS and value.isdigit() else value
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(user),
        "PASSWORD": unquote(password),
        "HOST": host,
        "PORT": port,
        "OPTIONS": options,
        "CONN_MAX_AGE": conn_max_age,
        "CONN_HEALTH_CHECKS": conn_health_checks,
        "DISABLE_SERVER_SIDE_CURSORS": False,
    }


def for_pgbouncer(db: dict[str, Any]) -> dict[str, Any]:
    """The settings of ``db`` for PgBouncer in transaction pooling: a transaction may run on another
    server connection than the one before, so neither a named cursor (a ``WITH HOLD`` cursor outlives
    the transaction) nor a prepared statement may be left on a server connection."""
    db["DISABLE_SERVER_SIDE_CURSORS"] = True
    db.setdefault("OPTIONS", {})["prepare_threshold"] = None
    return db


def pgbouncer_enabled(environ: os._Environ[str] | dict[str, str] | None = None) -> bool:
    return (environ if environ is not None else os.environ).get("GONGZHI_PGBOUNCER", "0") == "1"
