"""Democratic appraisal (民主评议): a secret ballot among the member units.

The appraisal runs on the consultation app's formal votes (:mod:`gongzhi.consult.votes`): one
single-choice vote per rated unit, options 优秀 / 良好 / 一般 / 较差, electorate the alliance's active
member units except the rated unit itself. Ballots are secret (the consult ``Ballot`` carries no
voter), the roll refuses a second ballot, and the tally is only read when the review is graded, which
closes the votes. Each vote is linked to its rated unit by an
:class:`~gongzhi.alliances.models.AppraisalVote` row.

Layers: alliances sit above consult. Consult knows nothing of alliances; the alliance electorate
(the active member units of an alliance) is handed to it by :func:`member_unit_ids`, registered with
:func:`gongzhi.consult.votes.register_unit_electorate` when the app is ready.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from gongzhi.consult import votes as V
from gongzhi.consult.contracts import ConsultError
from gongzhi.consult.models import FormalVote, RollEntry
from gongzhi.core.errors import Conflict, DomainError

from .models import AllianceMember, AppraisalVote, UnitReview, YearReview

FORMAL_PREFIX = "formal:"
# The grades as vote options, best first; the rating each one stands for.
GRADE_OPTIONS: list[tuple[str, int]] = [("优秀", 4), ("良好", 3), ("一般", 2), ("较差", 1)]
RATING_OF = dict(GRADE_OPTIONS)
LABEL_OF = {r: lab for lab, r in GRADE_OPTIONS}
RATINGS = tuple(RATING_OF.values())
# How long the appraisal votes stay open unless the review is graded earlier.
WINDOW = dt.timedelta(days=30)


def member_unit_ids(alliance_id: int) -> list[int]:
    """Unit ids of the active members of an alliance: the electorate of an alliance vote (registered
    with consult as the ``alliance`` unit electorate)."""
    return sorted(
        AllianceMember.objects.filter(alliance_id=alliance_id, status=AllianceMember.Status.ACTIVE).values_list(
            "unit_id", flat=True
        )
    )


def open_ballot(review: YearReview, *, actor) -> str:
    """Open the appraisal; returns the reference stored in ``review.ballot_ref``."""
    a = review.alliance
    now = timezone.now()
    with transaction.atomic():
        for ur in review.units.select_related("unit").order_by("unit__name"):
            title = f"{a.name}{review.year}年度民主评议：{ur.unit.name}"[:120]
            try:
                vote = V.create_vote(
                    title=title,
                    region=a.region,
                    electorate="alliance",
                    method="single",
                    options=[lab for lab, _r in GRADE_OPTIONS],
                    opens_at=now,
                    closes_at=now + WINDOW,
                    preset="simple_majority",
                    unit=a.lead_unit,
                    alliance_id=a.pk,
                    exclude_unit_ids=[ur.unit_id],
                    description=f"成员单位对{ur.unit.name}{review.year}年度履职情况的民主评议（无记名）",
                    actor=actor,
                )
            except DomainError as e:
                if e.code == "empty_electorate":
                    raise DomainError(
                        f"{a.name}没有其他在册成员单位，无法对{ur.unit.name}开展民主评议",
                        code=ConsultError.EMPTY_ELECTORATE,
                    ) from None
                raise
            AppraisalVote.objects.create(review=review, subject=ur.unit, vote_id=vote.pk)
    return f"{FORMAL_PREFIX}{review.pk}"


def _check(review: YearReview, voter, ratings: dict) -> dict[int, int]:
    members = {ur.unit_id: ur.unit for ur in UnitReview.objects.filter(review=review).select_related("unit")}
    if voter.pk not in members:
        raise DomainError(f"{voter.name}不是本年度考评的成员单位，不能投票", field="voter")
    others = set(members) - {voter.pk}
    given = {u.pk: r for u, r in ratings.items()}
    if voter.pk in given:
        raise DomainError("不能评议本单位", field="ratings")
    missing = [members[i].name for i in others if i not in given]
    unknown = [i for i in given if i not in others]
    if missing or unknown:
        raise DomainError(f"请对每个其他成员单位作出评议；未评议：{'、'.join(missing) or '无'}", field="ratings")
    bad = [members[i].name for i, r in given.items() if r not in RATINGS]
    if bad:
        raise DomainError(f"评议等次须为优秀、良好、一般、较差之一：{'、'.join(bad)}", field="ratings")
    return given


def cast(review: YearReview, voter, ratings: dict) -> int:
    """``ratings`` maps each other member unit to 1–4. A unit votes once and rates every other unit
    (all its ballots are cast in one transaction, or none)."""
    given = _check(review, voter, ratings)
    links = {lk.subject_id: lk.vote_id for lk in AppraisalVote.objects.filter(review=review)}
    votes = {v.pk: v for v in FormalVote.objects.filter(pk__in=links.values()).prefetch_related("options")}
    key = f"u:{voter.pk}"
    with transaction.atomic():
        for subject, rating in given.items():
            vote = votes[links[subject]]
            option = next(o.pk for o in vote.options.all() if o.label == LABEL_OF[rating])
            try:
                V.cast_for_elector(vote, [option], elector_key=key)
            except Conflict:
                raise Conflict(
                    f"{voter.name}已投票，每个单位只能投一次", field="voter", code=ConsultError.ALREADY_VOTED
                ) from None
    return len(given)


def voters(review: YearReview) -> set[int]:
    """Units that have voted (from the roll: who voted, never how)."""
    ids = AppraisalVote.objects.filter(review=review).values_list("vote_id", flat=True)
    return set(RollEntry.objects.filter(vote_id__in=list(ids)).values_list("elector__unit_id", flat=True))


def tally(review: YearReview, *, actor) -> dict[int, list[int]]:
    """Ratings received by each unit id. This closes the votes (the appraisal ends when the review is
    graded) and reads their published tallies."""
    result: dict[int, list[int]] = {}
    for link in AppraisalVote.objects.filter(review=review):
        vote = V.close_now(FormalVote.objects.get(pk=link.vote_id), actor=actor)
        got = []
        for opt in vote.result["options"]:
            got += [RATING_OF[opt["label"]]] * int(opt.get("votes") or 0)
        if got:
            result[link.subject_id] = sorted(got, reverse=True)
    return result


def formal_votes(review: YearReview):
    """The consult formal votes behind a review's appraisal."""
    ids = dict(AppraisalVote.objects.filter(review=review).values_list("vote_id", "subject_id"))
    return list(FormalVote.objects.filter(pk__in=ids).order_by("id"))
