"""Withheld entries: the operator stops serving the content of entries (personal data, a legal order);
the tree, checkpoints and proofs are unchanged, bundles and proofs serve a marker instead."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q

from .. import canonical
from ..models import Leaf, WithheldEntry
from .entries import ENTRY_VERSION
from .errors import LedgerError
from .hashstore import _b


def withheld_marker(index: int, event_id, record: str, leaf_hash_bytes: bytes, reason: str) -> bytes:
    """What bundles and proofs serve instead of a withheld entry (canonical JSON).

    ``{"event_id", "leaf_hash": hex, "record": {"id", "type"}, "v", "withheld": reason}``: no
    ``data`` key, so it can never be mistaken for an entry; its leaf hash is the one in the
    tree (the hash tiles hold it too), so a verifier takes it from here and every proof holds.
    """
    rtype, _, rid = record.partition(":")
    return canonical.dumps(
        {
            "event_id": str(event_id),
            "leaf_hash": leaf_hash_bytes.hex(),
            "record": {"id": rid, "type": rtype},
            "v": ENTRY_VERSION,
            "withheld": reason,
        }
    )


def public_entries(start: int, count: int) -> list[bytes]:
    """The entries ``start … start+count-1`` as published: withheld ones replaced by their markers."""
    rows = list(
        Leaf.objects.filter(index__gte=start, index__lt=start + count).order_by("index").values_list("index", "entry")
    )
    withheld = dict(
        WithheldEntry.objects.filter(index__gte=start, index__lt=start + count).values_list("index", "reason")
    )
    if not withheld:
        return [_b(e) for _, e in rows]
    meta = {
        i: (eid, rec, _b(h))
        for i, eid, rec, h in Leaf.objects.filter(index__in=withheld).values_list(
            "index", "event_id", "record", "leaf_hash"
        )
    }
    return [withheld_marker(i, *meta[i], withheld[i]) if i in withheld else _b(e) for i, e in rows]


def leaves_for(*, indices=(), event_ids=(), records=()) -> list[int]:
    """Leaf indices named by index, event id or record (``type:id``); unknown names are refused."""
    found: set[int] = set()
    for i in indices:
        if not Leaf.objects.filter(index=i).exists():
            raise LedgerError(f"there is no leaf {i}")
        found.add(int(i))
    for eid in event_ids:
        try:
            leaf = Leaf.objects.filter(event_id=uuid.UUID(str(eid))).values_list("index", flat=True).first()
        except ValueError:
            raise LedgerError(f"{eid!r} is not an event id") from None
        if leaf is None:
            raise LedgerError(f"event {eid} is not in the log")
        found.add(leaf)
    for rec in records:
        got = list(Leaf.objects.filter(record=rec).values_list("index", flat=True))
        if not got:
            raise LedgerError(f"no leaf is about record {rec!r}")
        found.update(got)
    return sorted(found)


def withhold(actor, indices: Iterable[int], *, reason: str, note: str = "") -> list[int]:
    """Stop serving the content of these entries (idempotent); returns the newly withheld indices.
    ``actor`` is who withholds (the operator's command passes ``SYSTEM``), recorded in the security log.

    Nothing in the tree changes: the leaf rows (entry, hash, salts) stay for the operator,
    checkpoints are not re-signed.  Refuses an unknown reason or index.
    """
    if reason not in WithheldEntry.Reason.values:
        raise LedgerError(f"reason must be one of {', '.join(WithheldEntry.Reason.values)}, got {reason!r}")
    indices = sorted(set(int(i) for i in indices))
    if not indices:
        raise LedgerError("name at least one entry to withhold")
    with transaction.atomic():
        known = set(Leaf.objects.filter(index__in=indices).values_list("index", flat=True))
        missing = [i for i in indices if i not in known]
        if missing:
            raise LedgerError(f"no such leaves: {missing[:10]}")
        already = set(WithheldEntry.objects.filter(index__in=indices).values_list("index", flat=True))
        new = [i for i in indices if i not in already]
        user = actor if getattr(actor, "is_authenticated", False) else None
        WithheldEntry.objects.bulk_create(
            [WithheldEntry(index=i, reason=reason, note=note, withheld_by=user) for i in new]
        )
        if new:
            _audit_withholding(actor, new, reason)
    return new


def _audit_withholding(actor, indices: list[int], reason: str) -> None:
    """Record the withholding in the security audit log."""
    from gongzhi.core import audit

    audit.record(
        "ledger_withhold",
        actor=actor,
        target=f"ledger:{indices[0]}" + (f"…{indices[-1]}" if len(indices) > 1 else ""),
        detail={"indices": indices[:1000], "count": len(indices), "reason": reason},
    )


def record_leaves(record: str) -> list[int]:
    """Indices of all leaves about one record (``type:id``) or one event id."""
    q = Q(record=record)
    try:
        q |= Q(event_id=uuid.UUID(record))
    except ValueError:
        pass
    return list(Leaf.objects.filter(q).order_by("index").values_list("index", flat=True))
