"""Proofs and receipts: inclusion and consistency proofs against signed checkpoints, and a resident's
receipt for an event (checked for real: signature and inclusion proof)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from .. import merkle
from ..models import Leaf, SignedCheckpoint
from ..note import open_checkpoint
from .errors import LedgerError
from .hashstore import _b, store
from .keys import load_signer, origin
from .signing import latest_checkpoint
from .withheld import public_entries


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def checkpoint_for(size: int | None) -> SignedCheckpoint:
    cp = latest_checkpoint()
    if cp is None:
        raise LedgerError("no checkpoint has been signed yet")
    if size is None or size == cp.size:
        return cp
    found = SignedCheckpoint.objects.filter(size=size).first()
    if found is None:
        raise LedgerError(f"no signed checkpoint of size {size} (latest is {cp.size})")
    return found


def inclusion(index: int, size: int | None = None) -> dict:
    """Inclusion proof of leaf ``index`` against a signed checkpoint (latest by default)."""
    cp = checkpoint_for(size)
    if not 0 <= index < cp.size:
        raise LedgerError(f"leaf index {index} is not in the tree of size {cp.size}")
    leaf = Leaf.objects.get(index=index)
    proof = merkle.inclusion_proof(index, cp.size, store)
    return {
        "index": index,
        "tree_size": cp.size,
        "event_id": str(leaf.event_id),
        "record": leaf.record,
        "entry": b64(public_entries(index, 1)[0]),
        "leaf_hash": b64(_b(leaf.leaf_hash)),
        "proof": [b64(p) for p in proof],
        "root": b64(_b(cp.root)),
        "checkpoint": cp.note,
    }


def consistency(size1: int, size2: int | None = None) -> dict:
    new = checkpoint_for(size2)
    if not 0 <= size1 <= new.size:
        raise LedgerError(f"size1 {size1} must be between 0 and {new.size}")
    old_root = store.root(size1)
    proof = merkle.consistency_proof(size1, new.size, store)
    return {
        "size1": size1,
        "size2": new.size,
        "root1": b64(old_root),
        "root2": b64(_b(new.root)),
        "proof": [b64(p) for p in proof],
        "checkpoint": new.note,
    }


@dataclass
class Receipt:
    index: int
    tree_size: int
    checkpoint: str
    verified: bool
    problem: str = ""


def receipt(event_id) -> Receipt | None:
    """A resident's receipt for an event: leaf index, checkpoint, and a real proof check.

    ``verified`` is True only if the checkpoint signature verifies with the log key and
    the inclusion proof, recomputed from stored hashes, reaches the signed root.
    """
    leaf = Leaf.objects.filter(event_id=event_id).first()
    cp = latest_checkpoint()
    if leaf is None or cp is None or leaf.index >= cp.size:
        return None
    try:
        checkpoint, _ = open_checkpoint(cp.note, [load_signer(create=False).verifier], origin=origin())
        proof = merkle.inclusion_proof(leaf.index, checkpoint.size, store)
        lh = merkle.leaf_hash(_b(leaf.entry))
        merkle.verify_inclusion(leaf.index, checkpoint.size, lh, proof, checkpoint.root)
    except Exception as exc:  # any failure means "not verified", with the reason kept
        return Receipt(leaf.index, cp.size, cp.note, False, str(exc))
    return Receipt(leaf.index, cp.size, cp.note, True)
