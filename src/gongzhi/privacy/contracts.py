"""The privacy app's contracts: the events it emits (see :mod:`gongzhi.core.contracts`). It raises only
shared codes (:class:`~gongzhi.core.contracts.CoreError`)."""

from __future__ import annotations

from gongzhi.core.contracts import EventType, TypedDict


class Purged(TypedDict):
    kind: str  # the retention kind (privacy.retention)
    action: str  # delete, anonymise, unlink
    rows: int
    cutoff: str  # ISO time: records before it were purged
    days: int


PURGED = EventType("privacy.purged", Purged, "a batch of records past their retention period was deleted or anonymised")
