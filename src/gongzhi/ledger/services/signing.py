"""Signing checkpoints: :func:`sign_checkpoint` signs the current tree head after checking that it is
consistent with the last signed checkpoint, and refuses loudly otherwise."""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.utils import timezone

from .. import merkle
from ..models import SignedCheckpoint
from ..note import Signer, format_checkpoint, sign_note
from .errors import InconsistentLogError
from .hashstore import _b, _DictStore, _lock_head, store
from .keys import load_signer, origin

log = logging.getLogger("gongzhi.ledger")


def sign_checkpoint(signer: Signer | None = None) -> SignedCheckpoint:
    """Sign the current tree head, refusing if it is not consistent with the last checkpoint.

    Returns the existing checkpoint when the tree has not grown.
    """
    signer = signer or load_signer()
    with transaction.atomic():
        size, head_root = _lock_head()
        return _sign_locked(size, head_root, signer)


def _last_signed() -> tuple[int, bytes] | None:
    """``(size, root)`` of the largest signed checkpoint, or None."""
    table = connection.ops.quote_name(SignedCheckpoint._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"SELECT size, root FROM {table} ORDER BY size DESC LIMIT 1")
        row = cur.fetchone()
    return (row[0], _b(row[1])) if row else None


def _sign_locked(size: int, head_root: bytes, signer: Signer, *, instance: bool = True) -> SignedCheckpoint | None:
    """Sign ``(size, head_root)`` under the head lock, after checking it.

    The root is recomputed from the stored subtrees and must equal the head; a
    consistency proof from the last signed checkpoint, built from the stored subtrees,
    must verify.  The hashes for both are read in one :meth:`DbHashStore.get_many`.
    Returns the checkpoint (the existing one if the tree has not grown); with
    ``instance=False`` it is written with one raw ``INSERT`` and nothing is returned.
    """
    last = _last_signed()
    peaks = merkle.peaks_of(size)
    proof_coords = []
    if last is not None and 0 < last[0] < size:
        proof_coords = merkle.proof_subtrees(merkle.consistency_ranges(last[0], size))
    coords = peaks + proof_coords
    try:
        read = _DictStore(dict(zip(coords, store.get_many(coords), strict=True)))
    except KeyError as exc:
        _refuse(f"the tree of size {size} cannot be read back: {exc}")
    root = merkle.fold_peaks(read.get_many(peaks))
    if root != head_root:
        _refuse(f"stored subtrees give root {root.hex()} at size {size}, the head says {head_root.hex()}")
    if last is not None:
        last_size, last_root = last
        if last_size > size:
            _refuse(f"the log has {size} leaves but checkpoint {last_size} was already signed")
        if last_size == size:
            if last_root != root:
                _refuse(f"size {size} was signed with root {last_root.hex()}, the tree now has {root.hex()}")
            return SignedCheckpoint.objects.get(size=size) if instance else None
        try:
            proof = merkle.consistency_proof(last_size, size, read)
            merkle.verify_consistency(last_size, size, proof, last_root, root)
        except (merkle.ProofError, KeyError) as exc:
            _refuse(f"tree of size {size} is not consistent with signed checkpoint {last_size}: {exc}")
    note = sign_note(format_checkpoint(origin(), size, root), signer)
    if instance:
        return SignedCheckpoint.objects.create(size=size, root=root, note=note)
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {qn(SignedCheckpoint._meta.db_table)} (size, root, note, signed_at) VALUES (%s, %s, %s, %s)",
            [size, root, note, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
    return None


def _refuse(message: str):
    log.critical("REFUSING TO SIGN A LEDGER CHECKPOINT: %s", message)
    raise InconsistentLogError(f"refusing to sign a checkpoint: {message}")


def latest_checkpoint() -> SignedCheckpoint | None:
    return SignedCheckpoint.objects.order_by("-size").first()
