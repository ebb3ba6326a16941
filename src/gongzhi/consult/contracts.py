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
    text: str  # on the public record only as a salted commitment (not on the allow-list)
    participant: str  # the author's pseudonym in this topic (services.participant_pseudonym)


class StatementVoted(TypedDict):
    statement: int
    participant: str  # the voter's pseudonym in this topic: links their votes within the topic only
    value: int  # 1 agree, -1 disagree, 0 pass


class StatementModerated(TypedDict):
    statement: int
    status: str
    reason: str


class AnalysisUpdated(TypedDict):
    updates: int
    votes: int
    groups: int


class VoteRules(TypedDict):
    quorum: list[Any]  # [num, den, strict]: ballots cast (op) num/den of the electorate
    households: list[Any]  # [num, den, strict]: households represented (0 = no household rule)
    threshold: list[Any]  # [num, den, strict]: an option passes with support (op) num/den of the base
    base: str  # present / valid / electorate


class VoteOpened(TypedDict):
    title: str
    method: str
    electorate: str
    electorate_size: int
    preset: str
    opens_at: str
    closes_at: str
    # What a recount from the public record needs, fixed before the first ballot (issue 20 item 4):
    topic: int | None
    options: list[int]  # option ids in ballot order
    option_labels: list[str]  # committed on the public record (free text)
    max_choices: int
    household_count: int
    rules: VoteRules


class RollPersonal(TypedDict):
    elector: str  # p:<person id> or u:<unit id>: a salted commitment on the public record


class _RollRecorded(TypedDict):
    channel: str
    personal: RollPersonal


class RollRecorded(_RollRecorded, total=False):
    household: str  # a per-vote pseudonym of the voter's household, only under a household quorum rule


class BallotPublished(TypedDict):
    vote: int
    choices: list[int]  # option ids (in rank order for ranked votes); empty = blank ballot


class VoteTallied(TypedDict):
    title: str
    result: dict[str, Any]  # votes.tally(): electorate, present, quorum, options, winner, passed …
    minutes: str


TOPIC_CREATED = EventType("consult.topic_created", TopicCreated, "a consultation topic was raised with its phases")
STATEMENT_SUBMITTED = EventType(
    "consult.statement_submitted", StatementSubmitted, "a participant submitted a statement (its text as a commitment)"
)
STATEMENT_VOTED = EventType(
    "consult.statement_voted", StatementVoted, "a participant agreed, disagreed or passed on a statement"
)
STATEMENT_MODERATED = EventType(
    "consult.statement_moderated", StatementModerated, "a statement was accepted or rejected by a moderator"
)
ANALYSIS_UPDATED = EventType(
    "consult.analysis_updated", AnalysisUpdated, "the live opinion groups of a topic were updated"
)
VOTE_OPENED = EventType("consult.vote_opened", VoteOpened, "a formal vote was set up with its fixed electorate")
ROLL_RECORDED = EventType(
    "consult.roll_recorded", RollRecorded, "an elector voted in a formal vote (who, as a commitment; never how)"
)
BALLOT_PUBLISHED = EventType(
    "consult.ballot_published",
    BallotPublished,
    "a secret ballot, published at the close in a shuffled batch; its record id is the voter's receipt",
)
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
