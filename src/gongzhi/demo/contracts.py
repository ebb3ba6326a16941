"""The demo generator's contracts: the event it emits (see :mod:`gongzhi.core.contracts`)."""

from __future__ import annotations

from gongzhi.core.contracts import EventType, TypedDict


class Generated(TypedDict):
    seed: int
    scale: str
    counts: dict[str, int]  # rows written, by model


GENERATED = EventType("demo.generated", Generated, "the demo district was generated (not public)")
