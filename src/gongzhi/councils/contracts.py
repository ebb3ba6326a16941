"""The councils app's contracts: the events it emits (all public: the platforms' meetings, decisions
and the 三重一大 procedure are on the public record) and its error codes.

Payloads carry structured fields (codes, counts, dates, amounts, states); free text (titles,
minutes, notes) is published only as a commitment (``ledger.public_fields``); a person member's name
only under ``personal``.
"""

from __future__ import annotations

from gongzhi.core.contracts import ErrorCode, EventType, TypedDict


class CouncilRef(TypedDict):
    council: str  # the council's code


class Established(CouncilRef):
    name: str
    level: str
    region: str
    host: str


class MemberPersonal(TypedDict):
    name: str
    person_id: int


class MemberAdded(CouncilRef, total=False):
    role: str
    unit: str | None
    personal: MemberPersonal


class MeetingHeld(CouncilRef):
    meeting: str
    held_on: str
    members: int
    present: int
    quorum: bool
    agenda: list[str]  # each item's source (requests / alliance_need / consultation / matter / other)
    title: str
    minutes: str


class DecisionRecorded(CouncilRef):
    meeting: str
    decision: str
    votes_for: int
    votes_against: int
    votes_abstain: int
    outcome: str
    effect: str
    effect_type: str
    effect_ref: str
    title: str


class MatterStep(TypedDict):
    matter: str
    kind: str
    step: str
    status: str
    council: str
    subject_type: str
    subject_ref: str
    amount: str | None
    decision: str | None
    title: str
    note: str


class MatterUsed(TypedDict):
    matter: str
    subject_type: str
    subject_ref: str
    effect_ref: str
    amount: str
    remaining: str


ESTABLISHED = EventType("councils.established", Established, "a governance platform was set up")
MEMBER_ADDED = EventType("councils.member_added", MemberAdded, "a unit or person joined a platform")
MEETING_HELD = EventType(
    "councils.meeting_held", MeetingHeld, "a platform's meeting was held and its minutes published"
)
DECISION_RECORDED = EventType("councils.decision_recorded", DecisionRecorded, "a meeting's decision was voted")
MATTER_STEP = EventType("councils.matter_step", MatterStep, "a step of a 三重一大 matter's procedure was recorded")
MATTER_USED = EventType("councils.matter_used", MatterUsed, "an approved 三重一大 matter covered an effect")


class CouncilsError(ErrorCode):
    """The councils app's own codes (invalid input is ``CoreError.INVALID``, a step out of order
    ``CoreError.INVALID_STATE``)."""

    NO_QUORUM = "no_quorum"  # the meeting did not reach the quorum: it decides nothing
    MATTER_REQUIRED = "matter_required"  # an effect above the threshold without an approved matter
    OUT_OF_ORDER = "out_of_order"  # a procedure step before the one it must follow
