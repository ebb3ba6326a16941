"""The PostgreSQL fast write path of intake: a new request, its transitions and its events in ONE
statement (:func:`gongzhi.core.bulksql.insert_with_dependants`).

This is a speed-up only: :func:`write_intake` is the one function ``services.submit`` calls, and
when it answers ``None`` (SQLite, or an id block gone stale) ``submit`` writes through the ORM as
usual, with the same result. Nothing here decides anything about a request.

Request ids are taken from the table's sequence in blocks on PostgreSQL, so the number (date + id)
is known before the insert; elsewhere the id comes from the insert.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable

from django.db import connection

from gongzhi.core import bulksql

from .models import ServiceRequest

ID_BLOCK = 32
_ids_lock = threading.Lock()
_ids: collections.deque = collections.deque()
_ids_db: tuple | None = None


def _next_request_id() -> int | None:
    global _ids_db
    if connection.vendor != "postgresql":
        return None
    db = (
        connection.settings_dict.get("HOST"),
        connection.settings_dict.get("PORT"),
        connection.settings_dict.get("NAME"),
    )
    with _ids_lock:
        if _ids_db != db:
            _ids.clear()
            _ids_db = db
        if not _ids:
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [ServiceRequest._meta.db_table, ID_BLOCK],
                )
                _ids.extend(sorted(r[0] for r in cur.fetchall()))
        return _ids.popleft()


def _forget_ids() -> None:
    with _ids_lock:
        _ids.clear()


def write_intake(req: ServiceRequest, records: Callable, prior: Callable) -> tuple[ServiceRequest, bool] | None:
    """Write the new request ``req`` (not saved) with the records of its intake in one statement.

    ``records(req)`` numbers the request (its id is set) and returns ``(transitions, events)``;
    ``prior(req)`` is the request an earlier submission with the same idempotency key created, or None.
    Returns ``(req, True)`` when written, ``(prior, False)`` when the idempotency key was taken (nothing
    written), and ``None`` when this path does not apply (not PostgreSQL, or the id block went stale
    because the sequence was reset, e.g. by a bulk load): the caller then writes through the ORM.

    Being one statement it needs no transaction of its own (inside a caller's, it is part of that one).
    """
    pk = _next_request_id()
    if pk is None:
        return None
    req.pk = pk
    transitions, events = records(req)
    if bulksql.insert_with_dependants(req, [transitions, events]):
        return req, True
    earlier = prior(req)
    if earlier is not None:
        return earlier, False
    _forget_ids()
    return None
