"""Appending events to the log: :func:`append_events` turns public domain events into leaves in one
transaction, idempotent by event id, writing every newly completed subtree hash (``O(log n)``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from .. import merkle
from ..models import Head, Node
from .bulk import _copy_leaves, _existing_ids, _insert_columns, _insert_leaves, _streamable, _uuid
from .hashstore import _lock_head, store
from .keys import load_signer
from .signing import _sign_locked


@dataclass
class AppendResult:
    size: int
    root: bytes
    appended: list[tuple[str, int]]  # (event id, leaf index) of new leaves
    skipped: int  # events already in the log (or duplicated in the batch)


def append_events(events: Iterable, *, sign: bool = False) -> AppendResult:
    """Append public events as leaves, in one transaction, idempotent by event id.

    Non-public events are skipped.  With ``sign=True`` a checkpoint of the new head is
    signed in the same transaction.  Per batch: one lock, one idempotency query, one
    read of the current peaks, one bulk insert per table, one head update (and the
    checkpoint); no model instances are built for the leaves.
    """
    events = [e for e in events if getattr(e, "public", True)]
    with transaction.atomic():
        size0, root0 = _lock_head()
        uuids = [_uuid(e.event_id) for e in events]
        ids = [str(u) for u in uuids]
        native_uuid = connection.features.has_native_uuid_field
        stored_ids = uuids if native_uuid else [u.hex for u in uuids]  # as the event_id column holds them
        seen = _existing_ids(uuids, stored_ids)
        fresh, fresh_ids, fresh_stored = [], [], []
        for e, eid, sid in zip(events, ids, stored_ids, strict=True):
            if eid in seen:
                continue
            seen.add(eid)
            fresh.append(e)
            fresh_ids.append(eid)
            fresh_stored.append(sid)
        if fresh:
            peaks = store.get_many(merkle.peaks_of(size0))
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            if connection.vendor == "postgresql" and _streamable(fresh):
                hashes = _copy_leaves(size0, fresh, fresh_ids, fresh_stored, now)
            else:
                hashes = _insert_leaves(size0, fresh, fresh_ids, fresh_stored, now)
            size, new_peaks, nodes = merkle.extend(size0, peaks, hashes, leaves=False)
            if nodes:
                _insert_columns(Node, ["level", "index", "hash"], [list(c) for c in zip(*nodes, strict=True)])
            root = merkle.fold_peaks(new_peaks)
            with connection.cursor() as cur:
                cur.execute(
                    f"UPDATE {connection.ops.quote_name(Head._meta.db_table)} SET size = %s, root = %s WHERE id = 1",
                    [size, root],
                )
            appended = list(zip(fresh_ids, range(size0, size), strict=True))
        else:
            size, root, appended = size0, root0, []
        if sign:
            _sign_locked(size, root, load_signer(), instance=False)
    return AppendResult(size, root, appended, len(events) - len(appended))
