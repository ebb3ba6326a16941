"""Appending events to the public record, signing checkpoints, proofs and receipts.

* :func:`append_events` turns public domain events into leaves in one transaction,
  idempotent by event id, writing every newly completed subtree hash (``O(log n)``).
* :func:`sign_checkpoint` signs the current tree head, after checking that it is
  consistent with the last signed checkpoint; it refuses loudly otherwise.
* :class:`DbHashStore` answers proofs with one query for ``O(log n)`` stored hashes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import operator
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from . import canonical, merkle
from .merkle import EMPTY_ROOT
from .public_fields import allowed_fields, is_structured, is_token
from .models import Head, Leaf, Node, SignedCheckpoint, WithheldEntry
from .note import Signer, Verifier, format_checkpoint, open_checkpoint, sign_note
from .tiles import MAX_ENTRY

log = logging.getLogger("gongzhi.ledger")

#: 1: ``data`` was the payload without ``personal``.  2: ``data`` is the payload projected
#: through :mod:`gongzhi.ledger.public_fields` (free text only as commitments).
ENTRY_VERSION = 2


class LedgerError(RuntimeError):
    """The ledger cannot do what was asked; the message says why."""


class InconsistentLogError(LedgerError):
    """The log's current tree is not an extension of the last signed checkpoint."""


# --------------------------------------------------------------------------- config & keys


def origin() -> str:
    return getattr(settings, "GONGZHI_LEDGER_ORIGIN", "gongzhi.local/ledger")


def key_path() -> Path:
    return Path(settings.VAR_DIR) / "ledger" / "signer.key"


def write_new_key(path: Path, name: str | None = None, force: bool = False) -> Signer:
    """Create a signer key file (mode 0600) and its ``.pub`` verifier key beside it."""
    signer = Signer.generate(name or origin())
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise LedgerError(f"{path} already exists; refusing to replace a log key (use --force)") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(signer.to_key() + "\n")
    path.with_suffix(".pub").write_text(signer.verifier.to_key() + "\n")
    return signer


_signer_cache: dict[str, Signer] = {}


def load_signer(create: bool = True) -> Signer:
    """The log key: ``GONGZHI_LEDGER_KEY`` (a key or a key file) or ``VAR_DIR/ledger/signer.key``."""
    env = os.environ.get("GONGZHI_LEDGER_KEY", "").strip()
    if env.startswith("PRIVATE+KEY+"):
        source = env
    else:
        path = Path(env) if env else key_path()
        try:
            source = path.read_text().strip()
        except FileNotFoundError:
            if env or not create:
                raise LedgerError(f"ledger signer key {path} does not exist; run `gongzhi ledger keygen`") from None
            try:
                write_new_key(path)
                log.warning("created a new ledger signer key at %s", path)
            except LedgerError:
                pass  # created concurrently by another process
            source = path.read_text().strip()
    if source not in _signer_cache:
        _signer_cache[source] = Signer.from_key(source)
    return _signer_cache[source]


# --------------------------------------------------------------------------- entries


@dataclass
class LedgerEvent:
    """The fields of a domain event the ledger reads (``core.Event`` has the same shape)."""

    event_id: Any
    type: str
    occurred_at: datetime
    aggregate_type: str
    aggregate_id: str
    payload: dict = field(default_factory=dict)
    region_code: str | None = None
    actor_id: int | None = None
    public: bool = True


def _iso(dt: datetime) -> str:
    """UTC timestamp with microseconds and a ``Z`` (naive datetimes are taken as UTC)."""
    if dt.tzinfo is not None:
        if dt.tzinfo is not UTC:
            dt = dt.astimezone(UTC)
        dt = dt.replace(tzinfo=None)
    return dt.isoformat(timespec="microseconds") + "Z"


def _digest_fallback(value: Any) -> dict:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")
    return {"sha256": hashlib.sha256(text).hexdigest()}


_S = canonical.string  # canonical JSON of one str (the standard library's C escaper)
_sha256 = hashlib.sha256


def commitment(salt: bytes, value: Any) -> str:
    """Salted hash of one personal field: ``sha256:<hex of SHA-256(salt ‖ JCS(value))>``."""
    t = type(value)
    if t is str:
        data = _S(value).encode("utf-8", "surrogatepass")
    elif t is int and -(2**53) < value < 2**53:  # JCS of a safe integer is its decimal form
        data = str(value).encode()
    elif value is None or t is bool:
        data = b"null" if value is None else b"true" if value else b"false"
    else:
        try:
            data = canonical.dumps(value)
        except Exception:
            data = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")
    return "sha256:" + _sha256(salt + data).hexdigest()


# Canonical layouts of personal objects by the tuple of their field names (events of one
# type share them): a printf template with the keys escaped and in JCS order, used for
# both the commitments and the salts, and the order in which to take the values.
_SHAPES: dict[tuple, tuple[str, Any] | None] = {}
_SHAPES_MAX = 512


def _personal_shape(names: tuple) -> tuple[str, Any] | None:
    """Template (``%s`` per value) and value order for an object with these names, or None.

    Only for names that are all ASCII ``str``: their code-point order is the UTF-16
    order RFC 8785 sorts by.
    """
    shape = _SHAPES.get(names)
    if shape is None and names not in _SHAPES:
        if all(type(k) is str and k.isascii() for k in names) and len(set(names)) == len(names):
            order = sorted(range(len(names)), key=names.__getitem__)
            keys = [_S(names[i]).replace("%", "%%") for i in order]
            shape = (
                "{" + ",".join(f'{k}:"%s"' for k in keys) + "}",
                operator.itemgetter(*order) if len(order) > 1 else (lambda v, i=order[0]: (v[i],)),
            )
        if len(_SHAPES) >= _SHAPES_MAX:
            _SHAPES.clear()
        _SHAPES[names] = shape
    return shape


class _SaltPool:
    """Fresh random salts, drawn from the OS in blocks (one ``getrandom`` per block, not per field)."""

    __slots__ = ("buf", "pos")

    def __init__(self) -> None:
        self.buf = b""
        self.pos = 0

    def take(self, n: int) -> bytes:
        """``n`` fresh random bytes, never handed out twice."""
        pos = self.pos
        if pos + n > len(self.buf):
            self.buf, pos = os.urandom(max(8192, n)), 0
        self.pos = pos + n
        return self.buf[pos : pos + n]


def _personal(personal: dict, pool: _SaltPool) -> tuple[str, str]:
    """The canonical ``personal`` object of salted commitments, and the salts (JSON text)."""
    names = tuple(personal)
    shape = _personal_shape(names)
    randomness = pool.take(16 * len(names))
    hashes, salts = [], []
    for n, value in enumerate(personal.values()):
        salt = randomness[16 * n : 16 * n + 16]
        if type(value) is str:
            hashes.append("sha256:" + _sha256(salt + _S(value).encode("utf-8", "surrogatepass")).hexdigest())
        else:
            hashes.append(commitment(salt, value))
        salts.append(salt.hex())
    if shape is not None:
        fmt, pick = shape
        return fmt % pick(hashes), fmt % pick(salts)
    keys = [str(k) for k in names]
    return (
        canonical.object_of_strings(dict(zip(keys, hashes, strict=True))),
        canonical.object_of_strings(dict(zip(keys, salts, strict=True))),
    )


_POINTERS: dict = {}


def _pointer(key) -> str:
    """One RFC 6901 JSON Pointer reference token."""
    token = _POINTERS.get(key)
    if token is None:
        token = str(key).replace("~", "~0").replace("/", "~1")
        if len(_POINTERS) < 4096:
            _POINTERS[key] = token
    return token


def _commit(value: Any, pointer: str, pool: _SaltPool, salts: dict) -> str:
    salt = pool.take(16)
    salts[pointer] = salt.hex()
    return commitment(salt, value)


def _seal(value: Any, pointer: str, pool: _SaltPool, salts: dict) -> Any:
    """``value`` with every non-structured part replaced by its commitment, in place."""
    t = type(value)
    if t is str:
        return value if is_token(value) else _commit(value, pointer, pool, salts)
    if value is None or t is bool or t is int or t is float:
        return value
    if t is dict:
        if all(type(k) is str and is_token(k) for k in value):
            return {k: _seal(v, pointer + "/" + _pointer(k), pool, salts) for k, v in value.items()}
        return _commit(value, pointer, pool, salts)
    if t is list or t is tuple:
        return [_seal(v, f"{pointer}/{i}", pool, salts) for i, v in enumerate(value)]
    return _commit(value, pointer, pool, salts)


def project(event_type: str, payload: dict, pool: _SaltPool | None = None) -> tuple[dict, dict]:
    """The public ``data`` of a payload (without ``personal``) and the salts of its commitments.

    Fields on the type's allow-list (:mod:`gongzhi.ledger.public_fields`) stay in clear
    where their values are structured; everything else becomes ``sha256:<hex>`` of the
    value with a fresh salt, recorded under the JSON Pointer of the field in the entry
    (``/data/reason``, ``/data/points/0/unit_name``).
    """
    pool = pool or _SaltPool()
    allowed = allowed_fields(event_type)
    salts: dict[str, str] = {}
    out = {}
    for k, v in payload.items():
        if allowed is not None and k in allowed:
            out[k] = v if is_structured(v) else _seal(v, "/data/" + _pointer(k), pool, salts)
        else:
            out[k] = _commit(v, "/data/" + _pointer(k), pool, salts)
    return out, salts


def _entries(events: Sequence, ids: Sequence[str]) -> list[tuple[bytes, str, str]]:
    """``(entry, salts, occurred_at as ISO text)`` for each event; see :func:`build_entry`."""
    return list(_iter_entries(events, ids))


def _region_codes(events: Sequence) -> dict:
    """Region codes of events that carry only a ``region_id`` (outbox events), in one query."""
    missing = {
        e.region_id
        for e in events
        if getattr(e, "region_code", None) is None and getattr(e, "region_id", None) is not None
    }
    if not missing:
        return {}
    model = next(type(e) for e in events if getattr(e, "region_id", None) in missing)
    try:
        region_model = model._meta.get_field("region").related_model
    except (AttributeError, FieldDoesNotExist):  # not a model: ask each event, before any COPY
        return {e.region_id: e.region.code for e in events if getattr(e, "region_id", None) in missing}
    return dict(region_model.objects.filter(pk__in=missing).values_list("pk", "code"))


def _iter_entries(events: Sequence, ids: Sequence[str], regions: dict | None = None) -> Iterator[tuple[bytes, str, str]]:
    """:func:`_entries` one event at a time (so rows can stream to the database as built).

    With ``regions`` (from :func:`_region_codes`) it never touches the database, which
    matters while a ``COPY`` holds the connection.
    """
    pool = _SaltPool()
    dumps_text = canonical.dumps_text
    for event, event_id in zip(events, ids, strict=True):
        payload = event.payload
        if payload is None:
            payload = {}
        elif not isinstance(payload, dict):
            payload = {"value": payload}
        personal = None
        if "personal" in payload:
            payload = dict(payload)
            personal = payload.pop("personal") or {}
            if not isinstance(personal, dict):
                personal = {"value": personal}
        actor_id = getattr(event, "actor_id", None)
        if actor_id is not None:
            personal = {**personal, "actor": f"user:{actor_id}"} if personal else {"actor": f"user:{actor_id}"}
        if personal:
            personal_json, salts_json = _personal(personal, pool)
        else:
            personal_json = salts_json = "{}"
        if payload:
            payload, data_salts = project(event.type, payload, pool)
            if data_salts:
                data_text = canonical.object_of_strings(data_salts)  # keys are "/data/…" pointers
                if salts_json == "{}":
                    salts_json = data_text
                elif "/" < salts_json[2] != "\\":  # every personal name sorts after "/": concatenate
                    salts_json = data_text[:-1] + "," + salts_json[1:]
                else:
                    salts_json = canonical.object_of_strings({**json.loads(salts_json), **data_salts})
        region = getattr(event, "region_code", None)
        if region is None and getattr(event, "region_id", None) is not None:
            region = regions[event.region_id] if regions is not None else event.region.code
        try:
            data = dumps_text(payload)
        except Exception:  # e.g. non-finite floats: keep a digest instead
            data = dumps_text(_digest_fallback(payload))
        occurred = event.occurred_at
        if occurred.tzinfo is UTC:  # the common case (Django gives UTC): no conversion needed
            iso = occurred.isoformat(timespec="microseconds")[:26] + "Z"
        else:
            iso = _iso(occurred)
        tail = (
            f',"event_id":{_S(event_id)},"occurred_at":"{iso}","personal":{personal_json}'
            f',"record":{{"id":{_S(str(event.aggregate_id))},"type":{_S(str(event.aggregate_type))}}}'
            f',"region":{"null" if region is None else _S(str(region))},"type":{_S(str(event.type))},"v":{ENTRY_VERSION}}}'
        )
        try:
            entry = ('{"data":' + data + tail).encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates in the payload: keep a digest instead
            entry = b""
        if not entry or len(entry) > MAX_ENTRY:
            data = dumps_text(_digest_fallback(payload))
            try:
                entry = ('{"data":' + data + tail).encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(f"event {event_id} has text that is not valid Unicode") from None
        yield entry, salts_json, iso


def build_entry(event, event_id: str | None = None) -> tuple[bytes, str]:
    """The canonical JSON (RFC 8785) leaf for an event, and the private salts it used (JSON text).

    The leaf is the object ``{"data", "event_id", "occurred_at", "personal", "record":
    {"id", "type"}, "region", "type", "v"}``.  Personal data (``payload["personal"]``
    and the actor) appear only as salted hashes; ``data`` is the payload projected by
    :func:`project` (structured fields in clear, everything else as commitments).  It is assembled in canonical key
    order directly; the tests check it equals RFC 8785 serialisation.
    """
    entry, salts, _ = _entries([event], [event_id or str(event.event_id)])[0]
    return entry, salts


def record_key(aggregate_type: str, aggregate_id: Any) -> str:
    return f"{aggregate_type}:{aggregate_id}"


# --------------------------------------------------------------------------- storage


def _b(value) -> bytes:
    return bytes(value) if value is not None else b""


class DbHashStore:
    """:class:`~gongzhi.ledger.merkle.HashStore` over the database.

    Level 0 (the leaf hashes) lives in ``Leaf.leaf_hash``; every higher complete
    subtree in ``Node``.  A proof is one query per table.
    """

    def get_many(self, coords: Sequence[tuple[int, int]]) -> list[bytes]:
        if not coords:
            return []
        qn = connection.ops.quote_name
        found: dict[tuple[int, int], bytes] = {}
        leaves = sorted({i for level, i in coords if level == 0})
        upper = sorted({c for c in coords if c[0] > 0})
        with connection.cursor() as cur:
            for start in range(0, len(leaves), 500):
                chunk = leaves[start : start + 500]
                cur.execute(
                    f"SELECT {qn('index')}, leaf_hash FROM {qn(Leaf._meta.db_table)} "
                    f"WHERE {qn('index')} IN ({', '.join(['%s'] * len(chunk))})",
                    chunk,
                )
                found.update(((0, i), _b(h)) for i, h in cur.fetchall())
            for start in range(0, len(upper), 200):
                chunk = upper[start : start + 200]
                # OR of equalities: both SQLite and PostgreSQL answer it from the primary key
                # index (SQLite does not use an index for row-value IN lists).
                pair = f"(level = %s AND {qn('index')} = %s)"
                cur.execute(
                    f"SELECT level, {qn('index')}, hash FROM {qn(Node._meta.db_table)} "
                    f"WHERE {' OR '.join([pair] * len(chunk))}",
                    [x for c in chunk for x in c],
                )
                found.update(((lv, i), _b(h)) for lv, i, h in cur.fetchall())
        out = []
        for c in coords:
            if c not in found:
                raise KeyError(f"stored subtree {c} is missing")
            out.append(found[c])
        return out

    def get_range(self, level: int, start: int, count: int) -> bytes:
        if level == 0:
            qs = Leaf.objects.filter(index__gte=start, index__lt=start + count).values_list("leaf_hash", flat=True)
        else:
            qs = Node.objects.filter(level=level, index__gte=start, index__lt=start + count).values_list(
                "hash", flat=True
            )
        rows = list(qs.order_by("index"))
        if len(rows) != count:
            raise KeyError(f"level {level} has {len(rows)} of the {count} hashes from {start}")
        return b"".join(_b(h) for h in rows)

    def root(self, size: int) -> bytes:
        return merkle.fold_peaks(self.get_many(merkle.peaks_of(size)))


store = DbHashStore()


def _lock_head() -> tuple[int, bytes]:
    """Take the append lock and read the head as ``(size, root)``.

    The first statement is a write, so SQLite takes its write lock at once and
    PostgreSQL holds the row lock until commit: appenders are serialised.
    """
    qn = connection.ops.quote_name
    table = qn(Head._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {table} SET updated_at = %s WHERE id = 1", [now])
        if cur.rowcount == 0:
            Head.objects.get_or_create(id=1, defaults={"root": EMPTY_ROOT})
            cur.execute(f"UPDATE {table} SET updated_at = %s WHERE id = 1", [now])
        cur.execute(f"SELECT size, root FROM {table} WHERE id = 1")
        size, root = cur.fetchone()
    return size, _b(root)


def head() -> tuple[int, bytes]:
    h = Head.objects.filter(id=1).first()
    return (h.size, _b(h.root)) if h else (0, EMPTY_ROOT)


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


class _DictStore:
    """A :class:`~gongzhi.ledger.merkle.HashStore` over hashes already read."""

    def __init__(self, hashes: dict[tuple[int, int], bytes]):
        self.hashes = hashes

    def get_many(self, coords: Sequence[tuple[int, int]]) -> list[bytes]:
        try:
            return [self.hashes[c] for c in coords]
        except KeyError as exc:
            raise KeyError(f"stored subtree {exc.args[0]} is missing") from None


@dataclass
class AppendResult:
    size: int
    root: bytes
    appended: list[tuple[str, int]]  # (event id, leaf index) of new leaves
    skipped: int  # events already in the log (or duplicated in the batch)


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


def append_events(events: Iterable, *, sign: bool = False) -> AppendResult:
    """Append public events as leaves, in one transaction, idempotent by event id.

    Non-public events are skipped.  With ``sign=True`` a checkpoint of the new head is
    signed in the same transaction.  Per batch: one lock, one idempotency query, one
    read of the current peaks, one bulk insert per table, one head update (and the
    checkpoint); no model instances are built for the leaves.
    """
    events = [e for e in events if getattr(e, "public", True)]
    with transaction.atomic():
        size0, root0 = _lock_head()
        uuids = [_uuid(e.event_id) for e in events]
        ids = [str(u) for u in uuids]
        native_uuid = connection.features.has_native_uuid_field
        stored_ids = uuids if native_uuid else [u.hex for u in uuids]  # as the event_id column holds them
        seen = _existing_ids(uuids, stored_ids)
        fresh, fresh_ids, fresh_stored = [], [], []
        for e, eid, sid in zip(events, ids, stored_ids, strict=True):
            if eid in seen:
                continue
            seen.add(eid)
            fresh.append(e)
            fresh_ids.append(eid)
            fresh_stored.append(sid)
        if fresh:
            peaks = store.get_many(merkle.peaks_of(size0))
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            if connection.vendor == "postgresql" and _streamable(fresh):
                hashes = _copy_leaves(size0, fresh, fresh_ids, fresh_stored, now)
            else:
                hashes = _insert_leaves(size0, fresh, fresh_ids, fresh_stored, now)
            size, new_peaks, nodes = merkle.extend(size0, peaks, hashes, leaves=False)
            if nodes:
                _insert_columns(Node, ["level", "index", "hash"], [list(c) for c in zip(*nodes, strict=True)])
            root = merkle.fold_peaks(new_peaks)
            with connection.cursor() as cur:
                cur.execute(
                    f"UPDATE {connection.ops.quote_name(Head._meta.db_table)} SET size = %s, root = %s WHERE id = 1",
                    [size, root],
                )
            appended = list(zip(fresh_ids, range(size0, size), strict=True))
        else:
            size, root, appended = size0, root0, []
        if sign:
            _sign_locked(size, root, load_signer(), instance=False)
    return AppendResult(size, root, appended, len(events) - len(appended))


# --------------------------------------------------------------------------- checkpoints


def sign_checkpoint(signer: Signer | None = None) -> SignedCheckpoint:
    """Sign the current tree head, refusing if it is not consistent with the last checkpoint.

    Returns the existing checkpoint when the tree has not grown.
    """
    signer = signer or load_signer()
    with transaction.atomic():
        size, head_root = _lock_head()
        return _sign_locked(size, head_root, signer)


def _last_signed() -> tuple[int, bytes] | None:
    """``(size, root)`` of the largest signed checkpoint, or None."""
    table = connection.ops.quote_name(SignedCheckpoint._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"SELECT size, root FROM {table} ORDER BY size DESC LIMIT 1")
        row = cur.fetchone()
    return (row[0], _b(row[1])) if row else None


def _sign_locked(size: int, head_root: bytes, signer: Signer, *, instance: bool = True) -> SignedCheckpoint | None:
    """Sign ``(size, head_root)`` under the head lock, after checking it.

    The root is recomputed from the stored subtrees and must equal the head; a
    consistency proof from the last signed checkpoint, built from the stored subtrees,
    must verify.  The hashes for both are read in one :meth:`DbHashStore.get_many`.
    Returns the checkpoint (the existing one if the tree has not grown); with
    ``instance=False`` it is written with one raw ``INSERT`` and nothing is returned.
    """
    last = _last_signed()
    peaks = merkle.peaks_of(size)
    proof_coords = []
    if last is not None and 0 < last[0] < size:
        proof_coords = merkle.proof_subtrees(merkle.consistency_ranges(last[0], size))
    coords = peaks + proof_coords
    try:
        read = _DictStore(dict(zip(coords, store.get_many(coords), strict=True)))
    except KeyError as exc:
        _refuse(f"the tree of size {size} cannot be read back: {exc}")
    root = merkle.fold_peaks(read.get_many(peaks))
    if root != head_root:
        _refuse(f"stored subtrees give root {root.hex()} at size {size}, the head says {head_root.hex()}")
    if last is not None:
        last_size, last_root = last
        if last_size > size:
            _refuse(f"the log has {size} leaves but checkpoint {last_size} was already signed")
        if last_size == size:
            if last_root != root:
                _refuse(f"size {size} was signed with root {last_root.hex()}, the tree now has {root.hex()}")
            return SignedCheckpoint.objects.get(size=size) if instance else None
        try:
            proof = merkle.consistency_proof(last_size, size, read)
            merkle.verify_consistency(last_size, size, proof, last_root, root)
        except (merkle.ProofError, KeyError) as exc:
            _refuse(f"tree of size {size} is not consistent with signed checkpoint {last_size}: {exc}")
    note = sign_note(format_checkpoint(origin(), size, root), signer)
    if instance:
        return SignedCheckpoint.objects.create(size=size, root=root, note=note)
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {qn(SignedCheckpoint._meta.db_table)} (size, root, note, signed_at) VALUES (%s, %s, %s, %s)",
            [size, root, note, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
    return None


def _refuse(message: str):
    log.critical("REFUSING TO SIGN A LEDGER CHECKPOINT: %s", message)
    raise InconsistentLogError(f"refusing to sign a checkpoint: {message}")


def latest_checkpoint() -> SignedCheckpoint | None:
    return SignedCheckpoint.objects.order_by("-size").first()


# --------------------------------------------------------------------------- proofs & receipts


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def checkpoint_for(size: int | None) -> SignedCheckpoint:
    cp = latest_checkpoint()
    if cp is None:
        raise LedgerError("no checkpoint has been signed yet")
    if size is None or size == cp.size:
        return cp
    found = SignedCheckpoint.objects.filter(size=size).first()
    if found is None:
        raise LedgerError(f"no signed checkpoint of size {size} (latest is {cp.size})")
    return found


def inclusion(index: int, size: int | None = None) -> dict:
    """Inclusion proof of leaf ``index`` against a signed checkpoint (latest by default)."""
    cp = checkpoint_for(size)
    if not 0 <= index < cp.size:
        raise LedgerError(f"leaf index {index} is not in the tree of size {cp.size}")
    leaf = Leaf.objects.get(index=index)
    proof = merkle.inclusion_proof(index, cp.size, store)
    return {
        "index": index,
        "tree_size": cp.size,
        "event_id": str(leaf.event_id),
        "record": leaf.record,
        "entry": b64(public_entries(index, 1)[0]),
        "leaf_hash": b64(_b(leaf.leaf_hash)),
        "proof": [b64(p) for p in proof],
        "root": b64(_b(cp.root)),
        "checkpoint": cp.note,
    }


# --------------------------------------------------------------------------- withheld entries


def withheld_marker(index: int, event_id, record: str, leaf_hash_bytes: bytes, reason: str) -> bytes:
    """What bundles and proofs serve instead of a withheld entry (canonical JSON).

    ``{"event_id", "leaf_hash": hex, "record": {"id", "type"}, "v", "withheld": reason}``: no
    ``data`` key, so it can never be mistaken for an entry; its leaf hash is the one in the
    tree (the hash tiles hold it too), so a verifier takes it from here and every proof holds.
    """
    rtype, _, rid = record.partition(":")
    return canonical.dumps({
        "event_id": str(event_id), "leaf_hash": leaf_hash_bytes.hex(), "record": {"id": rid, "type": rtype},
        "v": ENTRY_VERSION, "withheld": reason,
    })


def public_entries(start: int, count: int) -> list[bytes]:
    """The entries ``start … start+count-1`` as published: withheld ones replaced by their markers."""
    rows = list(Leaf.objects.filter(index__gte=start, index__lt=start + count).order_by("index")
                .values_list("index", "entry"))
    withheld = dict(WithheldEntry.objects.filter(index__gte=start, index__lt=start + count)
                    .values_list("index", "reason"))
    if not withheld:
        return [_b(e) for _, e in rows]
    meta = {i: (eid, rec, _b(h)) for i, eid, rec, h in Leaf.objects.filter(index__in=withheld)
            .values_list("index", "event_id", "record", "leaf_hash")}
    return [withheld_marker(i, *meta[i], withheld[i]) if i in withheld else _b(e) for i, e in rows]


def leaves_for(*, indices=(), event_ids=(), records=()) -> list[int]:
    """Leaf indices named by index, event id or record (``type:id``); unknown names are refused."""
    found: set[int] = set()
    for i in indices:
        if not Leaf.objects.filter(index=i).exists():
            raise LedgerError(f"there is no leaf {i}")
        found.add(int(i))
    for eid in event_ids:
        try:
            leaf = Leaf.objects.filter(event_id=uuid.UUID(str(eid))).values_list("index", flat=True).first()
        except ValueError:
            raise LedgerError(f"{eid!r} is not an event id") from None
        if leaf is None:
            raise LedgerError(f"event {eid} is not in the log")
        found.add(leaf)
    for rec in records:
        got = list(Leaf.objects.filter(record=rec).values_list("index", flat=True))
        if not got:
            raise LedgerError(f"no leaf is about record {rec!r}")
        found.update(got)
    return sorted(found)


def withhold(actor, indices: Iterable[int], *, reason: str, note: str = "") -> list[int]:
    """Stop serving the content of these entries (idempotent); returns the newly withheld indices.
    ``actor`` is who withholds (the operator's command passes ``SYSTEM``), recorded in the security log.

    Nothing in the tree changes: the leaf rows (entry, hash, salts) stay for the operator,
    checkpoints are not re-signed.  Refuses an unknown reason or index.
    """
    if reason not in WithheldEntry.Reason.values:
        raise LedgerError(f"reason must be one of {', '.join(WithheldEntry.Reason.values)}, got {reason!r}")
    indices = sorted(set(int(i) for i in indices))
    if not indices:
        raise LedgerError("name at least one entry to withhold")
    with transaction.atomic():
        known = set(Leaf.objects.filter(index__in=indices).values_list("index", flat=True))
        missing = [i for i in indices if i not in known]
        if missing:
            raise LedgerError(f"no such leaves: {missing[:10]}")
        already = set(WithheldEntry.objects.filter(index__in=indices).values_list("index", flat=True))
        new = [i for i in indices if i not in already]
        user = actor if getattr(actor, "is_authenticated", False) else None
        WithheldEntry.objects.bulk_create(
            [WithheldEntry(index=i, reason=reason, note=note, withheld_by=user) for i in new])
        if new:
            _audit_withholding(actor, new, reason)
    return new


def _audit_withholding(actor, indices: list[int], reason: str) -> None:
    """Record the withholding in the security audit log."""
    from gongzhi.core import audit

    audit.record("ledger_withhold", actor=actor, target=f"ledger:{indices[0]}" + (f"…{indices[-1]}" if len(indices) > 1 else ""),
                 detail={"indices": indices[:1000], "count": len(indices), "reason": reason})


def record_leaves(record: str) -> list[int]:
    """Indices of all leaves about one record (``type:id``) or one event id."""
    q = Q(record=record)
    try:
        q |= Q(event_id=uuid.UUID(record))
    except ValueError:
        pass
    return list(Leaf.objects.filter(q).order_by("index").values_list("index", flat=True))


def consistency(size1: int, size2: int | None = None) -> dict:
    new = checkpoint_for(size2)
    if not 0 <= size1 <= new.size:
        raise LedgerError(f"size1 {size1} must be between 0 and {new.size}")
    old_root = store.root(size1)
    proof = merkle.consistency_proof(size1, new.size, store)
    return {
        "size1": size1,
        "size2": new.size,
        "root1": b64(old_root),
        "root2": b64(_b(new.root)),
        "proof": [b64(p) for p in proof],
        "checkpoint": new.note,
    }


@dataclass
class Receipt:
    index: int
    tree_size: int
    checkpoint: str
    verified: bool
    problem: str = ""


def receipt(event_id) -> Receipt | None:
    """A resident's receipt for an event: leaf index, checkpoint, and a real proof check.

    ``verified`` is True only if the checkpoint signature verifies with the log key and
    the inclusion proof, recomputed from stored hashes, reaches the signed root.
    """
    leaf = Leaf.objects.filter(event_id=event_id).first()
    cp = latest_checkpoint()
    if leaf is None or cp is None or leaf.index >= cp.size:
        return None
    try:
        checkpoint, _ = open_checkpoint(cp.note, [load_signer(create=False).verifier], origin=origin())
        proof = merkle.inclusion_proof(leaf.index, checkpoint.size, store)
        lh = merkle.leaf_hash(_b(leaf.entry))
        merkle.verify_inclusion(leaf.index, checkpoint.size, lh, proof, checkpoint.root)
    except Exception as exc:  # any failure means "not verified", with the reason kept
        return Receipt(leaf.index, cp.size, cp.note, False, str(exc))
    return Receipt(leaf.index, cp.size, cp.note, True)


def verifier() -> Verifier:
    return load_signer().verifier

