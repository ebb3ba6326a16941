"""The consult app's contracts: the events it emits and the error codes it raises (see
:mod:`gongzhi.core.contracts`). Topic events are about one topic (``aggregate_type`` ``topic``), vote
events about one formal vote (``formal_vote``).
"""

from __future__ import annotations

from typing import Any

from gongzhi.core.contracts import ErrorCode, EventType, TypedDict


class TopicCreated(TypedDict):
    title: str
    scope: str
    phases: list[str]  # the phase kinds, in order


class StatementSubmitted(TypedDict):
    statement: int


class StatementModerated(TypedDict):
    statement: int
    status: str
    reason: str


class AnalysisUpdated(TypedDict):
    updates: int
    votes: int
    groups: int


class VoteOpened(TypedDict):
    title: str
    method: str
    electorate: str
    electorate_size: int
    preset: str
    opens_at: str
    closes_at: str


class VoteTallied(TypedDict):
    title: str
    result: dict[str, Any]  # votes.tally(): electorate, present, quorum, options, winner, passed …
    minutes: str


TOPIC_CREATED = EventType("consult.topic_created", TopicCreated, "a consultation topic was raised with its phases")
STATEMENT_SUBMITTED = EventType(
    "consult.statement_submitted", StatementSubmitted, "a participant submitted a statement (not public)"
)
STATEMENT_MODERATED = EventType(
    "consult.statement_moderated", StatementModerated, "a statement was accepted or rejected by a moderator"
)
ANALYSIS_UPDATED = EventType(
    "consult.analysis_updated", AnalysisUpdated, "the live opinion groups of a topic were updated"
)
VOTE_OPENED = EventType("consult.vote_opened", VoteOpened, "a formal vote was set up with its fixed electorate")
VOTE_TALLIED = EventType("consult.vote_tallied", VoteTallied, "a formal vote was tallied and its minutes published")


class ConsultError(ErrorCode):
    """The consult app's own codes (a duplicate statement is ``CoreError.DUPLICATE``)."""

    CLOSED = "closed"  # the topic's phase or the vote's time does not accept this any more
    NOT_OPEN = "not_open"  # the vote has not opened yet
    STILL_OPEN = "still_open"  # a vote cannot be tallied before its deadline
    RESULTS_HIDDEN = "results_hidden"  # results are published only after the close
    ALREADY_VOTED = "already_voted"  # one elector, one ballot (across channels)
    NOT_MEMBER = "not_member"  # not on the vote's roll (or not a member unit of the electorate)
    EMPTY_ELECTORATE = "empty_electorate"  # nobody qualifies to vote
    READ_ONLY = "read_only"  # an auditor's read-only account does not take part
