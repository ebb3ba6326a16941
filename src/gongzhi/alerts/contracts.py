"""The alerts app's contracts: the events it emits and the error codes it raises (see
:mod:`gongzhi.core.contracts`). Alert events are not public (``public=False``): they stay in the
outbox for subscribers and the audit trail, never on the public record.

A status change is ``alerts.<new status>``, one event per status (declared one by one below and looked
up with :data:`STATUS_EVENTS`).
"""

from __future__ import annotations

from gongzhi.core.contracts import ErrorCode, EventType, TypedDict


class StatusChanged(TypedDict):
    kind: str
    key: str
    reason: str  # the note (acknowledge, resolve) or the reason (dismiss, required)


class Raised(TypedDict):
    kind: str
    key: str
    severity: int
    observed: int
    expected: float
    p_value: float
    window: list[str]  # first and last day (ISO dates)


class Updated(TypedDict):
    kind: str
    key: str
    observed: int
    window_end: str
    added_requests: int


class Scanned(TypedDict):
    first_day: str
    last_day: str
    raised: int
    updated: int


ACKNOWLEDGED = EventType("alerts.acknowledged", StatusChanged, "an alert was acknowledged")
DISMISSED = EventType("alerts.dismissed", StatusChanged, "an alert was dismissed (with the reason)")
RESOLVED = EventType("alerts.resolved", StatusChanged, "an alert was resolved")
RAISED = EventType("alerts.raised", Raised, "a scan raised a new alert")
UPDATED = EventType("alerts.updated", Updated, "a scan found an active alert's anomaly again and extended it")
SCANNED = EventType("alerts.scanned", Scanned, "a scan ran over a region")


class AgendaScanned(TypedDict):
    period: str  # YYYY-MM
    proposed: int  # new proposals
    refreshed: int  # proposals still undecided whose evidence the scan renewed


class AgendaProposed(TypedDict):
    kind: str  # topic | goal
    period: str
    signature: str
    label: str
    requests: int


class AgendaDecided(TypedDict):
    kind: str
    period: str
    signature: str
    label: str
    requests: list[int]  # the evidence (request ids)
    reason: str  # the cadre's note (accept) or reason (dismiss, required)
    topic: int | None  # the consultation topic drafted on acceptance
    goal_title: str  # the plan goal's title proposed on acceptance


AGENDA_SCANNED = EventType("alerts.agenda.scanned", AgendaScanned, "an agenda scan ran over a region and period")
AGENDA_PROPOSED = EventType(
    "alerts.agenda.proposed", AgendaProposed, "a recurring matter was proposed as a consultation topic or plan goal"
)
AGENDA_ACCEPTED = EventType(
    "alerts.agenda.accepted",
    AgendaDecided,
    "a cadre accepted an agenda proposal (a consultation topic was drafted, or the plan goal is to be set)",
)
AGENDA_DISMISSED = EventType(
    "alerts.agenda.dismissed", AgendaDecided, "a cadre dismissed an agenda proposal (with the reason)"
)

#: The event of each status an alert can be moved to (``models.Status`` values).
STATUS_EVENTS: dict[str, EventType] = {str(t).removeprefix("alerts."): t for t in (ACKNOWLEDGED, DISMISSED, RESOLVED)}


class AlertsError(ErrorCode):
    """The alerts app has no codes of its own: a status change the alert's status does not allow is
    ``CoreError.INVALID_STATE``, other refusals ``CoreError.INVALID`` / ``CONFLICT`` / ``NOT_FOUND``."""
