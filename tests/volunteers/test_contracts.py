"""The volunteers app's declared events (contracts.py) agree with the public ledger's allow-list: every event
has an entry there, and every field the ledger publishes in clear is a key of the declared payload."""

from __future__ import annotations

import pytest

from gongzhi.core.contracts import EventType
from gongzhi.ledger import public_fields
from gongzhi.volunteers import contracts

EVENTS = [v for v in vars(contracts).values() if isinstance(v, EventType)]


def test_every_event_is_named_after_the_app():
    assert EVENTS and all(e.startswith("volunteers.") for e in EVENTS)


@pytest.mark.parametrize("event", EVENTS, ids=str)
def test_the_ledger_publishes_only_declared_fields(event):
    clear = public_fields.allowed_fields(event)
    assert clear is not None, f"{event} has no entry in ledger/public_fields.py"
    keys = event.payload.__required_keys__ | event.payload.__optional_keys__
    assert clear <= keys, f"{event}: the ledger publishes {sorted(clear - keys)}, not in {event.payload.__name__}"
