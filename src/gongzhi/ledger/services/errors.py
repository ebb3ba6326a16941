"""What the ledger raises: :class:`LedgerError` (it cannot do what was asked; the message says why)."""

from __future__ import annotations


class LedgerError(RuntimeError):
    """The ledger cannot do what was asked; the message says why."""


class InconsistentLogError(LedgerError):
    """The log's current tree is not an extension of the last signed checkpoint."""
