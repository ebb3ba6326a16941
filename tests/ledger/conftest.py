from __future__ import annotations

import pytest

from gongzhi.ledger import services
from gongzhi.ledger.note import Signer


@pytest.fixture
def ledger_key(monkeypatch):
    """A fresh log key for the test, given through GONGZHI_LEDGER_KEY."""
    signer = Signer.generate("gongzhi.local/ledger")
    monkeypatch.setenv("GONGZHI_LEDGER_KEY", signer.to_key())
    services.keys._signer_cache.clear()
    return signer


@pytest.fixture(autouse=True)
def test_event_types():
    """The event types these tests invent, declared with their structured fields."""
    from gongzhi.ledger import public_fields

    declared = {"request.state_changed": {"state", "n", "ratio"}, "t": {"n"}}
    for name, fields in declared.items():
        public_fields.register(name, fields)
    yield
    for name in declared:
        public_fields.unregister(name)
