"""The patrols app's contracts: the events it emits and its error codes (see :mod:`gongzhi.core.contracts`)."""

from __future__ import annotations

from gongzhi.core.contracts import ErrorCode, EventType, TypedDict


class Recorded(TypedDict):
    patrol: int
    grid: str  # grid code
    on: str  # ISO date
    findings: list[str]  # numbers of the requests filed from it
    minutes: int | None


class CadenceSet(TypedDict):
    target: str  # grid:<code> or region:<code>
    every_days: int


RECORDED = EventType("patrols.recorded", Recorded, "a grid worker recorded a patrol of a grid, with its findings")
CADENCE_SET = EventType("patrols.cadence_set", CadenceSet, "how often grids are to be patrolled was set")


class PatrolError(ErrorCode):
    NOT_YOUR_GRID = "not_your_grid"
    BAD_DATE = "bad_date"
