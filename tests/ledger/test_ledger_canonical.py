"""The canonical JSON fast path and hand-assembled leaves equal RFC 8785 (rfc8785 package)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
import rfc8785
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gongzhi.ledger import canonical, public_fields
from gongzhi.ledger.services import LedgerEvent, build_entry

text = st.text(st.characters(codec="utf-8"), max_size=12)  # includes controls, CJK, astral


def _docs(limit):
    scalars = st.none() | st.booleans() | st.integers(-limit, limit) | text
    return st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=20
    )


json_docs = _docs(2**53 - 1)


@settings(max_examples=200, deadline=None)
@given(_docs(2**60))
def test_fast_path_equals_rfc8785(doc):
    try:
        expected = rfc8785.dumps(doc)
    except rfc8785.CanonicalizationError as exc:  # out-of-range integers: both refuse
        with pytest.raises(type(exc)):
            canonical.dumps(doc)
    else:
        assert canonical.dumps(doc) == expected


def test_fallbacks():
    assert canonical.dumps({"\U0001f600": 1, "\ufb01": 2}) == rfc8785.dumps({"\U0001f600": 1, "\ufb01": 2})
    assert canonical.dumps({"x": 1.5, "y": 1e21}) == rfc8785.dumps({"x": 1.5, "y": 1e21}) == b'{"x":1.5,"y":1e+21}'
    assert (
        canonical.object_of_strings({"b": "1", "a": "\u2028\n"}) == rfc8785.dumps({"a": "\u2028\n", "b": "1"}).decode()
    )


@settings(max_examples=80, deadline=None)
@given(
    payload=st.dictionaries(text.filter(lambda k: k != "personal"), json_docs, max_size=4),
    personal=st.dictionaries(text, json_docs, max_size=3),
    agg=text,
    typ=text,
    region=st.none() | text,
    offset=st.integers(-12, 14),
)
def test_entries_are_canonical(payload, personal, agg, typ, region, offset):
    when = datetime(2026, 11, 22, 3, 4, 5, 6789, tzinfo=timezone(timedelta(hours=offset)))
    event = LedgerEvent(uuid.uuid4(), typ, when, "request", agg, {**payload, "personal": personal}, region, 7)
    entry, salts = build_entry(event)
    doc = json.loads(entry)
    assert entry == rfc8785.dumps(doc)
    assert doc["record"] == {"type": "request", "id": agg}
    assert doc["occurred_at"] == when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # An undeclared event type publishes no field in clear: each is a commitment (issue 17).
    assume(public_fields.allowed_fields(typ) is None)
    pointers = {"/data/" + k.replace("~", "~0").replace("/", "~1") for k in payload}
    assert set(doc["data"]) == set(payload) and all(public_fields.COMMITMENT.fullmatch(v) for v in doc["data"].values())
    assert set(doc["personal"]) | pointers == set(json.loads(salts)) and set(doc["personal"]) == {
        *map(str, personal),
        "actor",
    }
