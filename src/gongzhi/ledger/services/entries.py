"""Entries: the canonical JSON (RFC 8785) leaf of a public domain event. Personal fields and the actor
appear only as salted commitments; the payload is projected through :mod:`gongzhi.ledger.public_fields`
(structured fields in clear, free text as commitments). The private salts are kept beside each leaf."""

from __future__ import annotations

import hashlib
import json
import operator
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist

from .. import canonical
from ..public_fields import allowed_fields, is_structured, is_token
from ..tiles import MAX_ENTRY

#: 1: ``data`` was the payload without ``personal``.  2: ``data`` is the payload projected
#: through :mod:`gongzhi.ledger.public_fields` (free text only as commitments).
ENTRY_VERSION = 2


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


def _iter_entries(
    events: Sequence, ids: Sequence[str], regions: dict | None = None
) -> Iterator[tuple[bytes, str, str]]:
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
