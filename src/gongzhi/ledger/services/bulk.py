"""Writing leaves in bulk: one binary ``COPY … FROM STDIN`` on PostgreSQL (streamed while the entries are
built, :func:`_copy_leaves`), one ``executemany`` elsewhere (:func:`_insert_leaves`); the idempotency
query by event id. The speed-up seam of the ledger: :func:`gongzhi.ledger.services.append.append_events`
is the only caller."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from django.db import connection

from ..models import Leaf
from .entries import _entries, _iter_entries, _region_codes
from .errors import LedgerError

_sha256 = hashlib.sha256


def _pg_cursor():
    """A server-side-binding psycopg cursor on Django's connection (same transaction).

    Django binds parameters client-side; binary array parameters (``%b``) need this.
    """
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def _insert_columns(model, fields: list[str], columns: list[list]) -> None:
    """Bulk insert rows given column by column, in one statement per table and batch.

    PostgreSQL: one binary ``COPY … FROM STDIN`` (psycopg encodes the rows in C).
    Elsewhere: one ``executemany``.
    """
    if not columns or not columns[0]:
        return
    qn = connection.ops.quote_name
    meta = model._meta
    table = qn(meta.db_table)
    cols = ", ".join(qn(meta.get_field(f).column) for f in fields)
    if connection.vendor == "postgresql":
        types = [meta.get_field(f).db_type(connection).split("(")[0] for f in fields]
        with _pg_cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            write = copy.write_row
            for row in zip(*columns, strict=True):
                write(row)
        return
    with connection.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(fields))})",
            list(zip(*columns, strict=True)),
        )


def _existing_ids(uuids: list[uuid.UUID], stored: list) -> set[str]:
    """Which of these event ids are already leaves (as text), in one query per 999 ids.

    ``stored`` are the same ids as the database column holds them.
    """
    table = connection.ops.quote_name(Leaf._meta.db_table)
    if not uuids:
        return set()
    if connection.vendor == "postgresql":
        with _pg_cursor() as raw:
            raw.execute(f"SELECT event_id FROM {table} WHERE event_id = ANY(%b::uuid[])", [uuids])
            return {str(row[0]) for row in raw.fetchall()}
    found: set[str] = set()
    with connection.cursor() as cur:
        for start in range(0, len(stored), 999):
            chunk = stored[start : start + 999]
            cur.execute(f"SELECT event_id FROM {table} WHERE event_id IN ({', '.join(['%s'] * len(chunk))})", chunk)
            found.update(str(_uuid(row[0])) for row in cur.fetchall())
    return found


def _sqlite_datetime(dt: datetime) -> str:
    """What Django's SQLite backend stores for a datetime (naive UTC text), without its overhead."""
    if dt.tzinfo is not None:
        if dt.tzinfo is not UTC:
            dt = dt.astimezone(UTC)
        dt = dt.replace(tzinfo=None)
    return str(dt)


def _sqlite_datetime_from_iso(iso: str) -> str:
    """:func:`_sqlite_datetime` from the entry's ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` text.

    ``str()`` of a naive datetime omits the fraction when it is zero.
    """
    if iso[20:26] == "000000":
        return iso[:10] + " " + iso[11:19]
    return iso[:10] + " " + iso[11:26]


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


LEAF_FIELDS = ["index", "event_id", "event_type", "record", "occurred_at", "entry", "leaf_hash", "salts", "appended_at"]


def _insert_leaves(size0: int, events: list, ids: list[str], stored_ids: list, now) -> list[bytes]:
    """Build the leaves and insert them with one ``executemany``; returns the leaf hashes."""
    built = _entries(events, ids)
    entries = [b[0] for b in built]
    hashes = [_sha256(b"\x00" + entry).digest() for entry in entries]  # RFC 9162 leaf hashes
    if connection.vendor == "sqlite":
        occurred = [_sqlite_datetime_from_iso(b[2]) for b in built]
    else:
        occurred = [connection.ops.adapt_datetimefield_value(e.occurred_at) for e in events]
    _insert_columns(
        Leaf,
        LEAF_FIELDS,
        [
            list(range(size0, size0 + len(events))),
            stored_ids,
            [e.type for e in events],
            [f"{e.aggregate_type}:{e.aggregate_id}"[:130] for e in events],
            occurred,
            entries,
            hashes,
            [b[1] for b in built],
            [now] * len(events),
        ],
    )
    return hashes


def _streamable(events: list) -> bool:
    """True if building these entries cannot query the database (no deferred model fields)."""
    for e in events:
        deferred = getattr(e, "get_deferred_fields", None)
        if deferred is not None and deferred():
            return False
    return True


def _no_queries(execute, sql, params, many, context):
    raise LedgerError(f"query while the leaf COPY holds the connection (it would wait forever): {sql[:80]}")


def _copy_leaves(size0: int, events: list, ids: list[str], stored_ids: list, now) -> list[bytes]:
    """PostgreSQL: stream the leaves into one binary ``COPY`` as they are built.

    psycopg sends the rows in 32 kB chunks while the next entries are being built, so
    the server inserts (and indexes) one part of the batch while this process builds
    the next: the two CPUs overlap.  Returns the leaf hashes.
    """
    meta = Leaf._meta
    qn = connection.ops.quote_name
    cols = ", ".join(qn(meta.get_field(f).column) for f in LEAF_FIELDS)
    types = [meta.get_field(f).db_type(connection).split("(")[0] for f in LEAF_FIELDS]
    hashes: list[bytes] = []
    add = hashes.append
    # Nothing below may query the database: the COPY holds the connection until it ends.
    regions = _region_codes(events)
    sql = f"COPY {qn(meta.db_table)} ({cols}) FROM STDIN (FORMAT BINARY)"
    with connection.execute_wrapper(_no_queries), _pg_cursor() as cur, cur.copy(sql) as copy:
        copy.set_types(types)
        write = copy.write_row
        index = size0
        built = _iter_entries(events, ids, regions)
        for e, sid, (entry, salts, _iso_text) in zip(events, stored_ids, built, strict=True):
            lh = _sha256(b"\x00" + entry).digest()  # RFC 9162 leaf hash
            add(lh)
            occurred = e.occurred_at
            if occurred.tzinfo is None:  # naive times are UTC, as in the entry
                occurred = occurred.replace(tzinfo=UTC)
            write((index, sid, e.type, f"{e.aggregate_type}:{e.aggregate_id}"[:130], occurred, entry, lh, salts, now))
            index += 1
    return hashes
