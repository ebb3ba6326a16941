"""The five mechanisms of "885" (八张报表、八张问题清单、五项机制, seed 004) as data, and what a session of
each reads from the records. Nothing here writes (the services do).

A mechanism (:class:`~gongzhi.command.models.Mechanism`) names its cadence, the level that holds it, who
takes part (roles and kinds of unit), which of the eight reports and eight problem lists it reads (by
definition code, ``885-R1`` … ``885-L8``; ``assessment`` for the differentiated assessment's results) and
what a session records (attendance, ranking, statements, decisions, follow-ups). :data:`DEFAULTS` are the
five of Chongqing's practice; a district may change them or add its own.

A session covers one period that has ended ([start, end)) and falls due on its end day;
:func:`compute` reads its figures from the records for the session's region:

- 例会调度 (scheduling): each problem list's rows, and the four boards' figures;
- 晾晒比拼 (ranking): the region's communities (a street) or streets (a district) ranked by their rows
  on the problem lists, fewest first;
- 赛马比拼 (racing, with 述职): the same units ranked by the rates of the reports it reads, best first;
- 督查督办 (supervision): open rectification items with their deadlines: the rows of the problem lists
  that carry one, and the follow-ups earlier sessions assigned that are still open;
- 考核激励 (evaluation): the latest assessment run's results for the units, ranked by score, with the
  proposed incentive (first third) and accountability (last third).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from gongzhi.core.models import Region

from . import boards
from .models import Cadence, FollowUp, MechanismKind

ASSESSMENT = "assessment"
RECORDS = ("attendance", "ranking", "statements", "decisions", "followups")
LEVELS = ("street", "district")
ROWS_SHOWN = 20

# rates of the reports where lower is better (scored as 100 - value)
LOWER_IS_BETTER = frozenset({"cases.return_rate", "cases.reopen_rate", "cases.whistle_rate"})

ALL_LISTS = [f"885-L{i}" for i in range(1, 9)]


@dataclass(frozen=True)
class Default:
    code: str
    name: str
    kind: str
    cadence: str
    roles: tuple[str, ...]
    unit_kinds: tuple[str, ...]
    reads: tuple[str, ...]
    records: tuple[str, ...]
    description: str


_STREET_ROLES = ("street_cadre", "community_cadre")
_COMMUNITIES = ("government", "residents_committee", "villagers_committee")

DEFAULTS: tuple[Default, ...] = (
    Default(
        "lihui-diaodu",
        "例会调度",
        MechanismKind.SCHEDULING,
        Cadence.WEEKLY,
        _STREET_ROLES,
        (*_COMMUNITIES, "department"),
        tuple(ALL_LISTS),
        ("attendance", "decisions", "followups"),
        "每周例会：通报八张问题清单，按四个板块调度工作，明确责任单位和时限",
    ),
    Default(
        "liangshai-bipin",
        "晾晒比拼",
        MechanismKind.RANKING,
        Cadence.MONTHLY,
        _STREET_ROLES,
        _COMMUNITIES,
        ("885-L1", "885-L3", "885-L4", "885-L5", "885-L6", "885-L8"),
        ("attendance", "ranking", "decisions"),
        "每月按问题清单晾晒各社区(村)，问题少者居前，排名公开",
    ),
    Default(
        "saima-bipin",
        "赛马比拼",
        MechanismKind.RACING,
        Cadence.QUARTERLY,
        _STREET_ROLES,
        _COMMUNITIES,
        ("885-R1", "885-R2"),
        ("attendance", "ranking", "statements", "decisions"),
        "每季度各社区(村)述职，按报表指标赛马排名",
    ),
    Default(
        "ducha-duban",
        "督查督办",
        MechanismKind.SUPERVISION,
        Cadence.MONTHLY,
        _STREET_ROLES,
        (*_COMMUNITIES, "department"),
        ("885-L1", "885-L2", "885-L5"),
        ("attendance", "decisions", "followups"),
        "每月督查问题清单中逾期事项和已交办事项的整改，逐项销号或再督办",
    ),
    Default(
        "kaohe-jili",
        "考核激励",
        MechanismKind.EVALUATION,
        Cadence.QUARTERLY,
        _STREET_ROLES,
        _COMMUNITIES,
        (ASSESSMENT, "885-R1"),
        ("attendance", "ranking", "decisions"),
        "每季度读取差异化考核结果，前列激励、末位约谈问责",
    ),
)


# ------------------------------------------------------------------ periods


def period_of(cadence: str, day: dt.date) -> tuple[str, dt.date, dt.date]:
    """The period of ``cadence`` containing ``day``: (label, start, end) with ``end`` exclusive."""
    if cadence == Cadence.WEEKLY:
        start = day - dt.timedelta(days=day.weekday())
        y, w, _ = start.isocalendar()
        return f"{y}-W{w:02d}", start, start + dt.timedelta(days=7)
    if cadence == Cadence.MONTHLY:
        start = day.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        return f"{start:%Y-%m}", start, end
    if cadence == Cadence.QUARTERLY:
        q = (day.month - 1) // 3
        start = dt.date(day.year, 3 * q + 1, 1)
        end = dt.date(day.year + (q == 3), (3 * q + 3) % 12 + 1, 1)
        return f"{day.year}-Q{q + 1}", start, end
    if cadence == Cadence.YEARLY:
        return str(day.year), dt.date(day.year, 1, 1), dt.date(day.year + 1, 1, 1)
    raise ValueError(cadence)


def last_ended(cadence: str, today: dt.date) -> tuple[str, dt.date, dt.date]:
    """The latest period of ``cadence`` that has ended by ``today`` (its session is due on its end day)."""
    _, start, _ = period_of(cadence, today)
    return period_of(cadence, start - dt.timedelta(days=1))


# ------------------------------------------------------------------ definitions read


def definition(code: str) -> dict[str, Any] | None:
    """A report or problem list by code: the stored definition, else the seeded one ("885") in code."""
    from gongzhi.burden import seed
    from gongzhi.burden.models import ReportDefinition

    d = ReportDefinition.objects.filter(code=code).prefetch_related("fields").first()
    if d is not None:
        return {
            "code": d.code,
            "name": d.name,
            "kind": d.kind,
            "list_source": d.list_source,
            "fields": [(f.code, f.label, f.source) for f in d.fields.all() if not f.is_manual],
        }
    for c, name, src in seed.LISTS:
        if c == code:
            return {"code": c, "name": name, "kind": "problem_list", "list_source": src, "fields": []}
    for c, name, fields in seed.REPORTS:
        if c == code:
            from gongzhi.burden import sources

            return {
                "code": c,
                "name": name,
                "kind": "report",
                "list_source": "",
                "fields": [(k, sources.FIELD_SOURCES[s].label, s) for k, s in fields if s in sources.FIELD_SOURCES],
            }
    return None


def known_read(code: str) -> bool:
    return code == ASSESSMENT or definition(code) is not None


def _list_rows(d: dict, region: Region, start: dt.date, end: dt.date) -> tuple[list[str], list[list]]:
    from gongzhi.burden import sources

    src = d.get("list_source")
    if not src or src not in sources.LIST_SOURCES:
        return [], []
    return list(sources.LIST_SOURCES[src].columns), sources.compute_list(src, region, start, end)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, float):
        return round(value, 2)
    return value


def _report_values(d: dict, region: Region, start: dt.date, end: dt.date) -> list[dict]:
    from gongzhi.burden import sources

    out = []
    for key, lab, src in d["fields"]:
        if src not in sources.FIELD_SOURCES:
            continue
        s = sources.FIELD_SOURCES[src]
        out.append(
            {
                "code": key,
                "label": lab,
                "source": src,
                "unit": s.unit,
                "value": _plain(sources.compute_field(src, region, start, end)),
            }
        )
    return out


def units_of(region: Region) -> list[Region]:
    """What a session of ``region`` ranks: a street's communities, a district's streets."""
    return list(Region.objects.filter(parent=region).order_by("code"))


def _lists(reads: list[str], region: Region, start: dt.date, end: dt.date) -> list[dict]:
    out = []
    for code in reads:
        d = definition(code)
        if d is None or d["kind"] != "problem_list":
            continue
        cols, rows = _list_rows(d, region, start, end)
        out.append(
            {
                "code": code,
                "name": d["name"],
                "count": len(rows),
                "columns": cols,
                "rows": [[_plain(c) for c in r] for r in rows[:ROWS_SHOWN]],
            }
        )
    return out


def _rank(rows: list[dict], key: str, reverse: bool) -> list[dict]:
    scored = [r for r in rows if r.get(key) is not None]
    scored.sort(key=lambda r: ((-r[key]) if reverse else r[key], r["code"]))
    rank = 0
    last = object()
    for i, r in enumerate(scored, 1):
        if r[key] != last:
            rank, last = i, r[key]
        r["rank"] = rank
    return scored + [dict(r, rank=None) for r in rows if r.get(key) is None]


def _thirds(ranking: list[dict]) -> None:
    ranked = [r for r in ranking if r.get("rank")]
    n = len(ranked)
    if n < 2:
        return
    third = max(1, n // 3)
    for r in ranked:
        if r["rank"] <= third:
            r["proposal"] = "incentive"
        elif r["rank"] > n - third:
            r["proposal"] = "accountability"


def ranking_by_lists(reads: list[str], region: Region, start: dt.date, end: dt.date) -> list[dict]:
    rows = []
    for unit in units_of(region):
        counts = {lst["code"]: lst["count"] for lst in _lists(reads, unit, start, end)}
        rows.append({"code": unit.code, "name": unit.name, "counts": counts, "total": sum(counts.values())})
    return _rank(rows, "total", reverse=False)


def ranking_by_reports(reads: list[str], region: Region, start: dt.date, end: dt.date) -> list[dict]:
    rows = []
    defs = [d for d in (definition(c) for c in reads) if d and d["kind"] == "report"]
    for unit in units_of(region):
        parts: dict[str, Any] = {}
        scores = []
        for d in defs:
            for v in _report_values(d, unit, start, end):
                if v["unit"] != "rate":
                    continue
                parts[v["label"]] = v["value"]
                if isinstance(v["value"], int | float):
                    val = float(v["value"])
                    scores.append(100 - val if v["source"] in LOWER_IS_BETTER else val)
        score = round(sum(scores) / len(scores), 2) if scores else None
        rows.append({"code": unit.code, "name": unit.name, "parts": parts, "score": score})
    return _rank(rows, "score", reverse=True)


def latest_run(region: Region, end: dt.date) -> Any:
    """The latest assessment run covering ``region`` (run at it or above) that began before ``end``."""
    from gongzhi.assessment.models import Run

    ancestors = [p for p in region.path.split("/") if p]
    return (
        Run.objects.filter(region__code__in=ancestors, start__lt=end)
        .select_related("scheme")
        .order_by("-end", "-id")
        .first()
    )


def ranking_by_assessment(region: Region, end: dt.date) -> tuple[dict | None, list[dict]]:
    from gongzhi.assessment.models import Result

    run = latest_run(region, end)
    if run is None:
        return None, []
    units = {u.pk: u for u in units_of(region)}
    rows = [
        {"code": units[r.region_id].code, "name": units[r.region_id].name, "score": _plain(r.score), "result": r.pk}
        for r in Result.objects.filter(run=run, region_id__in=units)
    ]
    info = {"run": run.pk, "scheme": run.scheme.name, "period": run.period}
    ranking = _rank(rows, "score", reverse=True)
    _thirds(ranking)
    return info, ranking


def open_followups(region: Region, today: dt.date) -> list[dict]:
    return [
        {
            "id": f.pk,
            "title": f.title,
            "unit": f.unit.name if f.unit is not None else "",
            "due_on": f.due_on.isoformat(),
            "overdue": f.due_on < today,
            "session": f.session_id,
        }
        for f in FollowUp.objects.filter(region__path__startswith=region.path, closed_on__isnull=True)
        .select_related("unit")
        .order_by("due_on", "pk")
    ]


def compute(mechanism: Any, region: Region, start: dt.date, end: dt.date) -> dict[str, Any]:
    """What a session of ``mechanism`` in ``region`` for [start, end) reads from the records now:
    ``{"figures": {...}, "ranking": [...]}`` (see the module's doc)."""
    reads = list(mechanism.reads or [])
    kind = mechanism.kind
    today = timezone.localdate()
    figures: dict[str, Any] = {"start": start.isoformat(), "end": end.isoformat()}
    ranking: list[dict] = []
    figures["lists"] = _lists(reads, region, start, end)
    reports = [d for d in (definition(c) for c in reads) if d and d["kind"] == "report"]
    if reports and kind != MechanismKind.RACING:
        figures["reports"] = [
            {"code": d["code"], "name": d["name"], "values": _report_values(d, region, start, end)} for d in reports
        ]
    if kind == MechanismKind.SCHEDULING:
        figures["boards"] = boards.figures(region, start, end - dt.timedelta(days=1))
    elif kind == MechanismKind.RANKING:
        ranking = ranking_by_lists(reads, region, start, end)
    elif kind == MechanismKind.RACING:
        ranking = ranking_by_reports(reads, region, start, end)
    elif kind == MechanismKind.SUPERVISION:
        figures["followups"] = open_followups(region, today)
    elif kind == MechanismKind.EVALUATION:
        info, ranking = ranking_by_assessment(region, end)
        figures["assessment"] = info
    return {"figures": figures, "ranking": ranking}


def participants(mechanism: Any, region: Region) -> Any:
    """The units that take part in a session of ``mechanism`` in ``region``: those of its kinds in the
    region's subtree (the region's own and its communities' or streets' units)."""
    from gongzhi.org.models import Unit

    kinds = list(mechanism.participant_unit_kinds or [])
    qs = Unit.objects.filter(region__path__startswith=region.path, kind__in=kinds)
    if region.level == "district":
        qs = qs.filter(region__level__in=("district", "street"))
    else:
        qs = qs.filter(region__level__in=(region.level, "community"))
    return qs.select_related("region").order_by("region__code", "code")
