"""Alliance use cases, one module per sub-domain; import them from here (``services.apply_alliance(...)``).

* :mod:`.founding` — applying and the approval of the founding;
* :mod:`.membership` — the cap of 3 (5) alliances per unit, joining, exits and removals;
* :mod:`.goals` — goals argued by the four principles and approved above;
* :mod:`.lists` — the three lists, claims and tasks, supplies, suggestions;
* :mod:`.meetings` — the 1142 meetings, sign-in, recording and compliance;
* :mod:`.funds` and :mod:`.activities` — funds within means, the "five ones" activities;
* :mod:`.rectification` — what follows from a grade: rectification plans and their re-review, support;
* :mod:`.overview` — a unit's duties, the alliances a user may see;
* :mod:`.common` — the helpers they share.

Scoring and the year-end review are in :mod:`gongzhi.alliances.rating`.
Every function checks the actor's permission (``actor`` is required: a user, or
:data:`gongzhi.core.actors.SYSTEM`), refuses bad input with a message that says what to fix
(writing nothing), and emits a domain event (:mod:`gongzhi.alliances.contracts`) in its transaction.
"""

from __future__ import annotations

from ..models import MAX_ALLIANCES, MAX_ALLIANCES_SPECIAL
from .activities import record_activity
from .common import M, approving_unit_for, is_member
from .founding import apply_alliance, decide_application
from .funds import balance, fund_summary, record_income, record_spending
from .goals import PRINCIPLES, active_goals, decide_goal, discuss_goal, propose_goal, submit_goal
from .lists import add_list_item, add_suggestion, adopt_suggestion, agree_lists, claim, complete_task, supply_resource
from .meetings import (
    KICKOFF_DAYS_AFTER_FOUNDING,
    RECORD_GRACE_DAYS,
    STATUS_LABELS,
    compliance,
    generate_meetings,
    meeting_status,
    open_signin,
    record_meeting,
    required_schedule,
    sign_in,
    street_compliance,
    supply_demand_pairs,
)
from .membership import (
    _cap_check,
    accept_membership,
    active_memberships,
    apply_to_join,
    exit_alliance,
    invite,
    participation_summary,
    remove_member,
)
from .overview import unit_duties, visible_alliances
from .rectification import (
    add_task as add_rectification_task,
)
from .rectification import (
    complete_task as complete_rectification_task,
)
from .rectification import (
    evidence as rectification_evidence,
)
from .rectification import (
    follow_up,
    get_rectification,
    open_rectification,
    record_pool_priority,
    record_support_funding,
    rereview,
)

__all__ = [
    "add_rectification_task",
    "complete_rectification_task",
    "follow_up",
    "get_rectification",
    "open_rectification",
    "record_pool_priority",
    "record_support_funding",
    "rectification_evidence",
    "rereview",
    "KICKOFF_DAYS_AFTER_FOUNDING",
    "MAX_ALLIANCES",
    "MAX_ALLIANCES_SPECIAL",
    "M",
    "PRINCIPLES",
    "RECORD_GRACE_DAYS",
    "STATUS_LABELS",
    "_cap_check",
    "accept_membership",
    "active_goals",
    "active_memberships",
    "add_list_item",
    "add_suggestion",
    "adopt_suggestion",
    "agree_lists",
    "apply_alliance",
    "apply_to_join",
    "approving_unit_for",
    "balance",
    "claim",
    "complete_task",
    "compliance",
    "decide_application",
    "decide_goal",
    "discuss_goal",
    "exit_alliance",
    "fund_summary",
    "generate_meetings",
    "invite",
    "is_member",
    "meeting_status",
    "open_signin",
    "participation_summary",
    "propose_goal",
    "record_activity",
    "record_income",
    "record_meeting",
    "record_spending",
    "remove_member",
    "required_schedule",
    "sign_in",
    "street_compliance",
    "submit_goal",
    "supply_demand_pairs",
    "supply_resource",
    "unit_duties",
    "visible_alliances",
]
