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
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from . import canonical, merkle
from .merkle import EMPTY_ROOT
from .models import Head, Leaf, Node, SignedCheckpoint
from .note import Signer, Verifier, format_checkpoint, open_checkpoint, sign_note
from .tiles import MAX_ENTRY

log = logging.getLogger("gongzhi.ledger")

ENTRY_VERSION = 1


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


def commitment(salt: bytes, value: Any) -> str:
    """Salted hash of one personal field: ``sha256:<hex of SHA-256(salt ‖ JCS(value))>``."""
    if type(value) is str:
        data = canonical.string(value).encode("utf-8", "surrogatepass")
    else:
        try:
            data = canonical.dumps(value)
        except Exception:
            data = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")
    return "sha256:" + hashlib.sha256(salt + data).hexdigest()


def build_entry(event, event_id: str | None = None) -> tuple[bytes, str]:
    """The canonical JSON (RFC 8785) leaf for an event, and the private salts it used (JSON text).

    The leaf is the object ``{"data", "event_id", "occurred_at", "personal", "record":
    {"id", "type"}, "region", "type", "v"}``.  Personal data (``payload["personal"]``
    and the actor) appear only as salted hashes.  It is assembled in canonical key
    order directly; the tests check it equals RFC 8785 serialisation.
    """
    payload = getattr(event, "payload", None)
    if payload is None:
        payload = {}
    elif not isinstance(payload, dict):
        payload = {"value": payload}
    personal = {}
    if "personal" in payload:
        payload = dict(payload)
        personal = payload.pop("personal") or {}
        if not isinstance(personal, dict):
            personal = {"value": personal}
    actor_id = getattr(event, "actor_id", None)
    if actor_id is not None:
        personal = {**personal, "actor": f"user:{actor_id}"}
    S = canonical.string
    personal_json = salts_json = "{}"
    if personal:
        randomness = os.urandom(16 * len(personal))
        items = []
        for n, name in enumerate(personal):
            salt = randomness[16 * n : 16 * n + 16]
            items.append((str(name), commitment(salt, personal[name]), salt.hex()))
        if all(k.isascii() for k, _, _ in items):  # ASCII names: code-point order is JCS order
            items.sort()
            personal_json = "{" + ",".join(f'{S(k)}:"{h}"' for k, h, _ in items) + "}"
            salts_json = "{" + ",".join(f'{S(k)}:"{x}"' for k, _, x in items) + "}"
        else:
            personal_json = canonical.object_of_strings({k: h for k, h, _ in items})
            salts_json = canonical.object_of_strings({k: x for k, _, x in items})
    region = getattr(event, "region_code", None)
    if region is None and getattr(event, "region_id", None) is not None:
        region = event.region.code
    try:
        data = canonical.dumps_text(payload)
    except Exception:  # e.g. non-finite floats: keep a digest instead
        data = canonical.dumps_text(_digest_fallback(payload))
    head_ = '{"data":'
    tail = (
        f',"event_id":{S(event_id or str(event.event_id))},"occurred_at":"{_iso(event.occurred_at)}"'
        f',"personal":{personal_json}'
        f',"record":{{"id":{S(str(event.aggregate_id))},"type":{S(str(event.aggregate_type))}}}'
        f',"region":{"null" if region is None else S(str(region))},"type":{S(str(event.type))},"v":{ENTRY_VERSION}}}'
    )
    try:
        entry = (head_ + data + tail).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates in the payload: keep a digest instead
        entry = b""
    if not entry or len(entry) > MAX_ENTRY:
        data = canonical.dumps_text(_digest_fallback(payload))
        try:
            entry = (head_ + data + tail).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"event {event_id or event.event_id} has text that is not valid Unicode") from None
    return entry, salts_json


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


def _lock_head() -> Head:
    """Take the append lock (first statement is a write, so SQLite takes its write lock)."""
    if not Head.objects.filter(id=1).update(updated_at=timezone.now()):
        Head.objects.get_or_create(id=1, defaults={"root": EMPTY_ROOT})
    return Head.objects.select_for_update().get(id=1)


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


def _insert_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """Bulk insert prepared rows: COPY on PostgreSQL, ``executemany`` elsewhere."""
    if not rows:
        return
    qn = connection.ops.quote_name
    meta = model._meta
    table = qn(meta.db_table)
    cols = ", ".join(qn(meta.get_field(f).column) for f in fields)
    if connection.vendor == "postgresql":
        # One statement with one binary array parameter per column (psycopg adapts in C).
        casts = []
        for f in fields:
            t = meta.get_field(f).db_type(connection)
            t = "text" if t.startswith("varchar") else t
            casts.append("%b::text[]::jsonb[]" if t == "jsonb" else f"%b::{t}[]")
        connection.ensure_connection()
        with _pg_cursor() as cur:
            cur.execute(
                f"INSERT INTO {table} ({cols}) SELECT * FROM unnest({', '.join(casts)})", [list(c) for c in zip(*rows)]
            )
        return
    with connection.cursor() as cur:
        cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(fields))})", rows)


def _existing_ids(ids: list[str]) -> set[str]:
    """Which of these event ids are already leaves (one raw query per 500 ids)."""
    native = connection.features.has_native_uuid_field
    table = connection.ops.quote_name(Leaf._meta.db_table)
    found: set[str] = set()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            connection.ensure_connection()
            with _pg_cursor() as raw:
                raw.execute(f"SELECT event_id FROM {table} WHERE event_id = ANY(%b::uuid[])", [[_uuid(i) for i in ids]])
                return {str(row[0]) for row in raw.fetchall()}
        for start in range(0, len(ids), 500):
            chunk = [_uuid(i) if native else _uuid(i).hex for i in ids[start : start + 500]]
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


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


@dataclass
class AppendResult:
    size: int
    root: bytes
    appended: list[tuple[str, int]]  # (event id, leaf index) of new leaves
    skipped: int  # events already in the log (or duplicated in the batch)


def append_events(events: Iterable, *, sign: bool = False) -> AppendResult:
    """Append public events as leaves, in one transaction, idempotent by event id.

    Non-public events are skipped.  With ``sign=True`` a checkpoint of the new head is
    signed in the same transaction.
    """
    events = [e for e in events if getattr(e, "public", True)]
    with transaction.atomic():
        h = _lock_head()
        ids = [str(_uuid(e.event_id)) for e in events]
        existing = _existing_ids(ids)
        size0 = h.size
        fresh, seen = [], set(existing)
        for e, eid in zip(events, ids, strict=True):
            if eid in seen:
                continue
            seen.add(eid)
            fresh.append((e, eid))
        if fresh:
            peaks = store.get_many(merkle.peaks_of(size0))
            ops = connection.ops
            native_uuid = connection.features.has_native_uuid_field
            now = ops.adapt_datetimefield_value(timezone.now())
            occurred = _sqlite_datetime if connection.vendor == "sqlite" else ops.adapt_datetimefield_value
            leaf_rows, hashes, appended = [], [], []
            for offset, (e, eid) in enumerate(fresh):
                entry, salts = build_entry(e, eid)
                lh = merkle.leaf_hash(entry)
                index = size0 + offset
                hashes.append(lh)
                appended.append((eid, index))
                leaf_rows.append(
                    (
                        index,
                        uuid.UUID(eid) if native_uuid else eid.replace("-", ""),
                        e.type,
                        record_key(e.aggregate_type, e.aggregate_id)[:130],
                        occurred(e.occurred_at),
                        entry,
                        lh,
                        salts,
                        now,
                    )
                )
            size, new_peaks, nodes = merkle.extend(size0, peaks, hashes)
            _insert_rows(
                Leaf,
                ["index", "event_id", "event_type", "record", "occurred_at", "entry", "leaf_hash", "salts", "appended_at"],
                leaf_rows,
            )
            _insert_rows(Node, ["level", "index", "hash"], [n for n in nodes if n[0] > 0])
            root = merkle.fold_peaks(new_peaks)
            Head.objects.filter(id=1).update(size=size, root=root)
        else:
            size, root, appended = size0, _b(h.root), []
        if sign:
            sign_checkpoint()
    return AppendResult(size, root, appended, len(events) - len(appended))


# --------------------------------------------------------------------------- checkpoints


def sign_checkpoint(signer: Signer | None = None) -> SignedCheckpoint:
    """Sign the current tree head, refusing if it is not consistent with the last checkpoint.

    Returns the existing checkpoint when the tree has not grown.
    """
    signer = signer or load_signer()
    with transaction.atomic():
        h = _lock_head()
        size = h.size
        root = store.root(size)
        if root != _b(h.root):
            _refuse(f"stored subtrees give root {root.hex()} at size {size}, the head says {_b(h.root).hex()}")
        last = SignedCheckpoint.objects.order_by("-size").first()
        if last is not None:
            last_root = _b(last.root)
            if last.size > size:
                _refuse(f"the log has {size} leaves but checkpoint {last.size} was already signed")
            if last.size == size:
                if last_root != root:
                    _refuse(f"size {size} was signed with root {last_root.hex()}, the tree now has {root.hex()}")
                return last
            try:
                proof = merkle.consistency_proof(last.size, size, store)
                merkle.verify_consistency(last.size, size, proof, last_root, root)
            except (merkle.ProofError, KeyError) as exc:
                _refuse(f"tree of size {size} is not consistent with signed checkpoint {last.size}: {exc}")
        note = sign_note(format_checkpoint(origin(), size, root), signer)
        return SignedCheckpoint.objects.create(size=size, root=root, note=note)


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
        "entry": b64(_b(leaf.entry)),
        "leaf_hash": b64(_b(leaf.leaf_hash)),
        "proof": [b64(p) for p in proof],
        "root": b64(_b(cp.root)),
        "checkpoint": cp.note,
    }


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

