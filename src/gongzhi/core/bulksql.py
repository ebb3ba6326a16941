"""One round trip for a row and its dependants on PostgreSQL.

A hot write path (request intake) stores one parent row and a few dependent rows (transitions,
outbox events). Through the ORM that is one statement each, plus a savepoint to catch a repeated
idempotency key. Here the same model instances become a single statement of data-modifying CTEs,
each table's rows passed as one JSON array and typed by the table itself::

    WITH p AS (INSERT INTO parent (…) SELECT … FROM jsonb_populate_recordset(NULL::parent, %s)
               ON CONFLICT DO NOTHING RETURNING 1),
         d0 AS (INSERT INTO child (…) SELECT v.… FROM p, jsonb_populate_recordset(NULL::child, %s) AS v)
    SELECT count(*) FROM p

If the parent collides with an existing row on any unique column, nothing at all is written and
the statement returns 0; the caller decides what the collision means. Every value goes through its
field's ``pre_save`` and ``get_db_prep_save`` (JSON fields keep their Python value), so the rows
are what ``save()`` / ``bulk_create`` would write. Signals are not sent (as with ``bulk_create``).

The statements of the hot path run through :func:`cursor`: on PostgreSQL a server-side binding
cursor whose statements are prepared on first use and kept by the connection, so each later call
skips parsing and planning (Django itself never prepares: its default ``prepare_threshold`` is
``None``). ``GONGZHI_DB_PREPARE=0`` turns that off, e.g. behind a pooler that cannot keep prepared
statements.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
import os
import uuid

from django.db import connection
from django.db.models import Field, JSONField

_PREPARE = os.environ.get("GONGZHI_DB_PREPARE", "1") != "0"


@functools.cache
def _prepared_class():
    import psycopg  # only when PostgreSQL is in use

    class PreparedCursor(psycopg.Cursor):
        """Server-side binding; every statement prepared on first use (psycopg keeps up to
        ``prepared_max`` per connection and re-prepares one the server has dropped)."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparedCursor


def cursor():
    """A cursor for statements run on every call of a hot path, used like ``connection.cursor()``
    (Django's wrapper: its error translation and execute wrappers apply). On PostgreSQL the
    statements are prepared, so a repeated one is neither parsed nor planned again."""
    if connection.vendor != "postgresql" or not _PREPARE:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django connects with None, which turns preparing off even for ``prepare=True``. Django's own
        # cursors bind on the client and are never prepared, so only this cursor's statements are.
        raw.prepare_threshold = 2**31 - 1
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_prepared_class()(raw))


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _plain(value):
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, decimal.Decimal)):
        return str(value)
    raise TypeError(f"cannot pass {type(value).__name__} through JSON")


@functools.cache
def _shape(model, parent: bool):
    # Columns the database fills itself (identity keys without a value) are left out of dependants.
    fields = [f for f in model._meta.concrete_fields if parent or not (f.primary_key and f.db_returning)]
    qn = connection.ops.quote_name
    return fields, qn(model._meta.db_table), ", ".join(qn(f.column) for f in fields)


@functools.cache
def _readers(model, parent: bool):
    """Per column: (column, attname, field or None). The field is kept only where reading the attribute
    is not enough: a field whose ``pre_save`` does more than read it (``auto_now`` …)."""
    out = []
    for f in _shape(model, parent)[0]:
        plain_read = type(f).pre_save is Field.pre_save
        out.append((f.column, f.attname, None if plain_read else f, f, isinstance(f, JSONField)))
    return out


def _rows_json(objs, model, parent: bool) -> str:
    rows = []
    for obj in objs:
        row = {}
        values = obj.__dict__
        for column, attname, pre, f, is_json in _readers(model, parent):
            value = pre.pre_save(obj, True) if pre is not None else values[attname]
            # Plain values are what the field would send; the rest (datetimes, UUIDs …) go through the field.
            if type(value) not in _PLAIN and not is_json:
                value = f.get_db_prep_save(value, connection)
            row[column] = value
        rows.append(row)
    return json.dumps(rows, ensure_ascii=False, default=_plain)


@functools.cache
def _statement(parent_model, dependant_models: tuple) -> str:
    _f, table, cols = _shape(parent_model, True)
    parts = [
        f"p AS (INSERT INTO {table} ({cols}) SELECT {cols} FROM jsonb_populate_recordset(NULL::{table}, %s) "
        f"ON CONFLICT DO NOTHING RETURNING 1)"
    ]
    for i, model in enumerate(dependant_models):
        _f, table, cols = _shape(model, False)
        vcols = ", ".join(f"v.{c}" for c in cols.split(", "))
        parts.append(
            f"d{i} AS (INSERT INTO {table} ({cols}) SELECT {vcols} "
            f"FROM p, jsonb_populate_recordset(NULL::{table}, %s) AS v)"
        )
    return "WITH " + ", ".join(parts) + " SELECT count(*) FROM p"


def insert_with_dependants(parent, dependants) -> bool:
    """Insert ``parent`` (a model instance with its primary key set) and, only if it was inserted,
    every instance in ``dependants`` (a list of lists of instances of one model each). Returns
    whether the parent was inserted (False: it collided with an existing row; nothing written)."""
    assert connection.vendor == "postgresql"
    dependants = [d for d in dependants if d]
    params = [_rows_json([parent], type(parent), True)]
    params += [_rows_json(objs, type(objs[0]), False) for objs in dependants]
    with cursor() as cur:
        cur.execute(_statement(type(parent), tuple(type(objs[0]) for objs in dependants)), params)
        return cur.fetchone()[0] == 1


def update_rows(objs, fields, *, batch: int = 500) -> None:
    """Write ``fields`` of these saved instances (one model) back by primary key, in one ``UPDATE … FROM
    (VALUES …)`` per batch (PostgreSQL and SQLite ≥ 3.33). ``QuerySet.bulk_update`` builds a CASE per row
    and field, whose compilation cost more than the whole rollup batch it was writing."""
    if not objs:
        return
    model = type(objs[0])
    qn = connection.ops.quote_name
    pk = model._meta.pk
    fields = [model._meta.get_field(name) for name in fields]
    row = "(" + ", ".join(f"CAST(%s AS {f.cast_db_type(connection)})" for f in (pk, *fields)) + ")"
    table = qn(model._meta.db_table)
    sets = ", ".join(f"{qn(f.column)} = v.column{i}" for i, f in enumerate(fields, start=2))
    with connection.cursor() as cur:
        for start in range(0, len(objs), batch):
            chunk = objs[start : start + batch]
            params = []
            for obj in chunk:
                params.append(pk.get_db_prep_value(obj.pk, connection))
                params.extend(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)
            cur.execute(
                f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([row] * len(chunk))}) AS v "
                f"WHERE {table}.{qn(pk.column)} = v.column1",
                params,
            )
