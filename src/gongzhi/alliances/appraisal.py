"""Democratic appraisal (民主评议): a ballot among the member units.

This is the alliance's own simple ballot, behind three functions. When the
consultation module offers formal votes (``gongzhi.consult.formal_votes`` with
``open_ballot``/``cast``/``tally``/``voters`` of the same shape), these delegate to it,
so the appraisal becomes a formal vote with its own audit trail.
"""

from __future__ import annotations

import importlib
from collections import defaultdict

from gongzhi.core.errors import Conflict, DomainError

from .models import AppraisalBallot, UnitReview, YearReview

FORMAL_MODULE = "gongzhi.consult.formal_votes"


def _formal():
    try:
        return importlib.import_module(FORMAL_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name in (FORMAL_MODULE, "gongzhi.consult"):
            return None
        raise


def open_ballot(review: YearReview) -> str:
    formal = _formal()
    if formal is not None:
        return str(formal.open_ballot(review))
    return f"builtin:{review.pk}"


def _uses_builtin(review: YearReview) -> bool:
    return not review.ballot_ref or review.ballot_ref.startswith("builtin:")


def cast(review: YearReview, voter, ratings: dict) -> int:
    """``ratings`` maps each other member unit to 1–4. A unit votes once and rates every other unit."""
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
    if not _uses_builtin(review):
        return _formal().cast(review, voter, ratings)
    if AppraisalBallot.objects.filter(review=review, voter=voter).exists():
        raise Conflict(f"{voter.name}已投票，每个单位只能投一次")
    AppraisalBallot.objects.bulk_create([AppraisalBallot(review=review, voter=voter, subject_id=i, rating=r)
                                         for i, r in given.items()])
    return len(given)


def voters(review: YearReview) -> set[int]:
    if not _uses_builtin(review):
        return set(_formal().voters(review))
    return set(AppraisalBallot.objects.filter(review=review).values_list("voter_id", flat=True))


def tally(review: YearReview) -> dict[int, list[int]]:
    """Ratings received by each unit id."""
    if not _uses_builtin(review):
        return _formal().tally(review)
    out: dict[int, list[int]] = defaultdict(list)
    for subject, rating in AppraisalBallot.objects.filter(review=review).values_list("subject_id", "rating"):
        out[subject].append(rating)
    return dict(out)
