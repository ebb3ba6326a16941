"""The public record: appending events, signing checkpoints, proofs and receipts.

The package, by concern:

* :mod:`.keys` — the log's signing key and origin;
* :mod:`.entries` — the canonical leaf of an event (personal fields as salted commitments);
* :mod:`.hashstore` — the hash store (:class:`DbHashStore`: proofs with one query per table) and the head;
* :mod:`.bulk` — writing leaves in bulk (PostgreSQL ``COPY``, ``executemany`` elsewhere);
* :mod:`.append` — :func:`append_events`, in one transaction, idempotent by event id;
* :mod:`.signing` — :func:`sign_checkpoint`, refusing a head inconsistent with the last checkpoint;
* :mod:`.proofs` — inclusion and consistency proofs, receipts;
* :mod:`.withheld` — entries whose content is no longer served.

Callers use the package (``from gongzhi.ledger import services; services.append_events(...)``).
"""

from __future__ import annotations

from . import append, bulk, entries, hashstore, keys, proofs, signing, withheld
from .append import AppendResult, append_events
from .entries import ENTRY_VERSION, LedgerEvent, build_entry, commitment, project, record_key
from .errors import InconsistentLogError, LedgerError
from .hashstore import DbHashStore, head, store
from .keys import database_key, key_from_settings, key_path, load_signer, origin, verifier, write_new_key
from .proofs import Receipt, b64, checkpoint_for, consistency, inclusion, receipt
from .signing import latest_checkpoint, sign_checkpoint
from .withheld import leaves_for, public_entries, record_leaves, withheld_marker, withhold

__all__ = [
    "ENTRY_VERSION",
    "AppendResult",
    "DbHashStore",
    "InconsistentLogError",
    "LedgerError",
    "LedgerEvent",
    "Receipt",
    "append",
    "append_events",
    "b64",
    "build_entry",
    "bulk",
    "checkpoint_for",
    "commitment",
    "consistency",
    "entries",
    "hashstore",
    "head",
    "inclusion",
    "database_key",
    "key_from_settings",
    "key_path",
    "keys",
    "latest_checkpoint",
    "leaves_for",
    "load_signer",
    "origin",
    "project",
    "proofs",
    "public_entries",
    "receipt",
    "record_key",
    "record_leaves",
    "sign_checkpoint",
    "signing",
    "store",
    "verifier",
    "withheld",
    "withheld_marker",
    "withhold",
    "write_new_key",
]
