"""The star rating (星级党建联合体): quarterly daily points computed from records, and the
year-end review (reports → points published → democratic appraisal → grade).

Points are never typed in: :func:`compute_quarter` turns the quarter's records into
score lines (one per point-producing record, so every score explains itself) with the
rule set in force on the quarter's first day. A closed quarter is frozen; a mistake is
put right by :func:`correct_score`, a new line with a reason.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.events import emit
from gongzhi.org import permissions as perm
from gongzhi.org.models import Unit

from . import appraisal, contracts
from . import permissions as ap
from . import rules as R
from .contracts import AllianceError
from .models import (
    Activity,
    Alliance,
    AllianceMember,
    Attendance,
    Dimension,
    Meeting,
    Participation,
    Quarter,
    ResourceSupply,
    RuleSet,
    ScoreLine,
    Suggestion,
    Task,
    UnitReview,
    YearReview,
)
from .services import rectification
from .services.meetings import supply_demand_pairs

# ------------------------------------------------------------------ rule sets


def ensure_default_ruleset() -> RuleSet:
    """Version 1 takes effect with the platform (a data migration writes it; this covers databases
    built without migrations)."""
    rs = RuleSet.objects.filter(version=1).first()
    if rs is None:
        rs, _ = RuleSet.objects.get_or_create(
            version=1,
            defaults={
                "effective_from": dt.date(2000, 1, 1),
                "rules": R.default_rules(),
                "note": "初始版本：五个维度，满分100分（出勤、活动、任务按应做完成率计分）",
            },
        )
    return rs


def ruleset_in_force(day: dt.date) -> RuleSet:
    ensure_default_ruleset()
    rs = RuleSet.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    if rs is None:
        raise DomainError(f"{day}没有生效的积分规则", code=AllianceError.NO_RULES)
    return rs


@transaction.atomic
def publish_ruleset(*, rules: dict, effective_from: dt.date, note: str = "", actor) -> RuleSet:
    """A new version of the rules, effective from a future quarter's start (old quarters keep theirs)."""
    if not (perm.is_system(actor) or any(r.role == "district_admin" for r in perm._roles(actor))):
        raise Forbidden("积分规则只能由区级管理员发布")
    R.validate(rules)
    ensure_default_ruleset()
    if effective_from.day != 1 or effective_from.month not in (1, 4, 7, 10):
        raise DomainError("新规则须从季度首日起生效（1月1日、4月1日、7月1日或10月1日）", field="effective_from")
    closed = Quarter.objects.filter(status=Quarter.Status.CLOSED)
    last = closed.order_by("-year", "-quarter").first()
    if last is not None and effective_from <= R.quarter_bounds(last.year, last.quarter)[1]:
        raise DomainError("新规则不能追溯到已结账的季度", field="effective_from")
    if RuleSet.objects.filter(effective_from=effective_from).exists():
        raise Conflict(f"{effective_from}起生效的规则版本已存在")
    version = (RuleSet.objects.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    rs = RuleSet.objects.create(version=version, effective_from=effective_from, rules=rules, note=note[:200])
    emit(
        contracts.RULES_PUBLISHED,
        aggregate_type="ruleset",
        aggregate_id=version,
        actor=actor,
        payload={"version": version, "effective_from": effective_from.isoformat(), "rules": rules},
    )
    return rs


# ------------------------------------------------------------------ quarterly points


def members_during(alliance: Alliance, start: dt.date, end: dt.date) -> list[Unit]:
    ms = (
        AllianceMember.objects.filter(alliance=alliance, joined_on__isnull=False, joined_on__lte=end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
        .select_related("unit")
        .order_by("unit__name")
    )
    return list(dict.fromkeys(m.unit for m in ms))


def _membership(alliance: Alliance, units: list[Unit]) -> dict[int, list[tuple[dt.date, dt.date | None]]]:
    spans: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for uid, joined, ended in AllianceMember.objects.filter(
        alliance=alliance, unit_id__in=[u.pk for u in units], joined_on__isnull=False
    ).values_list("unit_id", "joined_on", "ended_on"):
        if joined is not None:
            spans[uid].append((joined, ended))
    return spans


def _member_on(spans: dict[int, list[tuple[dt.date, dt.date | None]]], uid: int, day: dt.date | None) -> bool:
    if day is None:
        return False
    return any(j <= day and (e is None or e >= day) for j, e in spans.get(uid, ()))


def _record_lines(alliance: Alliance, start: dt.date, end: dt.date, units: list[Unit], rules: dict) -> list[dict]:
    """One line per record in [start, end] for ``units``, with the points the rule gives it.

    Rates (attendance, activities, tasks): one line per thing the unit was due to do, each worth
    ``cap / due`` when done (a late task ``late_share`` of that), 0 when not, so the lines of a unit
    that did all of it add up to the cap. Counts (suggestions, resources): the rule's points per record.
    """
    dims = rules["dimensions"]
    f = {d: dims[d].get("formula") or {} for d in R.DIMENSIONS}
    cap = {d: float(dims[d]["cap"]) for d in R.DIMENSIONS}
    ids = {u.pk for u in units}
    spans = _membership(alliance, units)
    lines = []
    # attendance: the required meetings held in the quarter that the unit was called to (monthly progress
    # meetings: the members in a direct supply–demand relation that year, seed 000)
    meetings = list(
        Meeting.objects.filter(alliance=alliance, required=True, held_on__range=(start, end)).order_by("held_on", "id")
    )
    present = set(Attendance.objects.filter(meeting__in=meetings, unit_id__in=ids).values_list("meeting_id", "unit_id"))
    pairs: dict[int, set[int]] = {}
    due: dict[int, list[Meeting]] = defaultdict(list)
    for m in meetings:
        called = set(ids)
        if m.kind == Meeting.Kind.PROGRESS:
            if m.year not in pairs:
                pairs[m.year] = set().union(*supply_demand_pairs(alliance, m.year))
            if pairs[m.year]:
                called &= pairs[m.year]
        for uid in called:
            if _member_on(spans, uid, m.held_on):
                due[uid].append(m)
    for uid, ms in due.items():
        each = cap["attendance"] / len(ms)
        for m in ms:
            came = (m.pk, uid) in present
            lines.append(
                dict(
                    unit_id=uid,
                    dimension=Dimension.ATTENDANCE,
                    record_type="meeting",
                    record_id=m.pk,
                    on_date=m.held_on,
                    points=each if came else 0.0,
                    description=f"{m.held_on} {m.get_kind_display()}：{'出席' if came else '缺席'}"
                    f"（应到{len(ms)}次之一）",
                )
            )
    for sg in Suggestion.objects.filter(alliance=alliance, made_on__range=(start, end), unit_id__in=ids):
        pts = f["suggestions"].get("per_suggestion", 0) + (
            f["suggestions"].get("adopted_bonus", 0) if sg.adopted else 0
        )
        lines.append(
            dict(
                unit_id=sg.unit_id,
                dimension=Dimension.SUGGESTIONS,
                record_type="suggestion",
                record_id=sg.pk,
                on_date=sg.made_on,
                points=pts,
                description=f"{sg.made_on} 建议：{sg.text[:80]}{'（已采纳）' if sg.adopted else ''}",
            )
        )
    for r in ResourceSupply.objects.filter(alliance=alliance, supplied_on__range=(start, end), unit_id__in=ids):
        lines.append(
            dict(
                unit_id=r.unit_id,
                dimension=Dimension.RESOURCES,
                record_type="supply",
                record_id=r.pk,
                on_date=r.supplied_on,
                points=f["resources"].get("per_supply", 0),
                description=f"{r.supplied_on} 供给：{r.description[:80]}",
            )
        )
    # activities: the alliance's activities held in the quarter while the unit was a member
    acts = list(Activity.objects.filter(alliance=alliance, held_on__range=(start, end)).order_by("held_on", "id"))
    took = set(Participation.objects.filter(activity__in=acts, unit_id__in=ids).values_list("activity_id", "unit_id"))
    for uid in ids:
        mine = [act for act in acts if _member_on(spans, uid, act.held_on)]
        for act in mine:
            came = (act.pk, uid) in took
            lines.append(
                dict(
                    unit_id=uid,
                    dimension=Dimension.ACTIVITIES,
                    record_type="activity",
                    record_id=act.pk,
                    on_date=act.held_on,
                    points=cap["activities"] / len(mine) if came else 0.0,
                    description=f"{act.held_on} {act.get_kind_display()}：{act.title[:60]}"
                    f"{'：参加' if came else '：未参加'}（{len(mine)}次之一）",
                )
            )
    # tasks: the claimed tasks whose deadline falls in the quarter
    late_share = float(f["tasks"].get("late_share", 0.5))
    tasks: dict[int, list[Task]] = defaultdict(list)
    for t in Task.objects.filter(alliance=alliance, deadline__range=(start, end), owner_unit_id__in=ids).select_related(
        "item"
    ):
        tasks[t.owner_unit_id].append(t)
    for uid, ts in tasks.items():
        each = cap["tasks"] / len(ts)
        for t in ts:
            if t.completed_on is None:
                pts, how = 0.0, "未完成"
            elif t.completed_on <= t.deadline:
                pts, how = each, f"{t.completed_on}按期完成"
            else:
                pts, how = each * late_share, f"{t.completed_on}逾期完成"
            lines.append(
                dict(
                    unit_id=uid,
                    dimension=Dimension.TASKS,
                    record_type="task",
                    record_id=t.pk,
                    on_date=t.completed_on or t.deadline,
                    points=pts,
                    description=f"认领任务：{t.item.title[:60]}，时限{t.deadline}，{how}（到期{len(ts)}项之一）",
                )
            )
    return lines


@transaction.atomic
def compute_quarter(alliance: Alliance, year: int, quarter: int, *, actor) -> Quarter:
    """(Re)compute an open quarter's points from the records. A closed quarter is refused."""
    ap.require(actor, ap.RATE, alliance)
    start, end = R.quarter_bounds(year, quarter)
    if alliance.established_on is None or end < alliance.established_on:
        raise DomainError(f"{alliance.name}在{year}年第{quarter}季度尚未成立", field="quarter")
    q, _created = Quarter.objects.select_for_update().get_or_create(
        alliance=alliance, year=year, quarter=quarter, defaults={"ruleset": ruleset_in_force(start)}
    )
    if q.is_closed:
        raise Conflict(
            f"{year}年第{quarter}季度已结账，积分不能修改；如有错误请添加更正记录并说明理由",
            code=AllianceError.QUARTER_CLOSED,
        )
    q.ruleset = ruleset_in_force(start)
    units = members_during(alliance, start, end)
    q.lines.filter(kind=ScoreLine.Kind.RECORD).delete()
    ScoreLine.objects.bulk_create(
        [
            ScoreLine(quarter=q, kind=ScoreLine.Kind.RECORD, **line)
            for line in _record_lines(alliance, start, end, units, q.ruleset.rules)
        ]
    )
    q.computed_at = timezone.now()
    q.save()
    return q


@transaction.atomic
def close_quarter(alliance: Alliance, year: int, quarter: int, *, actor, on: dt.date | None = None) -> Quarter:
    """Compute the quarter one last time and freeze it. Only after the quarter has ended."""
    on = on or timezone.localdate()
    start, end = R.quarter_bounds(year, quarter)
    if on <= end:
        raise DomainError(f"{year}年第{quarter}季度到{end}才结束，结束后才能结账", field="quarter")
    q = compute_quarter(alliance, year, quarter, actor=actor)
    q.status = Quarter.Status.CLOSED
    q.closed_on = on
    q.save()
    table = quarter_scores(q)
    emit(
        contracts.QUARTER_CLOSED,
        aggregate_type="alliance",
        aggregate_id=alliance.code,
        region=alliance.region,
        actor=actor,
        payload={
            "alliance": alliance.code,
            "name": alliance.name,
            "year": year,
            "quarter": quarter,
            "ruleset": q.ruleset.version,
            "scores": [
                {
                    "unit": r["unit"].code,
                    "unit_name": r["unit"].name,
                    "total": r["total"],
                    **{d: r["dims"][d]["score"] for d in R.DIMENSIONS},
                }
                for r in table
            ],
        },
    )
    return q


@transaction.atomic
def correct_score(quarter: Quarter, unit: Unit, *, dimension: str, points: float, reason: str, actor) -> ScoreLine:
    """A correction is a new line with a reason (closed quarters are never edited)."""
    ap.require(actor, ap.RATE, quarter.alliance)
    if dimension not in R.DIMENSIONS:
        raise DomainError(f"维度必须是：{'、'.join(str(label) for label in Dimension.labels)}", field="dimension")
    try:
        points = float(points)
    except (TypeError, ValueError):
        raise DomainError("更正分值必须是数字（可为负数）", field="points") from None
    if points == 0 or abs(points) > 100:
        raise DomainError("更正分值必须非零且绝对值不超过100", field="points")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise DomainError("请写明更正理由（至少4个字）", field="reason")
    start, end = R.quarter_bounds(quarter.year, quarter.quarter)
    if unit not in members_during(quarter.alliance, start, end):
        raise DomainError(f"{unit.name}在该季度不是成员单位", field="unit")
    line = ScoreLine.objects.create(
        quarter=quarter,
        unit=unit,
        dimension=dimension,
        kind=ScoreLine.Kind.CORRECTION,
        description=f"更正：{reason[:200]}",
        points=points,
        reason=reason[:300],
        on_date=timezone.localdate(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    emit(
        contracts.SCORE_CORRECTED,
        aggregate_type="alliance",
        aggregate_id=quarter.alliance.code,
        region=quarter.alliance.region,
        actor=actor,
        payload={
            "alliance": quarter.alliance.code,
            "year": quarter.year,
            "quarter": quarter.quarter,
            "unit": unit.code,
            "dimension": dimension,
            "points": points,
            "reason": reason,
        },
    )
    return line


def score_unit(raw: dict[str, float], counts: dict[str, int], rules: dict) -> dict:
    """A unit's quarter from its raw points and line counts per dimension (pure): each dimension capped
    and weighted; a rate dimension without a line is not applicable and the applicable ones are scaled up
    to the same maximum. Returns ``dims``, ``total``, ``max`` and ``scaled`` (the factor)."""
    spec_of = rules["dimensions"]
    full = R.max_points(rules)
    dims = {}
    got = 0.0
    applicable_max = 0.0
    for d in R.DIMENSIONS:
        spec = spec_of[d]
        r = float(raw.get(d, 0.0))
        capped = min(max(r, 0.0), float(spec["cap"]))
        score = round(capped * float(spec["weight"]), 2)
        applicable = d not in R.RATE_DIMENSIONS or counts.get(d, 0) > 0
        if applicable:
            got += score
            applicable_max += float(spec["cap"]) * float(spec["weight"])
        dims[d] = {
            "raw": round(r, 2),
            "cap": spec["cap"],
            "weight": spec["weight"],
            "score": score,
            "max": round(float(spec["cap"]) * float(spec["weight"]), 2),
            "records": counts.get(d, 0),
            "applicable": applicable,
        }
    factor = full / applicable_max if applicable_max else 0.0
    return {"dims": dims, "total": min(round(got * factor, 2), full), "max": full, "scaled": round(factor, 4)}


def final_score(points: float, appraisal: float | None, rules: dict) -> float:
    """The year-end score: ``points_weight`` × annual points + ``appraisal_weight`` × appraisal (the
    points alone when no one rated the unit)."""
    ye = rules["year_end"]
    if appraisal is None:
        return round(points, 2)
    return round(ye["points_weight"] * points + ye["appraisal_weight"] * appraisal, 2)


def quarter_scores(q: Quarter, unit: Unit | None = None) -> list[dict]:
    """Per unit: raw points per dimension (records + corrections), capped, weighted, and the total.

    A rate dimension with nothing due in the quarter (no line) is not applicable; the total is then the
    applicable scores scaled up to the same maximum (``scaled``: the factor), so a quarter without a
    task due neither costs nor earns the unit anything."""
    start, end = R.quarter_bounds(q.year, q.quarter)
    units = members_during(q.alliance, start, end)
    if unit is not None:
        units = [u for u in units if u.pk == unit.pk]
    raw: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for uid, dim, pts in q.lines.values_list("unit_id", "dimension", "points"):
        raw[uid][dim] += pts
        counts[uid][dim] += 1
    out = []
    for u in units:
        out.append({"unit": u, **score_unit(raw[u.pk], counts[u.pk], q.ruleset.rules)})
    out.sort(key=lambda r: (-r["total"], r["unit"].name))
    return out


def drill_down(q: Quarter, unit: Unit) -> dict[str, list[ScoreLine]]:
    """The records that produced each of a unit's points in a quarter, by dimension."""
    out: dict[str, list[ScoreLine]] = {d: [] for d in R.DIMENSIONS}
    for line in q.lines.filter(unit=unit).order_by("on_date", "id"):
        out[line.dimension].append(line)
    return out


# ------------------------------------------------------------------ year-end review


def _quarters_required(alliance: Alliance, year: int) -> list[int]:
    est = alliance.established_on
    return [n for n in (1, 2, 3, 4) if est and R.quarter_bounds(year, n)[1] >= est]


@transaction.atomic
def start_review(alliance: Alliance, year: int, *, actor) -> YearReview:
    """Open the year-end review once all of the year's quarters are closed; each member unit reports."""
    ap.require(actor, ap.RATE, alliance)
    needed = _quarters_required(alliance, year)
    if not needed:
        raise DomainError(f"{alliance.name}在{year}年尚未成立", field="year")
    closed = set(
        Quarter.objects.filter(alliance=alliance, year=year, status=Quarter.Status.CLOSED).values_list(
            "quarter", flat=True
        )
    )
    open_q = [n for n in needed if n not in closed]
    if open_q:
        raise DomainError(
            f"请先结账{year}年第{'、'.join(map(str, open_q))}季度的积分，再开展年终考评",
            code=AllianceError.QUARTERS_OPEN,
        )
    if YearReview.objects.filter(alliance=alliance, year=year).exists():
        raise Conflict(f"{year}年度考评已开始")
    review = YearReview.objects.create(alliance=alliance, year=year, ruleset=ruleset_in_force(dt.date(year, 12, 31)))
    units = members_during(alliance, dt.date(year, 1, 1), dt.date(year, 12, 31))
    UnitReview.objects.bulk_create([UnitReview(review=review, unit=u) for u in units])
    return review


@transaction.atomic
def submit_report(review: YearReview, unit: Unit, *, report: str, actor, on: dt.date | None = None) -> UnitReview:
    """A member unit's year-end report (述职)."""
    ap.require(actor, ap.APPLY, unit, review.alliance)
    if review.stage != YearReview.Stage.REPORTS:
        raise DomainError("述职阶段已结束", code=CoreError.INVALID_STATE)
    ur = UnitReview.objects.filter(review=review, unit=unit).first()
    if ur is None:
        raise NotFound(f"{unit.name}不在{review.year}年度考评名单中")
    report = (report or "").strip()
    if len(report) < 10:
        raise DomainError("述职报告至少10个字：说明全年参会、建言、资源供给、活动和任务落实情况", field="report")
    ur.report = report[:5000]
    ur.reported_on = on or timezone.localdate()
    ur.save()
    return ur


def annual_breakdown(alliance: Alliance, year: int, unit: Unit) -> dict:
    """The unit's year: the mean of its quarterly totals over the closed quarters in which it was a
    member (``points``), and per dimension the mean of what it got against the most it could get, in the
    quarters where the dimension applied (``dims``: got, max, quarters) — the explanation of its points."""
    totals = []
    got: dict[str, list[float]] = defaultdict(list)
    best = {}
    for q in Quarter.objects.filter(alliance=alliance, year=year, status=Quarter.Status.CLOSED).select_related(
        "ruleset"
    ):
        rows = quarter_scores(q, unit)
        if rows:
            totals.append(rows[0]["total"])
            best["total"] = rows[0]["max"]
            for d, v in rows[0]["dims"].items():
                best[d] = v["max"]
                if v["applicable"]:
                    got[d].append(v["score"])
    return {
        "points": round(sum(totals) / len(totals), 2) if totals else 0.0,
        "max": best.get("total", 0.0),
        "quarters": len(totals),
        "dims": {
            d: {
                "got": round(sum(got[d]) / len(got[d]), 2) if got[d] else None,
                "max": best.get(d, 0.0),
                "quarters": len(got[d]),
            }
            for d in R.DIMENSIONS
        },
    }


def annual_points(alliance: Alliance, year: int, unit: Unit) -> float:
    """The mean of the unit's quarterly totals over the closed quarters in which it was a member."""
    return annual_breakdown(alliance, year, unit)["points"]


@transaction.atomic
def publish_points(review: YearReview, *, actor, on: dt.date | None = None) -> YearReview:
    """After every unit has reported, the annual points are announced (通报积分)."""
    ap.require(actor, ap.RATE, review.alliance)
    if review.stage != YearReview.Stage.REPORTS:
        raise DomainError("积分已通报", code=CoreError.INVALID_STATE)
    missing = [ur.unit.name for ur in review.units.select_related("unit") if not ur.report]
    if missing:
        raise DomainError(f"以下成员单位尚未述职：{'、'.join(missing)}", code=AllianceError.REPORTS_MISSING)
    for ur in review.units.select_related("unit"):
        ur.breakdown = annual_breakdown(review.alliance, review.year, ur.unit)
        ur.points = ur.breakdown["points"]
        ur.save(update_fields=["points", "breakdown"])
    review.stage = YearReview.Stage.PUBLISHED
    review.published_on = on or timezone.localdate()
    review.save()
    a = review.alliance
    emit(
        contracts.POINTS_PUBLISHED,
        aggregate_type="alliance",
        aggregate_id=a.code,
        region=a.region,
        actor=actor,
        payload={
            "alliance": a.code,
            "name": a.name,
            "year": review.year,
            "points": [
                {"unit": ur.unit.code, "unit_name": ur.unit.name, "points": ur.points}
                for ur in review.units.select_related("unit")
            ],
        },
    )
    return review


@transaction.atomic
def open_appraisal(review: YearReview, *, actor) -> YearReview:
    ap.require(actor, ap.RATE, review.alliance)
    if review.stage != YearReview.Stage.PUBLISHED:
        raise DomainError("须先通报积分，再开展民主评议", code=CoreError.INVALID_STATE)
    review.ballot_ref = appraisal.open_ballot(review, actor=actor)
    review.stage = YearReview.Stage.APPRAISAL
    review.save()
    return review


@transaction.atomic
def cast_appraisal(review: YearReview, voter: Unit, ratings: dict[Unit, int], *, actor) -> int:
    """A member unit rates every other member unit (4 优秀, 3 良好, 2 一般, 1 较差)."""
    ap.require(actor, ap.APPLY, voter, review.alliance)
    if review.stage != YearReview.Stage.APPRAISAL:
        raise DomainError("民主评议未开始或已结束", code=CoreError.INVALID_STATE)
    return appraisal.cast(review, voter, ratings)


@transaction.atomic
def grade(review: YearReview, *, actor, on: dt.date | None = None) -> YearReview:
    """Combine points and appraisal into a final score and a grade of one to five stars; list the weak for
    rectification and the strong for support; grade the alliance itself by its members' mean."""
    ap.require(actor, ap.RATE, review.alliance)
    if review.stage != YearReview.Stage.APPRAISAL:
        raise DomainError("须先完成民主评议，再评定星级", code=CoreError.INVALID_STATE)
    rules = review.ruleset.rules
    ye = rules["year_end"]
    units = list(review.units.select_related("unit"))
    voted = appraisal.voters(review)
    quorum = ye["appraisal_quorum"]
    if len(units) and len(voted) / len(units) < quorum:
        raise DomainError(
            f"参加民主评议的单位不足：{len(voted)}/{len(units)}，须达到{int(quorum * 100)}%以上",
            code=AllianceError.QUORUM,
        )
    results = appraisal.tally(review, actor=actor)
    scale = {int(k): float(v) for k, v in ye["appraisal_scale"].items()}
    for ur in units:
        got = results.get(ur.unit_id, [])
        ur.appraisal = round(sum(scale[r] for r in got) / len(got), 2) if got else None
        ur.final_score = final_score(ur.points or 0.0, ur.appraisal, rules)
        ur.stars = R.stars_for(ur.final_score, rules)
        ur.outcome = (
            UnitReview.Outcome.RECTIFY
            if ur.stars <= ye["rectify_max_stars"]
            else UnitReview.Outcome.SUPPORT
            if ur.stars >= ye["support_min_stars"]
            else UnitReview.Outcome.NONE
        )
        ur.save()
    day = on or timezone.localdate()
    for ur in units:  # what follows from the grade: a rectification plan, or support on the record
        if ur.outcome == UnitReview.Outcome.RECTIFY:
            rectification.open_rectification(ur, on=day, actor=actor)
        elif ur.outcome == UnitReview.Outcome.SUPPORT:
            rectification.record_pool_priority(ur, on=day, actor=actor)
    review.alliance_score = round(sum(u.final_score for u in units) / len(units), 2) if units else 0.0
    review.alliance_stars = R.stars_for(review.alliance_score, rules)
    review.stage = YearReview.Stage.GRADED
    review.graded_on = day
    review.save()
    a = review.alliance
    emit(
        contracts.RATED,
        aggregate_type="alliance",
        aggregate_id=a.code,
        region=a.region,
        actor=actor,
        payload={
            "alliance": a.code,
            "name": a.name,
            "year": review.year,
            "stars": review.alliance_stars,
            "score": review.alliance_score,
            "ruleset": review.ruleset.version,
            "units": [
                {
                    "unit": ur.unit.code,
                    "unit_name": ur.unit.name,
                    "points": ur.points,
                    "appraisal": ur.appraisal,
                    "final": ur.final_score,
                    "stars": ur.stars,
                    "outcome": ur.outcome,
                }
                for ur in units
            ],
        },
    )
    return review


def rectification_list(review: YearReview):
    return review.units.filter(outcome=UnitReview.Outcome.RECTIFY).select_related("unit")


def support_list(review: YearReview):
    return review.units.filter(outcome=UnitReview.Outcome.SUPPORT).select_related("unit")
