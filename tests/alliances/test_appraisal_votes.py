"""The democratic appraisal through the consultation module's formal votes (issue 6): secret
ballots, the roll refusing double and non-member votes, results hidden until grading, the tally
feeding the grade; and the built-in fallback ballot when the consult app is absent."""

from __future__ import annotations

import datetime as dt

import pytest

from gongzhi.alliances import appraisal
from gongzhi.alliances import rating as RT
from gongzhi.alliances.models import AppraisalVote
from gongzhi.consult import votes as V
from gongzhi.consult.models import Ballot, FormalVote, RollEntry
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Conflict, DomainError, Forbidden

from .test_rating import _close_year

D = dt.date


@pytest.fixture
def review(units, alliance):
    _close_year(alliance)
    rv = RT.start_review(alliance, 2025, actor=SYSTEM)
    for ur in rv.units.select_related("unit"):
        RT.submit_report(rv, ur.unit, report=f"{ur.unit.name}全年工作报告", actor=SYSTEM)
    RT.publish_points(rv, actor=SYSTEM)
    return rv


def members(review):
    return [ur.unit for ur in review.units.select_related("unit").order_by("unit__name")]


def test_one_secret_formal_vote_per_rated_unit(units, review):
    RT.open_appraisal(review, actor=SYSTEM)
    ms = members(review)
    links = {lk.subject_id: lk.vote_id for lk in AppraisalVote.objects.filter(review=review)}
    assert set(links) == {u.pk for u in ms}
    for u in ms:
        fv = FormalVote.objects.get(pk=links[u.pk])
        assert fv.method == "single" and fv.alliance_id == review.alliance_id and fv.status == "open"
        assert [o.label for o in fv.options.order_by("position")] == ["优秀", "良好", "一般", "较差"]
        roll = set(fv.electors.values_list("unit_id", flat=True))
        assert roll == {m.pk for m in ms} - {u.pk}  # a unit does not rate itself
    voter = ms[0]
    RT.cast_appraisal(review, voter, {u: 3 for u in ms if u != voter}, actor=SYSTEM)
    assert appraisal.voters(review) == {voter.pk}
    # secrecy: the ballots carry choices only; the roll says who voted, not how
    assert {f.name for f in Ballot._meta.concrete_fields} >= {"vote", "choices"}
    assert not any(f.name in ("elector", "voter", "cast_at") for f in Ballot._meta.concrete_fields)
    fv = FormalVote.objects.get(pk=links[ms[1].pk])
    assert V.turnout(fv)["voted"] == 1
    with pytest.raises(Forbidden) as e:
        V.results(fv)
    assert e.value.code == "results_hidden"


def test_double_vote_is_refused_and_changes_nothing(units, review):
    RT.open_appraisal(review, actor=SYSTEM)
    ms = members(review)
    voter = ms[1]
    RT.cast_appraisal(review, voter, {u: 4 for u in ms if u != voter}, actor=SYSTEM)
    before = (Ballot.objects.count(), RollEntry.objects.count())
    with pytest.raises(Conflict) as e:
        RT.cast_appraisal(review, voter, {u: 1 for u in ms if u != voter}, actor=SYSTEM)
    assert e.value.code == "already_voted"
    assert (Ballot.objects.count(), RollEntry.objects.count()) == before
    # also refused when one of the unit's votes was cast directly in the consultation module
    other = ms[2]
    target = next(u for u in ms if u != other)
    fv = FormalVote.objects.get(pk=AppraisalVote.objects.get(review=review, subject=target).vote_id)
    V.cast_for_elector(fv, [fv.options.get(label="良好").pk], elector_key=f"u:{other.pk}")
    before = (Ballot.objects.count(), RollEntry.objects.count())
    with pytest.raises(Conflict):
        RT.cast_appraisal(review, other, {u: 4 for u in ms if u != other}, actor=SYSTEM)
    assert (Ballot.objects.count(), RollEntry.objects.count()) == before  # all or nothing


def test_non_member_unit_is_refused(units, review):
    RT.open_appraisal(review, actor=SYSTEM)
    ms = members(review)
    with pytest.raises(DomainError):
        RT.cast_appraisal(review, units.hospital, {u: 4 for u in ms}, actor=SYSTEM)
    fv = appraisal.formal_votes(review)[0]
    with pytest.raises(Forbidden) as e:  # the formal vote's roll refuses it too
        V.cast_for_elector(fv, [fv.options.first().pk], elector_key=f"u:{units.hospital.pk}")
    assert e.value.code == "not_member"
    assert not Ballot.objects.exists() and not RollEntry.objects.exists()


def test_tally_feeds_the_grade(units, review):
    RT.open_appraisal(review, actor=SYSTEM)
    ms = members(review)
    top = ms[0]
    for v in ms:
        RT.cast_appraisal(review, v, {u: (4 if u == top else 2) for u in ms if u != v}, actor=SYSTEM)
    RT.grade(review, on=D(2026, 1, 20), actor=SYSTEM)
    rows = {ur.unit_id: ur for ur in review.units.all()}
    assert rows[top.pk].appraisal == 100
    assert all(rows[u.pk].appraisal == 60 for u in ms[1:])
    for fv in appraisal.formal_votes(review):
        fv.refresh_from_db()
        assert fv.status == "tallied" and fv.result["present"] == len(ms) - 1
        assert V.results(fv)["result"]["present"] == len(ms) - 1  # published after grading
    with pytest.raises(DomainError) as e:  # the votes are closed: no more ballots
        V.cast_for_elector(fv, [fv.options.first().pk], elector_key=f"u:{ms[0].pk}")
    assert e.value.code in ("closed", "already_voted")


def test_review_page_links_the_formal_votes(units, users, review, client):
    client.force_login(users["street_cadre"])
    r = client.post(f"/alliances/{review.alliance.code}/review/2025/", {"action": "appraise"})
    assert r.status_code in (200, 302)
    review.refresh_from_db()
    assert review.stage == "appraisal"
    html = client.get(f"/alliances/{review.alliance.code}/review/2025/").content.decode()
    assert 'id="appraisal-votes"' in html
    for link in AppraisalVote.objects.filter(review=review).select_related("subject"):
        assert f"/consult/votes/{link.vote_id}/" in html and link.subject.name in html
    fv = appraisal.formal_votes(review)[0]
    page = client.get(f"/consult/votes/{fv.pk}/")
    assert page.status_code == 200 and "优秀" in page.content.decode()
