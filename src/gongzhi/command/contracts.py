"""The command centres' contracts: the events they emit (see :mod:`gongzhi.core.contracts`). They raise only
shared codes (:class:`~gongzhi.core.contracts.CoreError`)."""

from __future__ import annotations

from gongzhi.core.contracts import EventType, TypedDict


class RollupsRebuilt(TypedDict):
    counts: dict[str, int]  # rows rebuilt, by table


ROLLUPS_REBUILT = EventType(
    "command.rollups.rebuilt",
    RollupsRebuilt,
    "the facts and rollups of a region (or all) were recomputed from the records",
)
