"""The incidents app's contracts: the events it emits and the error codes it raises (see
:mod:`gongzhi.core.contracts`). Every event is ``incidents.<what happened>`` about one incident, and
its payload names the incident (``incident``: its code); personal fields only under ``personal``.
"""

from __future__ import annotations

from gongzhi.core.contracts import ErrorCode, EventType, TypedDict


class IncidentEvent(TypedDict):
    incident: str  # the incident's code


class Declared(IncidentEvent):
    name: str
    kind: str
    severity: int
    region: str
    grids: list[str]
    desk_unit: str
    desk_unit_name: str
    declared_at: str  # ISO time


class Mobilised(IncidentEvent):
    party_member: int
    volunteer: int
    notified: int
    channel: str


class PersonPersonal(TypedDict):
    name: str
    person_id: int


class CheckedIn(IncidentEvent):
    mobilisation: int
    kind: str
    grid: str | None
    at: str
    personal: PersonPersonal


class Assigned(IncidentEvent):
    mobilisation: int
    kind: str
    task: str
    need: int | None
    personal: PersonPersonal


class NeedRaised(IncidentEvent):
    need: int
    title: str
    kind: str
    quantity: int
    grid: str | None


class Note(IncidentEvent):
    text: str


class Counts(TypedDict):
    received: int
    resolved: int
    by_state: dict[str, int]


class DeskCounts(IncidentEvent, Counts):
    pass


class StoodDown(IncidentEvent):
    stood_down_at: str
    note: str
    requests: Counts
    mobilised: int
    checked_in: int
    assigned: int
    needs: int


DECLARED = EventType("incidents.declared", Declared, "an incident was declared for an area")
MOBILISED = EventType("incidents.mobilised", Mobilised, "party members and volunteers of the area were notified")
CHECKED_IN = EventType("incidents.checked_in", CheckedIn, "a mobilised person reported for duty")
ASSIGNED = EventType("incidents.assigned", Assigned, "a checked-in person was given a task")
NEED_RAISED = EventType("incidents.need_raised", NeedRaised, "an emergency need was raised to the common pool")
NOTE = EventType("incidents.note", Note, "the desk recorded the situation")
DESK_COUNTS = EventType("incidents.desk_counts", DeskCounts, "the desk's request counts were published")
STOOD_DOWN = EventType("incidents.stood_down", StoodDown, "the response ended")


class IncidentsError(ErrorCode):
    """The incidents app's own codes. Work on a stood-down incident, standing down twice, checking in
    twice and assigning before check-in are ``CoreError.INVALID_STATE`` (formerly ``stood_down``,
    ``already_stood_down``, ``already_checked_in``, ``not_checked_in``); an unknown grid code is
    ``CoreError.INVALID`` on ``grids`` (formerly ``unknown_grid``)."""

    EMPTY_AREA = "empty_area"  # neither the grids nor the polygon cover any grid
    # A grid of the area in another active incident already: org's ``OrgError.OVERLAP`` (one code, declared
    # once, in the lower layer that also raises it for overlapping grids).
