"""Plan use cases: goals from their sources, decomposition into tasks, progress, completion with
evidence, feedback, supervision flags (raised by people and by the periodic check), adjustments
with their history, links to operational records, closing a goal.

Each use case is one transaction: check permissions (:mod:`.perms`), validate, write, emit a
``plans.*`` event.  Decisions and adjustments are public events (they reach the transparency ledger);
a refused request writes nothing.  Updates of a task or goal use its ``version`` column and raise
:class:`Conflict` when someone else changed it first.

One module per sub-domain: :mod:`.goals` (goals and their feedback), :mod:`.tasks` (decomposition,
progress, completion), :mod:`.records` (links to operational records), :mod:`.supervision` (flags),
:mod:`.periodic` (the daily check), :mod:`.adjustments`, :mod:`.reviews` (regular joint reviews, 定期会商研判), :mod:`.reading` (scoped reads, inbox,
timeline); :mod:`.common` holds the shared checks. Callers use this package
(``from gongzhi.plans import services as PS``).
"""

from __future__ import annotations

from .adjustments import ADJUSTABLE, adjust_task, decide_adjustment, request_adjustment
from .common import MAX_TREE_DEPTH
from .goals import add_feedback, close_goal, create_goal
from .periodic import check
from .reading import can_act, can_manage, get_goal, get_task, inbox, timeline, visible_goals, visible_tasks
from .records import link_record, record_id, resolve_record
from .reviews import due_reviews, generate_due_reviews, hold_review, schedule_review, set_review_schedule
from .supervision import raise_flag, resolve_flag
from .tasks import add_task, complete_task, report_progress

__all__ = [
    "ADJUSTABLE",
    "MAX_TREE_DEPTH",
    "add_feedback",
    "add_task",
    "adjust_task",
    "can_act",
    "can_manage",
    "check",
    "close_goal",
    "complete_task",
    "create_goal",
    "decide_adjustment",
    "due_reviews",
    "generate_due_reviews",
    "get_goal",
    "get_task",
    "hold_review",
    "inbox",
    "link_record",
    "raise_flag",
    "record_id",
    "report_progress",
    "request_adjustment",
    "resolve_flag",
    "resolve_record",
    "schedule_review",
    "set_review_schedule",
    "timeline",
    "visible_goals",
    "visible_tasks",
]
