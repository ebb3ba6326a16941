"""The alliances app's contracts: the events it emits and the error codes it raises (see
:mod:`gongzhi.core.contracts`). Every event is ``alliances.<what happened>``; until issue 22 they were
``alliance.*`` (:data:`RENAMED`). Events are about one alliance (``aggregate_type`` ``alliance``,
``aggregate_id`` its code) except the rules, which are about one rule set (``ruleset``).
"""

from __future__ import annotations

from typing import Any

from gongzhi.core.contracts import ErrorCode, EventType, TypedDict


class AllianceRef(TypedDict):
    code: str
    name: str
    kind: str


class Applied(AllianceRef):
    lead_unit: str  # unit code
    members: list[str]  # proposed member unit codes


class Decided(AllianceRef):
    approver: str  # the approving party organisation's name
    reason: str
    decided_on: str
    members: list[str]  # lead and member unit codes when approved, empty when rejected


class MemberRequested(AllianceRef):
    unit: str
    via: str  # invitation / application


class MemberAnswered(AllianceRef):
    unit: str
    unit_name: str
    beyond_cap: bool
    special_justification: str


class MemberExited(AllianceRef):
    unit: str
    summary: str


class MemberRemoved(AllianceRef):
    unit: str
    review: str
    record: dict[str, int]  # participation_summary(): meetings attended, suggestions, supplies …


class GoalDecided(AllianceRef):
    goal: str
    approver: str
    reason: str


class ListsAgreed(AllianceRef):
    year: int
    counts: dict[str, int]  # list kind -> items


class TaskPersonal(TypedDict):
    owner_name: str


class TaskClaimed(AllianceRef):
    project: str
    unit: str
    deadline: str
    personal: TaskPersonal


class TaskCompleted(AllianceRef):
    project: str
    unit: str
    on_time: bool


class MeetingRecorded(AllianceRef):
    kind: str
    year: int
    period: int
    held_on: str
    late: bool
    attendance: int


class FundRecorded(AllianceRef):
    direction: str  # income / spending
    source: str
    project: str
    amount: str  # yuan, two decimals
    on: str
    balance: str


class ActivityRecorded(AllianceRef):
    kind: str
    title: str
    held_on: str
    units: int


class RulesPublished(TypedDict):
    version: int
    effective_from: str
    rules: dict[str, Any]


class QuarterClosed(TypedDict):
    alliance: str
    name: str
    year: int
    quarter: int
    ruleset: int
    scores: list[dict[str, Any]]  # per unit: unit, unit_name, total and the score of each dimension


class ScoreCorrected(TypedDict):
    alliance: str
    year: int
    quarter: int
    unit: str
    dimension: str
    points: float
    reason: str


class PointsPublished(TypedDict):
    alliance: str
    name: str
    year: int
    points: list[dict[str, Any]]  # per unit: unit, unit_name, points


class Rated(TypedDict):
    alliance: str
    name: str
    year: int
    stars: int | None
    score: float | None
    ruleset: int
    units: list[dict[str, Any]]  # per unit: unit, unit_name, points, appraisal, final, stars, outcome


class RectificationOpened(TypedDict):
    alliance: str
    year: int  # the review's year
    unit: str
    unit_name: str
    round: int  # 1, or the next after a failed re-review
    stars: int
    final: float
    opened_on: str
    deadline: str
    tasks: list[dict[str, Any]]  # per task: title, dimension, due_on


class RectificationTaskDone(TypedDict):
    alliance: str
    year: int
    unit: str
    task: int
    title: str
    done_on: str


class RectificationReviewed(TypedDict):
    alliance: str
    year: int
    unit: str
    unit_name: str
    round: int
    result: str  # passed / failed (a failed one opens the next round)
    reviewed_on: str
    tasks_done: int
    tasks: int
    evidence: list[dict[str, Any]]  # the unit's quarter totals since the plan opened: year, quarter, total, max
    note: str


class SupportRecorded(TypedDict):
    alliance: str
    year: int
    unit: str
    unit_name: str
    stars: int
    kind: str  # funding / pool_priority
    amount: str  # yuan, two decimals ("" for pool priority)
    fund_entry: int | None
    priority: int | None  # pool priority rank (1 highest) for pool priority
    recorded_on: str
    note: str


APPLIED = EventType("alliances.applied", Applied, "a lead unit applied to found an alliance")
APPROVED = EventType("alliances.approved", Decided, "the founding of an alliance was approved")
REJECTED = EventType("alliances.rejected", Decided, "the founding of an alliance was rejected")
MEMBER_REQUESTED = EventType("alliances.member.requested", MemberRequested, "a unit was invited or applied to join")
MEMBER_JOINED = EventType("alliances.member.joined", MemberAnswered, "a unit joined an alliance")
MEMBER_DECLINED = EventType("alliances.member.declined", MemberAnswered, "an invitation or application was declined")
MEMBER_EXITED = EventType("alliances.member.exited", MemberExited, "a member unit exited with its summary")
MEMBER_REMOVED = EventType("alliances.member.removed", MemberRemoved, "a member unit was removed after a review")
GOAL_APPROVED = EventType("alliances.goal.approved", GoalDecided, "the higher party organisation approved a goal")
GOAL_REJECTED = EventType("alliances.goal.rejected", GoalDecided, "the higher party organisation rejected a goal")
LISTS_AGREED = EventType("alliances.lists.agreed", ListsAgreed, "the year's three lists were agreed at the kick-off")
TASK_CLAIMED = EventType("alliances.task.claimed", TaskClaimed, "a member unit claimed a project (post)")
TASK_COMPLETED = EventType("alliances.task.completed", TaskCompleted, "a claimed task was completed")
MEETING_RECORDED = EventType("alliances.meeting.recorded", MeetingRecorded, "a meeting was recorded")
FUND_RECORDED = EventType("alliances.fund.recorded", FundRecorded, "an income or a spending was recorded")
ACTIVITY_RECORDED = EventType("alliances.activity.recorded", ActivityRecorded, 'a "five ones" activity was recorded')
RULES_PUBLISHED = EventType("alliances.rules.published", RulesPublished, "a new version of the points rules")
QUARTER_CLOSED = EventType("alliances.quarter.closed", QuarterClosed, "a quarter's points were closed")
SCORE_CORRECTED = EventType("alliances.score.corrected", ScoreCorrected, "a quarter's score was corrected")
POINTS_PUBLISHED = EventType("alliances.points.published", PointsPublished, "the year's points were published")
RATED = EventType("alliances.rated", Rated, "the year-end review graded the alliance and its members")
RECTIFICATION_OPENED = EventType(
    "alliances.rectification.opened", RectificationOpened, "a weak member unit's rectification (整顿) plan was opened"
)
RECTIFICATION_TASK_DONE = EventType(
    "alliances.rectification.task_done", RectificationTaskDone, "a task of a rectification plan was done"
)
RECTIFICATION_REVIEWED = EventType(
    "alliances.rectification.reviewed", RectificationReviewed, "a rectification was re-reviewed: passed or failed"
)
SUPPORT_RECORDED = EventType(
    "alliances.support.recorded", SupportRecorded, "support for a top-graded member unit was recorded"
)

# Event types renamed by issue 22 (old -> new); the lead's data migration renames stored events.
RENAMED: dict[str, str] = {
    "alliance" + str(t).removeprefix("alliances"): str(t)
    for t in (
        APPLIED,
        APPROVED,
        REJECTED,
        MEMBER_REQUESTED,
        MEMBER_JOINED,
        MEMBER_DECLINED,
        MEMBER_EXITED,
        MEMBER_REMOVED,
        GOAL_APPROVED,
        GOAL_REJECTED,
        LISTS_AGREED,
        TASK_CLAIMED,
        TASK_COMPLETED,
        MEETING_RECORDED,
        FUND_RECORDED,
        ACTIVITY_RECORDED,
        RULES_PUBLISHED,
        QUARTER_CLOSED,
        SCORE_CORRECTED,
        POINTS_PUBLISHED,
        RATED,
    )
}


class AllianceError(ErrorCode):
    """The alliances app's own codes. A record whose state does not allow the step (an alliance not
    established, a goal no longer under discussion or not submitted, a review at another stage) is
    ``CoreError.INVALID_STATE`` (formerly ``not_active``, ``goal_closed``, ``goal_not_submitted``,
    ``stage``). A unit not on an alliance's roll is ``ConsultError.NOT_MEMBER`` and an appraisal with no
    other member unit ``ConsultError.EMPTY_ELECTORATE`` (the same codes as consult's votes)."""

    ALLIANCE_CAP = "alliance_cap"  # a unit may belong to 3 alliances, 5 with a special approval
    APPROVER_LEVEL = "approver_level"  # not a township/street party committee above the alliance
    PRINCIPLES = "principles"  # a goal goes up only with all four principles argued
    NO_KICKOFF = "no_kickoff"  # the lists are agreed at the year's kick-off meeting
    LISTS_AGREED = "lists_agreed"  # the year's lists are agreed already
    LISTS_INCOMPLETE = "lists_incomplete"  # resource, need and project lists are all needed
    NOT_AGREED = "not_agreed"  # a project not yet agreed cannot be claimed
    POSTS_FULL = "posts_full"
    NO_SUPPLY_DEMAND = "no_supply_demand"  # a progress meeting needs members in a supply-demand relation
    INSUFFICIENT_FUNDS = "insufficient_funds"
    NO_RULES = "no_rules"  # no points rules in force that day
    QUARTER_CLOSED = "quarter_closed"  # a closed quarter's records and points do not change
    QUARTERS_OPEN = "quarters_open"  # the year-end review needs the year's quarters closed
    REPORTS_MISSING = "reports_missing"  # points are published after every member reported
    QUORUM = "quorum"  # too few member units took part in the appraisal
    RULES_UNREACHABLE = "rules_unreachable"  # a rule set whose top grade a unit doing everything well cannot reach
    NOT_ON_LIST = "not_on_list"  # rectification is for units graded for it, support for the top grades
    RECTIFICATION_OPEN = "rectification_open"  # the re-review needs the plan's tasks done (or its deadline passed)
