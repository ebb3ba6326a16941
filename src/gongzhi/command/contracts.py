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


class MechanismDefined(TypedDict):
    code: str
    kind: str
    cadence: str
    reads: list[str]


class SessionScheduled(TypedDict):
    mechanism: str
    kind: str
    period: str
    scheduled_on: str


class SessionHeld(TypedDict):
    mechanism: str
    kind: str
    period: str
    held_on: str
    present: int
    decisions: int
    followups: int
    closed_followups: int
    top: list[str]  # region codes ranked first (a ranking mechanism), else empty


class FollowUpClosed(TypedDict):
    followup: int
    session: int
    closed_on: str


class BoardRuleSet(TypedDict):
    key: str
    board: str


MECHANISM_DEFINED = EventType(
    "command.mechanism.defined", MechanismDefined, 'a mechanism of the "885" system was defined for a region'
)
SESSION_SCHEDULED = EventType(
    "command.session.scheduled", SessionScheduled, "a mechanism's session fell due for a region and a period"
)
SESSION_HELD = EventType(
    "command.session.held",
    SessionHeld,
    "a mechanism's session was held: what it read, attendance, ranking, decisions and follow-ups recorded",
)
FOLLOWUP_CLOSED = EventType("command.followup.closed", FollowUpClosed, "a matter a session assigned was closed")
BOARD_RULE_SET = EventType(
    "command.board_rule.set", BoardRuleSet, "a region set the board of a category or kind of record"
)
