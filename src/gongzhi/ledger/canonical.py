"""RFC 8785 (JCS) canonical JSON, with a fast path for the common case.

``rfc8785`` (Trail of Bits) is the reference and handles everything; it is pure
Python and slow.  For documents made only of strings, booleans, null, integers with
magnitude below 2**53, lists and objects whose keys have no characters beyond the
Basic Multilingual Plane, the standard library's ``json.dumps`` with sorted keys,
no whitespace and no ASCII escaping produces the same bytes: such integers print
identically as ECMAScript numbers, string escaping coincides (``\\"``, ``\\\\``, the
short escapes and lowercase ``\\u00xx`` for other control characters), and sorting
by code point equals sorting by UTF-16 code unit when no key has surrogate pairs.
Anything else (floats, huge integers, astral keys) goes to ``rfc8785``.  The test
suite checks the two agree on random documents.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

_SAFE = 2**53
_encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _plain(o: Any) -> bool:
    t = type(o)
    if t is str or t is bool or o is None:
        return True
    if t is int:
        return -_SAFE < o < _SAFE
    if t is dict:
        for k, v in o.items():
            if type(k) is not str or (k and not k.isascii() and max(k) >= "\U00010000") or not _plain(v):
                return False
        return True
    if t is list or t is tuple:
        return all(_plain(v) for v in o)
    return False


def dumps(o: Any) -> bytes:
    """Canonical JSON bytes of ``o`` (RFC 8785)."""
    if _plain(o):
        try:
            return _encoder.encode(o).encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: let rfc8785 report it
            pass
    return rfc8785.dumps(o)


try:  # the C accelerator of the standard library, same output as the Python one
    from _json import encode_basestring as _encode_string
except ImportError:  # pragma: no cover
    from json.encoder import py_encode_basestring as _encode_string


#: The canonical JSON form of one string, quotes included (RFC 8785 escapes exactly the
#: characters ``json`` does with ``ensure_ascii=False``: ``"``, ``\\``, the short
#: escapes and lowercase ``\u00xx`` for other control characters).  The C function
#: itself, to save a Python call per string.
string = _encode_string


def _flat_object(o: dict) -> str | None:
    """Canonical text of a flat object with ASCII keys and scalar values, else None."""
    parts = []
    try:
        keys = sorted(o)
    except TypeError:
        return None
    for k in keys:
        if type(k) is not str or not k.isascii():
            return None
        v = o[k]
        t = type(v)
        if t is str:
            parts.append(_encode_string(k) + ":" + _encode_string(v))
        elif t is int and -_SAFE < v < _SAFE:
            parts.append(f"{_encode_string(k)}:{v}")
        elif t is bool:
            parts.append(_encode_string(k) + (":true" if v else ":false"))
        elif v is None:
            parts.append(_encode_string(k) + ":null")
        else:
            return None
    return "{" + ",".join(parts) + "}"


def dumps_text(o: Any) -> str:
    """Like :func:`dumps`, as text (may hold lone surrogates only if ``o`` did)."""
    if type(o) is dict:
        flat = _flat_object(o)
        if flat is not None:
            return flat
    if _plain(o):
        return _encoder.encode(o)
    return rfc8785.dumps(o).decode("utf-8")


def object_of_strings(d: dict[str, str]) -> str:
    """Canonical JSON of a flat object of strings (fast when keys are ASCII)."""
    parts = []
    for k in sorted(d):
        v = d[k]
        if type(k) is not str or not k.isascii() or type(v) is not str:
            return dumps_text(d)
        parts.append(_encode_string(k) + ":" + _encode_string(v))
    return "{" + ",".join(parts) + "}"
