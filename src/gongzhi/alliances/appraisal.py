"""Democratic appraisal (民主评议): a secret ballot among the member units.

When the consultation app (``gongzhi.consult``) is installed — the normal configuration — the
appraisal runs on its formal votes (:mod:`gongzhi.consult.votes`): one single-choice vote per rated
unit, options 优秀 / 良好 / 一般 / 较差, electorate the alliance's active member units except the
rated unit itself. Ballots are secret (the consult ``Ballot`` carries no voter), the roll refuses a
second ballot, and the tally is only read when the review is graded, which closes the votes.
Each vote is linked to its rated unit by an :class:`~gongzhi.alliances.models.AppraisalVote` row.

Without the consult app, a simple built-in ballot (:class:`AppraisalBallot`) is the fallback; the
four functions below keep one shape for both.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from gongzhi.core.errors import Conflict, DomainError

from .models import AppraisalBallot, AppraisalVote, UnitReview, YearReview

CONSULT_APP = "gongzhi.consult"
FORMAL_PREFIX = "formal:"
# The grades as vote options, best first; the rating each one stands for (AppraisalBallot.Rating).
GRADE_OPTIONS: list[tuple[str, int]] = [("优秀", 4), ("良好", 3), ("一般", 2), ("较差", 1)]
RATING_OF = dict(GRADE_OPTIONS)
LABEL_OF = {r: lab for lab, r in GRADE_OPTIONS}
# How long the appraisal votes stay open unless the review is graded earlier.
WINDOW = dt.timedelta(days=30)


def formal_available() -> bool:
    return apps.is_installed(CONSULT_APP)


def _votes():
    from gongzhi.consult import votes

    return votes


def _uses_builtin(review: YearReview) -> bool:
    return not review.ballot_ref.startswith(FORMAL_PREFIX)


def open_ballot(review: YearReview) -> str:
    """Open the appraisal; returns the reference stored in ``review.ballot_ref``."""
    if not formal_available():
        return f"builtin:{review.pk}"
    V = _votes()
    a = review.alliance
    now = timezone.now()
    with transaction.atomic():
        for ur in review.units.select_related("unit").order_by("unit__name"):
            title = f"{a.name}{review.year}年度民主评议：{ur.unit.name}"[:120]
            try:
                vote = V.create_vote(
                    title=title, region=a.region, electorate="alliance", method="single",
                    options=[lab for lab, _r in GRADE_OPTIONS], opens_at=now, closes_at=now + WINDOW,
                    preset="simple_majority", unit=a.lead_unit, alliance_id=a.pk, exclude_unit_ids=[ur.unit_id],
                    description=f"成员单位对{ur.unit.name}{review.year}年度履职情况的民主评议（无记名）",
                )
            except DomainError as e:
                if e.code == "empty_electorate":
                    raise DomainError(f"{a.name}没有其他在册成员单位，无法对{ur.unit.name}开展民主评议",
                                      code="empty_electorate") from None
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
    bad = [members[i].name for i, r in given.items() if r not in AppraisalBallot.Rating.values]
    if bad:
        raise DomainError(f"评议等次须为优秀、良好、一般、较差之一：{'、'.join(bad)}", field="ratings")
    return given


def cast(review: YearReview, voter, ratings: dict) -> int:
    """``ratings`` maps each other member unit to 1–4. A unit votes once and rates every other unit
    (all its ballots are cast in one transaction, or none)."""
    given = _check(review, voter, ratings)
    if _uses_builtin(review):
        if AppraisalBallot.objects.filter(review=review, voter=voter).exists():
            raise Conflict(f"{voter.name}已投票，每个单位只能投一次")
        AppraisalBallot.objects.bulk_create([AppraisalBallot(review=review, voter=voter, subject_id=i, rating=r)
                                             for i, r in given.items()])
        return len(given)
    V = _votes()
    from gongzhi.consult.models import FormalVote

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
                raise Conflict(f"{voter.name}已投票，每个单位只能投一次", field="voter", code="already_voted") from None
    return len(given)


def voters(review: YearReview) -> set[int]:
    """Units that have voted (from the roll: who voted, never how)."""
    if _uses_builtin(review):
        return set(AppraisalBallot.objects.filter(review=review).values_list("voter_id", flat=True))
    from gongzhi.consult.models import RollEntry

    ids = AppraisalVote.objects.filter(review=review).values_list("vote_id", flat=True)
    return set(RollEntry.objects.filter(vote_id__in=list(ids)).values_list("elector__unit_id", flat=True))


def tally(review: YearReview) -> dict[int, list[int]]:
    """Ratings received by each unit id. With formal votes this closes them (the appraisal ends when
    the review is graded) and reads their published tallies."""
    if _uses_builtin(review):
        out: dict[int, list[int]] = defaultdict(list)
        for subject, rating in AppraisalBallot.objects.filter(review=review).values_list("subject_id", "rating"):
            out[subject].append(rating)
        return dict(out)
    V = _votes()
    from gongzhi.consult.models import FormalVote

    result: dict[int, list[int]] = {}
    for link in AppraisalVote.objects.filter(review=review):
        vote = V.close_now(FormalVote.objects.get(pk=link.vote_id))
        got = []
        for opt in vote.result["options"]:
            got += [RATING_OF[opt["label"]]] * int(opt.get("votes") or 0)
        if got:
            result[link.subject_id] = sorted(got, reverse=True)
    return result


def formal_votes(review: YearReview):
    """The consult formal votes behind a review's appraisal (empty for the built-in ballot)."""
    if _uses_builtin(review) or not formal_available():
        return []
    from gongzhi.consult.models import FormalVote

    ids = dict(AppraisalVote.objects.filter(review=review).values_list("vote_id", "subject_id"))
    return list(FormalVote.objects.filter(pk__in=ids).order_by("id"))
