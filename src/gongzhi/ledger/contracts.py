"""The ledger's contracts (see :mod:`gongzhi.core.contracts`).

The ledger emits no domain events: it is fed by them (``ledger.subscribers``) and its own record is the
Merkle log. Its refusals are :class:`gongzhi.ledger.services.LedgerError` (an operator's or a
verifier's mistake, answered as ``CoreError.NOT_FOUND`` by the API), not domain errors, so it has
no codes of its own either.
"""

from __future__ import annotations

from gongzhi.core.contracts import ErrorCode


class LedgerErrorCode(ErrorCode):
    """No codes of its own (see the module docstring)."""
