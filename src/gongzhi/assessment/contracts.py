"""The assessment app's contracts: the events it emits and the error codes it raises (see
:mod:`gongzhi.core.contracts`)."""

from __future__ import annotations

from gongzhi.core.contracts import ErrorCode, EventType, TypedDict


class IndicatorDefined(TypedDict):
    code: str
    formula: str
    element: str  # the fusion element it measures, or ""


class IndicatorChanged(TypedDict):
    code: str
    formula: str
    version: int
    active: bool


class SchemeCreated(TypedDict):
    code: str
    weights: dict[str, dict[str, list[float]]]  # area kind -> indicator code -> [weight, shift]
    params: dict[str, float]


class WeightsChanged(TypedDict):
    code: str
    version: int
    weights: dict[str, dict[str, list[float]]]


class RunCompleted(TypedDict):
    scheme: str
    period: str
    start: str  # ISO dates
    end: str
    results: dict[str, float | None]  # region code -> score (None: not scored)


INDICATOR_DEFINED = EventType(
    "assessment.indicator_defined", IndicatorDefined, "an indicator was added to the catalogue"
)
INDICATOR_CHANGED = EventType(
    "assessment.indicator_changed", IndicatorChanged, "an indicator's name, formula or activity changed"
)
SCHEME_CREATED = EventType(
    "assessment.scheme_created", SchemeCreated, "an assessment scheme (weights by area kind) was set up"
)
WEIGHTS_CHANGED = EventType("assessment.weights_changed", WeightsChanged, "a scheme's weights were changed")
RUN_COMPLETED = EventType(
    "assessment.run_completed", RunCompleted, "the streets and communities of a region were assessed for a period"
)


class AssessmentError(ErrorCode):
    """The assessment app's own codes (shared ones are :class:`~gongzhi.core.contracts.CoreError`)."""

    NEVER_ASSESS = "never_assess"  # a formula uses a figure on the never-assess list (burden of paperwork ...)
    UNKNOWN_FIELD = "unknown_field"  # a formula names a measure that does not exist
    WEIGHTS_SUM = "weights_sum"  # an area kind's weights do not add up to 1
