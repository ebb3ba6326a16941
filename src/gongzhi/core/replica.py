"""Reads from a read replica (a streaming standby) for dashboards and public pages.

With ``DATABASE_REPLICA_URL`` set, ``settings`` adds a ``replica`` database and :class:`ReplicaRouter`.
Only views wrapped in :func:`reads` (the command centre's figure pages, wall, brief and map layers; the
public figures; the public ledger's checkpoint, tiles and proofs) read from it, and only for the records
they show: every write, every read elsewhere, every read inside a transaction on ``default`` (it must see
its own writes), accounts, sessions, roles and permissions (``org``), the cache table, the task queue and
every migration stay on ``default``. Without the setting, :func:`reads` changes nothing.

Data read from the standby can lag behind the primary: :func:`data_as_of` says how fresh it is, and the
pages that show replica data print it ("数据截至 …").
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections
from django.db.models import Model
from django.utils import timezone

REPLICA = "replica"
R = TypeVar("R")

_reading: contextvars.ContextVar[bool] = contextvars.ContextVar("gongzhi_replica_reads", default=False)

# Records the dashboards and public pages aggregate, by app label; ``core`` only for these models.
REPLICA_APPS = frozenset(
    {
        "command",
        "cases",
        "ledger",
        "alerts",
        "incidents",
        "plans",
        "resources",
        "alliances",
        "volunteers",
        "assessment",
        "burden",
        "consult",
        "core",
    }
)
CORE_MODELS = frozenset({"region", "event"})


def configured() -> bool:
    return REPLICA in settings.DATABASES and "gongzhi.core.replica.ReplicaRouter" in getattr(
        settings, "DATABASE_ROUTERS", []
    )


@contextlib.contextmanager
def reading() -> Iterator[None]:
    """Within this block (and a configured replica) eligible reads go to the replica."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def reads(view: Callable[..., R]) -> Callable[..., R]:
    """Wrap a view whose reads may come from the replica."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> R:
        with reading():
            return view(*args, **kwargs)

    return wrapper


def _eligible(model: type[Model]) -> bool:
    meta = model._meta
    if meta.app_label not in REPLICA_APPS:
        return False
    return meta.app_label != "core" or meta.model_name in CORE_MODELS


class ReplicaRouter:
    """Reads in :func:`reading` blocks to ``replica``; everything else, writes and migrations to ``default``."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if not _reading.get() or REPLICA not in settings.DATABASES or not _eligible(model):
            return None
        if connections["default"].in_atomic_block:
            return None  # a transaction reads what it wrote
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        # The replica holds the same rows as default: objects from either may be related.
        return {obj1._state.db, obj2._state.db} <= {"default", REPLICA, None}

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == "default"


def data_as_of() -> dt.datetime | None:
    """How fresh replica data is, for pages that show it: None when no replica is in use (the data is
    current). On a PostgreSQL standby: now when it has replayed everything it received, otherwise the
    commit time of the last transaction it replayed (``pg_last_xact_replay_timestamp()``)."""
    if not (_reading.get() and configured()):
        return None
    conn = connections[REPLICA]
    if conn.vendor != "postgresql":
        return timezone.now()
    with conn.cursor() as cur:
        cur.execute(
            "SELECT pg_is_in_recovery(), pg_last_xact_replay_timestamp(), "
            "pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn()"
        )
        in_recovery, replayed_at, caught_up = cur.fetchone()
    if not in_recovery or caught_up or replayed_at is None:
        return timezone.now()
    return replayed_at


def lag_seconds() -> float | None:
    """Seconds the replica is behind (0 when caught up), or None without a replica."""
    as_of = data_as_of()
    return None if as_of is None else max(0.0, (timezone.now() - as_of).total_seconds())
