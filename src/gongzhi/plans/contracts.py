"""The plans app's contracts: the events it emits and the error codes it raises (see
:mod:`gongzhi.core.contracts`). Goal events are about one goal (``aggregate_type`` ``plan_goal``),
task, flag and adjustment events about one task (``plan_task``). Decisions and adjustments are public
(they reach the transparency ledger).
"""

from __future__ import annotations

from typing import Any

from gongzhi.core.contracts import ErrorCode, EventType, TypedDict


class RecordLinked(TypedDict):
    kind: str  # request / vote / follow_up / meeting / alliance_task / activity
    object_id: int
    task: int | None


class GoalFields(TypedDict):
    title: str
    source_kind: str
    lead_unit: str  # the lead unit's code
    due_on: str  # ISO date


class GoalCreated(GoalFields):
    alliance_goal: int | None
    follow_up: int | None
    directive_ref: str


class GoalEnded(GoalFields):
    reason: str


class TaskFields(TypedDict):
    goal: int
    title: str
    unit: str  # the responsible unit's code
    deadline: str  # ISO date
    indicator: str
    target: float


class TaskAssigned(TaskFields):
    quality_standard: str
    parent: int | None


class Evidence(TypedDict):
    kind: str
    id: int
    label: str


class TaskDone(TaskFields):
    done_on: str  # ISO date
    on_time: bool
    evidence: Evidence | str  # the linked record, or "subtasks" when the last sub-task was done


class ProgressReported(TypedDict):
    goal: int
    value: float | None
    progress: float
    note: str


class FeedbackReceived(TypedDict):
    source: str  # resident / unit
    rating: str
    task: int | None
    unit: str | None


class FlagRaised(TypedDict):
    goal: int
    kind: str  # overdue / off_track / quality
    detail: str
    unit: str


class FlagResolved(TypedDict):
    kind: str
    resolution: str
    auto: bool  # lifted by the periodic check or a later step, not by a person


class TaskAdjustment(TypedDict):
    goal: int
    kind: str  # deadline / scope / unit / cancel
    changes: dict[str, list[Any]]  # field -> [old, new]
    reason: str


class AdjustmentDecided(TaskAdjustment):
    note: str


RECORD_LINKED = EventType("plans.record_linked", RecordLinked, "an operational record was linked to a goal or task")
GOAL_CREATED = EventType("plans.goal_created", GoalCreated, "a goal was set from its source")
GOAL_CLOSED = EventType("plans.goal_closed", GoalEnded, "a goal was closed as done")
GOAL_CANCELLED = EventType("plans.goal_cancelled", GoalEnded, "a goal was cancelled, with the reason")
TASK_ASSIGNED = EventType("plans.task_assigned", TaskAssigned, "a goal was decomposed into a task for a unit")
PROGRESS_REPORTED = EventType("plans.progress_reported", ProgressReported, "the responsible unit reported progress")
TASK_DONE = EventType("plans.task_done", TaskDone, "a task was done, with its evidence")
FEEDBACK_RECEIVED = EventType("plans.feedback_received", FeedbackReceived, "feedback on a goal from a resident or unit")
FLAG_RAISED = EventType("plans.flag_raised", FlagRaised, "a supervision flag was raised on a task")
FLAG_RESOLVED = EventType("plans.flag_resolved", FlagResolved, "a supervision flag was lifted")
ADJUSTMENT_REQUESTED = EventType(
    "plans.adjustment_requested", TaskAdjustment, "the responsible unit asked for a task to be adjusted"
)
ADJUSTMENT_APPROVED = EventType("plans.adjustment_approved", AdjustmentDecided, "a requested adjustment was approved")
ADJUSTMENT_REJECTED = EventType("plans.adjustment_rejected", AdjustmentDecided, "a requested adjustment was refused")
TASK_ADJUSTED = EventType("plans.task_adjusted", TaskAdjustment, "a planner adjusted a task, in force at once")


class ReviewScheduled(TypedDict):
    goal: int
    cadence: str  # monthly / bimonthly / quarterly
    first_on: str  # ISO date


class ReviewJudgementOut(TypedDict):
    task: int
    status: str  # on_track / at_risk / off_track
    reason: str  # a JudgementReason code


class ReviewIndicator(TypedDict):
    task: int
    value: float | None
    target: float
    progress: float


class ReviewHeld(TypedDict):
    goal: int
    meeting: int
    held_on: str  # ISO date
    participants: list[str]  # unit codes
    judgements: list[ReviewJudgementOut]
    adjustments: list[int]  # the adjustments decided (ids)
    flags: int  # follow-up supervision flags raised
    indicators: list[ReviewIndicator]  # the snapshot read at the meeting
    summary: str  # the conclusion (free text: a commitment on the public record)


REVIEW_SCHEDULED = EventType(
    "plans.review_scheduled", ReviewScheduled, "a goal's regular joint review (定期会商研判) was scheduled"
)
REVIEW_HELD = EventType(
    "plans.review_held",
    ReviewHeld,
    "a joint review meeting was held: indicators read, tasks judged, adjustments decided, supervision followed up",
)


class PlansError(ErrorCode):
    """The plans app has no codes of its own: a refused input is ``CoreError.INVALID`` on its field,
    a step the goal's or task's state does not allow ``CoreError.INVALID`` on ``state`` (as before),
    someone else's change first ``CoreError.CONFLICT``."""
