"""Party-building alliances (党建联合体) and their star rating, as practised in district Y.

Everything the star rating scores is a record here (meetings and their sign-in,
suggestions, resources supplied, activity participation, completed tasks); the
points are computed from those records with a versioned rule set and never typed in.
History is kept: memberships end, they are not deleted; closed quarters are frozen
and corrected by new entries with a reason.

One module per sub-domain; import the models from here (``from gongzhi.alliances.models import Meeting``).
"""

from __future__ import annotations

from .activities import Activity, Participation
from .alliance import (
    APPROVING_PARTY_KINDS,
    MAX_ALLIANCES,
    MAX_ALLIANCES_SPECIAL,
    Alliance,
    AllianceKind,
    AllianceMember,
)
from .funds import FundEntry
from .goals import Goal
from .lists import ListItem, ResourceSupply, Task
from .meetings import Attendance, Meeting, Suggestion
from .rating import (
    AppraisalVote,
    Dimension,
    Quarter,
    Rectification,
    RectificationTask,
    RuleSet,
    ScoreLine,
    Support,
    UnitReview,
    YearReview,
)

__all__ = [
    "APPROVING_PARTY_KINDS",
    "MAX_ALLIANCES",
    "MAX_ALLIANCES_SPECIAL",
    "Activity",
    "Alliance",
    "AllianceKind",
    "AllianceMember",
    "AppraisalVote",
    "Attendance",
    "Dimension",
    "FundEntry",
    "Goal",
    "ListItem",
    "Meeting",
    "Participation",
    "Quarter",
    "Rectification",
    "RectificationTask",
    "ResourceSupply",
    "RuleSet",
    "ScoreLine",
    "Suggestion",
    "Support",
    "Task",
    "UnitReview",
    "YearReview",
]
