from __future__ import annotations

import pytest

from gongzhi.ledger import services
from gongzhi.ledger.note import Signer


@pytest.fixture
def ledger_key(monkeypatch):
    """A fresh log key for the test, given through GONGZHI_LEDGER_KEY."""
    signer = Signer.generate("gongzhi.local/ledger")
    monkeypatch.setenv("GONGZHI_LEDGER_KEY", signer.to_key())
    services._signer_cache.clear()
    return signer
