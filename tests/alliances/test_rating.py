"""Star rating: quarterly points computed from records with versioned rules, drill-down, frozen quarters,
corrections, and the year-end review → appraisal → 1–5 stars."""

import datetime as dt

import pytest

from gongzhi.alliances import appraisal
from gongzhi.alliances import rating as RT
from gongzhi.alliances import rules as R
from gongzhi.alliances import services as S
from gongzhi.alliances.models import Quarter, RuleSet, ScoreLine
from gongzhi.consult import votes as V
from gongzhi.consult.models import Ballot, FormalVote, RollEntry
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.core.models import Event

D = dt.date


def q1_records(alliance, units):
    """Kick-off attended by lead and school; an adopted suggestion; a supply; an activity; two tasks."""
    ko = alliance.meetings.get(kind="kickoff", year=2025)
    S.record_meeting(
        ko,
        held_on=D(2025, 1, 20),
        minutes="三张清单",
        attendees=[units.comm_party, units.school],
        suggestions=[(units.school, "设立护学岗")],
        on=D(2025, 1, 20),
        actor=SYSTEM,
    )
    S.adopt_suggestion(ko.suggestions.get(), actor=SYSTEM)
    S.add_list_item(alliance, year=2025, kind="need", title="场地", unit=units.school, actor=SYSTEM)
    res = S.add_list_item(alliance, year=2025, kind="resource", title="活动室", unit=units.property, actor=SYSTEM)
    proj = S.add_list_item(
        alliance, year=2025, kind="project", title="四点半课堂", unit=units.comm_party, posts=2, actor=SYSTEM
    )
    S.agree_lists(alliance, 2025, actor=SYSTEM)
    S.supply_resource(alliance, units.property, description="开放活动室", item=res, on=D(2025, 2, 1), actor=SYSTEM)
    S.record_activity(
        alliance,
        kind="lecture",
        title="联合党课",
        held_on=D(2025, 2, 10),
        organiser=units.comm_party,
        participants={units.school: 10},
        actor=SYSTEM,
    )
    t1 = S.claim(proj, units.school, owner_name="张", deadline=D(2025, 3, 1), on=D(2025, 1, 21), actor=SYSTEM)
    t2 = S.claim(proj, units.property, owner_name="李", deadline=D(2025, 2, 1), on=D(2025, 1, 21), actor=SYSTEM)
    S.complete_task(t1, note="完成", completed_on=D(2025, 2, 20), actor=SYSTEM)
    S.complete_task(t2, note="完成", completed_on=D(2025, 3, 20), actor=SYSTEM)
    return proj


def totals(q):
    return {r["unit"].pk: r for r in RT.quarter_scores(q)}


def test_points_are_computed_from_records_and_explain_themselves(units, alliance):
    q1_records(alliance, units)
    q = RT.compute_quarter(alliance, 2025, 1, actor=SYSTEM)
    t = totals(q)
    school, prop, lead, firm = (t[u.pk] for u in (units.school, units.property, units.comm_party, units.firms[0]))
    assert school["dims"]["attendance"]["score"] == 30  # the one required meeting held: attended (1/1)
    assert school["dims"]["suggestions"]["score"] == 10  # 5 + 5 adopted bonus
    assert school["dims"]["activities"]["score"] == 15  # the one activity held: took part (1/1)
    assert school["dims"]["tasks"]["score"] == 20  # its one task due this quarter, on time
    assert school["total"] == 75
    assert prop["dims"]["attendance"]["score"] == 0 and prop["dims"]["attendance"]["applicable"]
    assert prop["dims"]["resources"]["score"] == 10 and prop["dims"]["tasks"]["score"] == 10  # late: half
    assert prop["total"] == 20 and firm["total"] == 0
    # no task of the lead's fell due: tasks are left out and the rest scaled up to the same maximum
    assert not lead["dims"]["tasks"]["applicable"] and lead["scaled"] == 1.25 and lead["total"] == 37.5
    lines = RT.drill_down(q, units.school)
    assert [len(lines[d]) for d in R.DIMENSIONS] == [1, 1, 0, 1, 1]
    assert "设立护学岗" in lines["suggestions"][0].description and "已采纳" in lines["suggestions"][0].description
    assert lines["attendance"][0].record_type == "meeting"
    assert "逾期" in RT.drill_down(q, units.property)["tasks"][0].description
    # recomputing an open quarter is idempotent
    RT.compute_quarter(alliance, 2025, 1, actor=SYSTEM)
    assert totals(q)[units.school.pk]["total"] == 75
    assert q.lines.count() == sum(
        len(v)
        for u in (units.school, units.property, units.comm_party, units.firms[0])
        for v in RT.drill_down(q, u).values()
    )


def test_caps_and_weights(units, alliance):
    for i in range(6):
        S.supply_resource(alliance, units.property, description=f"供给{i}", on=D(2025, 2, 1 + i), actor=SYSTEM)
    t = totals(RT.compute_quarter(alliance, 2025, 1, actor=SYSTEM))[units.property.pk]
    assert t["dims"]["resources"] == {
        "raw": 60,
        "cap": 20,
        "weight": 1.0,
        "score": 20.0,
        "max": 20.0,
        "records": 6,
        "applicable": True,
    }


def test_a_quarter_is_scored_with_the_rules_in_force_then(units, users, alliance):
    for day in (D(2025, 2, 1), D(2025, 5, 1)):
        S.supply_resource(alliance, units.property, description="供给", on=day, actor=SYSTEM)
    rules = R.default_rules()
    rules["dimensions"]["resources"]["formula"]["per_supply"] = 7
    rules["dimensions"]["resources"]["weight"] = 0.5
    with pytest.raises(Forbidden):
        RT.publish_ruleset(rules=rules, effective_from=D(2025, 4, 1), actor=users["street_cadre"])
    with pytest.raises(DomainError):
        RT.publish_ruleset(rules=rules, effective_from=D(2025, 4, 2), actor=users["district_admin"])
    bad = R.default_rules()
    del bad["dimensions"]["tasks"]
    with pytest.raises(DomainError) as e:
        RT.publish_ruleset(rules=bad, effective_from=D(2025, 4, 1), actor=SYSTEM)
    assert "tasks" in e.value.message
    v2 = RT.publish_ruleset(rules=rules, effective_from=D(2025, 4, 1), actor=users["district_admin"])
    assert v2.version == 2
    q1 = RT.compute_quarter(alliance, 2025, 1, actor=SYSTEM)
    q2 = RT.compute_quarter(alliance, 2025, 2, actor=SYSTEM)
    assert q1.ruleset.version == 1 and q2.ruleset == v2
    assert totals(q1)[units.property.pk]["dims"]["resources"]["score"] == 10
    assert totals(q2)[units.property.pk]["dims"]["resources"]["score"] == 3.5  # 7 × 0.5
    RT.close_quarter(alliance, 2025, 2, on=D(2025, 7, 2), actor=SYSTEM)
    with pytest.raises(DomainError):  # no retroactive rules over a closed quarter
        RT.publish_ruleset(rules=rules, effective_from=D(2025, 4, 1), actor=SYSTEM)


def test_closed_quarter_is_frozen_and_corrected_by_new_entries(units, users, alliance):
    q1_records(alliance, units)
    with pytest.raises(DomainError):
        RT.close_quarter(alliance, 2025, 1, on=D(2025, 3, 31), actor=SYSTEM)
    q = RT.close_quarter(alliance, 2025, 1, actor=users["street_cadre"], on=D(2025, 4, 3))
    assert q.is_closed and Event.objects.get(type="alliances.quarter.closed").public
    # a record added later to the closed quarter does not change its points …
    S.supply_resource(alliance, units.school, description="迟报的供给", on=D(2025, 3, 30), actor=SYSTEM)
    with pytest.raises(Conflict):
        RT.compute_quarter(alliance, 2025, 1, actor=SYSTEM)
    assert totals(q)[units.school.pk]["total"] == 75
    line = q.lines.first()
    line.points = 99
    with pytest.raises(Conflict):
        line.save()
    with pytest.raises(Conflict):
        line.delete()
    with pytest.raises(Conflict):
        ScoreLine.objects.create(quarter=q, unit=units.school, dimension="tasks", points=5, description="x")
    # … a correction with a reason does
    with pytest.raises(DomainError) as e:
        RT.correct_score(q, units.school, dimension="resources", points=5, reason="", actor=users["street_cadre"])
    assert e.value.field == "reason"
    with pytest.raises(Forbidden):
        RT.correct_score(
            q,
            units.school,
            dimension="resources",
            points=5,
            reason="补记3月30日资源供给",
            actor=users["community_cadre"],
        )
    RT.correct_score(
        q, units.school, dimension="resources", points=5, reason="补记3月30日资源供给", actor=users["street_cadre"]
    )
    assert totals(q)[units.school.pk]["total"] == 80
    corr = RT.drill_down(q, units.school)["resources"]
    assert corr[0].kind == "correction" and corr[0].reason == "补记3月30日资源供给"
    assert Event.objects.filter(type="alliances.score.corrected").exists()


def _close_year(alliance):
    for n in (1, 2, 3, 4):
        RT.close_quarter(alliance, 2025, n, on=D(2026, 1, 5), actor=SYSTEM)


def test_year_end_review_to_stars(units, users, alliance):
    q1_records(alliance, units)
    with pytest.raises(DomainError) as e:
        RT.start_review(alliance, 2025, actor=SYSTEM)
    assert e.value.code == "quarters_open"
    _close_year(alliance)
    review = RT.start_review(alliance, 2025, actor=users["street_cadre"])
    members = [units.comm_party, units.school, units.property, units.firms[0]]
    assert {ur.unit for ur in review.units.all()} == set(members)
    assert [r.review for r in S.unit_duties(units.firms[0])["reports_due"]] == [review]
    for u in members[:3]:
        RT.submit_report(review, u, report=f"{u.name}全年参会建言和任务落实情况报告", actor=SYSTEM)
    assert S.unit_duties(units.school)["reports_due"] == []
    with pytest.raises(DomainError) as e:
        RT.publish_points(review, actor=SYSTEM)
    assert units.firms[0].name in e.value.message
    with pytest.raises(DomainError):
        RT.submit_report(review, units.firms[0], report="短", actor=SYSTEM)
    RT.submit_report(review, units.firms[0], report="本单位全年参与较少，将加强参与", actor=SYSTEM)
    with pytest.raises(DomainError):
        RT.open_appraisal(review, actor=SYSTEM)  # points first
    RT.publish_points(review, on=D(2026, 1, 10), actor=SYSTEM)
    pts = {ur.unit_id: ur.points for ur in review.units.all()}
    assert pts[units.school.pk] == 75 / 4  # one active quarter out of four
    assert Event.objects.get(type="alliances.points.published").public
    RT.open_appraisal(review, actor=SYSTEM)
    others = lambda v: {u: (4 if u == units.school else 1) for u in members if u != v}  # noqa: E731
    with pytest.raises(DomainError):
        RT.grade(review, actor=SYSTEM)  # no ballots: below quorum
    with pytest.raises(DomainError):
        RT.cast_appraisal(review, units.comm_party, {units.school: 4}, actor=SYSTEM)  # must rate every other unit
    with pytest.raises(DomainError):
        RT.cast_appraisal(review, units.comm_party, {**others(units.comm_party), units.comm_party: 4}, actor=SYSTEM)
    # the appraisal runs on the consultation module's formal votes: one per rated unit
    assert review.ballot_ref.startswith("formal:")
    fvs = appraisal.formal_votes(review)
    assert len(fvs) == 4 and all(f.electorate == "alliance" and f.electorate_size == 3 for f in fvs)
    for v in members:
        RT.cast_appraisal(review, v, others(v), actor=SYSTEM)
    with pytest.raises(Conflict):
        RT.cast_appraisal(review, units.school, others(units.school), actor=SYSTEM)
    with pytest.raises(DomainError):  # not a member unit of this review
        RT.cast_appraisal(review, units.hospital, {u: 4 for u in members}, actor=SYSTEM)
    assert Ballot.objects.filter(vote__in=fvs).count() == 12 and RollEntry.objects.filter(vote__in=fvs).count() == 12
    with pytest.raises(Forbidden):  # results hidden until the review is graded
        V.results(fvs[0])
    RT.grade(review, on=D(2026, 1, 20), actor=SYSTEM)
    assert all(f.status == "tallied" for f in FormalVote.objects.filter(pk__in=[f.pk for f in fvs]))
    rows = {ur.unit_id: ur for ur in review.units.all()}
    school = rows[units.school.pk]
    assert school.appraisal == 100 and school.final_score == round(0.7 * 18.75 + 0.3 * 100, 2)
    assert all(1 <= ur.stars <= 5 for ur in rows.values())
    assert {ur.unit for ur in RT.rectification_list(review)} == set(members)  # all weak in this thin year
    assert review.units.filter(rectifications__isnull=False).distinct().count() == 4  # each with a plan
    assert review.alliance_stars == R.stars_for(review.alliance_score, R.DEFAULT_RULES)
    ev = Event.objects.get(type="alliances.rated")
    assert ev.public and len(ev.payload["units"]) == 4


@pytest.mark.parametrize("score,stars", [(95, 5), (90, 5), (89.99, 4), (80, 4), (75, 3), (60, 2), (59.9, 1), (0, 1)])
def test_star_thresholds(score, stars):
    assert R.stars_for(score, R.DEFAULT_RULES) == stars


def test_only_one_default_ruleset_version(db):
    assert RT.ruleset_in_force(D(2025, 1, 1)).version == 1
    assert RuleSet.objects.filter(version=1).count() == 1
    R.validate(R.default_rules())
    assert sum(d["cap"] for d in R.DEFAULT_RULES["dimensions"].values()) == 100
