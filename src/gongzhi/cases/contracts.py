"""The request loop's contracts: the events it emits and the error codes it raises (see
:mod:`gongzhi.core.contracts`).

Every step of a request is one event ``cases.request.<action>`` (one per action, declared one by
one below and looked up with :data:`REQUEST_EVENTS`); its payload is the request's public state
(:class:`RequestStep`) and the step's own facts. Emergency bypasses and mediation cases have their own.
"""

from __future__ import annotations

from typing import NotRequired

from gongzhi.core.contracts import ErrorCode, EventType, TypedDict

# ----------------------------------------------------------------- request steps


class RequestStep(TypedDict):
    """What every ``cases.request.*`` event carries (``services._public_payload`` and the step)."""

    number: str
    state: str
    category: str | None
    region: str
    grid: str
    unit: str | None  # the handling unit's code
    action: str
    from_state: str  # "" for submit
    to_state: str
    reason: str
    followers: list[str]  # request numbers whose reporters follow this request


class ReporterPersonal(TypedDict):
    name: str
    phone: str
    id_number: str


class RequestSubmitted(RequestStep):
    channel: str
    suggested: str | None  # the suggested category's code, when the classifier was asked
    confidence: float | None
    attachments: NotRequired[int]
    personal: ReporterPersonal


class RequestDispatched(RequestStep):
    unit_name: NotRequired[str]  # absent on the dispatch step of a filed bypass


class RequestResolved(RequestStep):
    on_time: NotRequired[bool]
    bypass: NotRequired[int]  # a filed bypass: its id, and whether it was filed late
    filed_late: NotRequired[bool]


class RequestConfirmed(RequestStep):
    rating: str
    fixed: bool


class RequestEscalated(RequestStep):
    unit_name: str
    auto: bool


class RequestMerged(RequestStep):
    into: str


class RequestWhistle(RequestStep):
    departments: list[str]
    street: str | None


class RequestReport(RequestStep):
    department: str
    step: str  # acknowledge | act
    late: bool


class RequestFollowUp(RequestStep):
    fixed: bool
    rating: str


class RequestBypassFiled(RequestStep):
    bypass: int
    late: bool


REQUEST_SUBMIT = EventType("cases.request.submit", RequestSubmitted, "a request was recorded")
REQUEST_ACCEPT = EventType("cases.request.accept", RequestStep, "a request was accepted")
REQUEST_DISPATCH = EventType("cases.request.dispatch", RequestDispatched, "a request was dispatched to a unit")
REQUEST_START = EventType("cases.request.start", RequestStep, "the handling unit started work")
REQUEST_RETURN = EventType("cases.request.return", RequestStep, "the handling unit sent a request back (回退)")
REQUEST_RESOLVE = EventType("cases.request.resolve", RequestResolved, "a request was resolved (办结)")
REQUEST_CONFIRM = EventType("cases.request.confirm", RequestConfirmed, "the reporter rated the outcome")
REQUEST_CLOSE = EventType("cases.request.close", RequestStep, "a request was closed")
REQUEST_REOPEN = EventType("cases.request.reopen", RequestStep, "a request was reopened (重办)")
REQUEST_ESCALATE = EventType("cases.request.escalate", RequestEscalated, "a request went one level up")
REQUEST_MERGE = EventType("cases.request.merge", RequestMerged, "a request was merged into another")
REQUEST_NOT_OURS = EventType("cases.request.not_ours", RequestStep, "a request was marked not this level's duty")
REQUEST_CANCEL = EventType("cases.request.cancel", RequestStep, "a request was cancelled")
REQUEST_WHISTLE = EventType("cases.request.whistle", RequestWhistle, "the street summoned departments (吹哨)")
REQUEST_REPORT = EventType("cases.request.report", RequestReport, "a summoned department reported (报到)")
REQUEST_FOLLOWUP = EventType("cases.request.followup", RequestFollowUp, "a follow-up visit (回访) was recorded")
REQUEST_FILE_BYPASS = EventType(
    "cases.request.file_bypass", RequestBypassFiled, "an emergency bypass was filed as this request (事后备案)"
)

#: The event of each request action (``services.ACTIONS`` and the recorded steps).
REQUEST_EVENTS: dict[str, EventType] = {
    str(t).removeprefix("cases.request."): t
    for t in (
        REQUEST_SUBMIT,
        REQUEST_ACCEPT,
        REQUEST_DISPATCH,
        REQUEST_START,
        REQUEST_RETURN,
        REQUEST_RESOLVE,
        REQUEST_CONFIRM,
        REQUEST_CLOSE,
        REQUEST_REOPEN,
        REQUEST_ESCALATE,
        REQUEST_MERGE,
        REQUEST_NOT_OURS,
        REQUEST_CANCEL,
        REQUEST_WHISTLE,
        REQUEST_REPORT,
        REQUEST_FOLLOWUP,
        REQUEST_FILE_BYPASS,
    )
}

#: Prefix of every request event (subscribers that follow all of them).
REQUEST_PREFIX = "cases.request."

# ----------------------------------------------------------------- emergency bypass, mediation


class BypassStarted(TypedDict):
    grid: str
    category: str
    filing_due: str  # ISO time


class BypassUnfiled(TypedDict):
    grid: str
    street: str | None
    filing_due: str


class MediationPartiesPersonal(TypedDict):
    parties: list[str | None]


class MediationOpened(TypedDict):
    title: str
    region: str
    personal: MediationPartiesPersonal


class MediationClosed(TypedDict):
    outcome: str
    region: str


BYPASS_STARTED = EventType("cases.bypass.started", BypassStarted, "a grid worker acted at once in an emergency")
BYPASS_UNFILED = EventType("cases.bypass.unfiled", BypassUnfiled, "an emergency bypass was not filed in time")
MEDIATION_OPENED = EventType("cases.mediation.opened", MediationOpened, "a mediation case was opened")
MEDIATION_CLOSED = EventType("cases.mediation.closed", MediationClosed, "a mediation case was closed")


# ----------------------------------------------------------------- push-downs (向基层下派)


class PushDownRequested(TypedDict):
    number: str
    region: str
    street: str | None
    category: str
    listed_unit: str  # the unit the responsibility list names
    to_unit: str  # the lower unit the dispatcher chose
    pushdown: int
    reason: str  # free text: a commitment on the public record


class PushDownDecided(TypedDict):
    number: str
    region: str
    street: str | None
    category: str
    listed_unit: str
    to_unit: str
    pushdown: int
    status: str  # consented | approved | declined | refused | withdrawn
    decision: str  # consent (the receiving unit) | approval (a higher level) | withdrawal (the dispatcher)
    note: str


PUSHDOWN_REQUESTED = EventType(
    "cases.pushdown.requested",
    PushDownRequested,
    "a dispatcher asked to send a matter below the unit the list names (needs consent or approval)",
)
PUSHDOWN_DECIDED = EventType(
    "cases.pushdown.decided",
    PushDownDecided,
    "a push-down was consented to, approved, declined, refused or withdrawn",
)


# ----------------------------------------------------------------- error codes


class CasesError(ErrorCode):
    """The request loop's own codes. A step the request's state does not allow is
    ``CoreError.INVALID_STATE`` (formerly ``bad_transition``); an unknown grid is ``CoreError.INVALID``
    on ``grid`` (formerly ``unknown_grid``)."""

    TOP_LEVEL = "top_level"  # escalation: the request is at the highest level already
    NOT_EMERGENCY = "not_emergency"  # a bypass in a category that is neither an emergency nor basic livelihood
    TOO_MANY_ATTACHMENTS = "too_many_attachments"
    EMPTY_ATTACHMENT = "empty_attachment"
    ATTACHMENT_TYPE = "attachment_type"  # the content is not one of the accepted file types
    ATTACHMENT_TOO_LARGE = "attachment_too_large"  # one attachment over its size limit (413)
    # the power list (权力清单) and push-downs (seeds 001, 002)
    LACKS_POWER = "lacks_power"  # the unit does not hold a power the matter needs there (refused, even with consent)
    REASON_REQUIRED = "reason_required"  # a manual dispatch against the responsibility list without a reason
    PUSHDOWN_PENDING = "pushdown_pending"  # the request waits for a push-down's consent or approval
