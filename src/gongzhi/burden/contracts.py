"""The burden app's contracts: the events it emits and the error codes it raises (see
:mod:`gongzhi.core.contracts`)."""

from __future__ import annotations

from gongzhi.core.contracts import ErrorCode, EventType, TypedDict


class DemandIssued(TypedDict):
    title: str
    kind: str
    issuer: str  # the issuing unit's code
    minutes: int  # what one occurrence costs a worker by hand
    full_minutes: int  # what it would cost without the platform's pre-filled fields
    recurrence: str
    occurrences: int
    targets: int
    duplicate_fields: list[str]  # report fields the platform already holds
    hidden_assessment: bool


class ItemCompleted(TypedDict):
    item: int
    on: str  # ISO date
    minutes: int


class OrderIssued(TypedDict):
    title: str
    issuer: str
    effective_on: str  # ISO date
    target_cut_pct: int


class DefinitionField(TypedDict):
    code: str
    source: str


class DefinitionCreated(TypedDict):
    name: str
    kind: str
    fields: list[DefinitionField]
    list_source: str


class ReportGenerated(TypedDict):
    report: int
    period: str
    rows: int


DEMAND_ISSUED = EventType(
    "burden.demand.issued", DemandIssued, "a demand (form, report, check-in ...) was sent down to the grassroots"
)
ITEM_COMPLETED = EventType("burden.item.completed", ItemCompleted, "a worker completed one occurrence of a demand")
ORDER_ISSUED = EventType("burden.order.issued", OrderIssued, "a burden-reduction order was issued")
DEFINITION_CREATED = EventType(
    "burden.definition.created", DefinitionCreated, "a report or problem list was defined as data"
)
REPORT_GENERATED = EventType("burden.report.generated", ReportGenerated, "a report was generated from the records")


class BurdenError(ErrorCode):
    """The burden app's own codes (shared ones are :class:`~gongzhi.core.contracts.CoreError`; completing an
    item twice is ``CoreError.INVALID_STATE``, formerly ``state``)."""

    UNKNOWN_SOURCE = "unknown_source"  # a report field's source names no registered query
