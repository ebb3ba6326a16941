"""The figures of the request loop, computed from the transition records.

Definitions (also in docs/cases.md). The population is the requests submitted
in the period, minus those merged into another, cancelled by the resident or
found not to be ours ("counted requests").

- response rate: of counted requests that were dispatched, the share where the
  handling side responded (started work, resolved, or a summoned department
  reported) within 2 hours of the first dispatch for emergencies, 24 hours
  otherwise.
- resolution rate: of rated requests, the share the resident (or the follow-up
  visit) last said was fixed.
- satisfaction rate: of rated requests, the share whose last rating was
  满意 or 基本满意.
- on-time rate: of resolved requests, the share whose first resolution came
  before the due time.
- return rate: of dispatched requests, the share returned to the dispatcher
  (回退) at least once.
- reopen rate: of resolved requests, the share reopened (重办) at least once.
- whistle rate: of counted requests, the share on which a whistle was blown.
- median hours to dispatch: first dispatch − submission, over dispatched requests.
- median hours to resolution: first resolution − submission, over resolved requests.
- mean hours to dispatch / to resolution: the same durations, averaged (a request dispatched or
  resolved without a submit transition counts as 0).
- matters pushed down (向基层转嫁事项数, ``cases.pushdowns``): push-downs asked for in the period (a manual
  dispatch below the unit the responsibility list names) that took effect — consented to by the receiving
  unit or approved above the street; per street by the request's place (:func:`pushdowns_by_street`,
  which also counts those still pending, declined, refused and withdrawn). Lower is better (seeds 001, 002).

Each rate is defined once, as (numerator, denominator) of the per-request counts
(:data:`RATE_DEFS`, :func:`fact_counts`); the command centre's rollup tables store the same counts
per day and compute the rates with :func:`rates` (their fast path, see :mod:`gongzhi.core.figures`).
The figures are registered as ``cases.<name>`` in the one registry (:mod:`gongzhi.core.figures`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from gongzhi.core import figures as registry
from gongzhi.core.figures import figure, ratio
from gongzhi.core.models import Region
from gongzhi.org.models import Grid, Unit

from .models import OPEN_STATES, Bypass, MediationCase, PushDown, ServiceRequest, State, Transition

LEVELS = ("grid", "community", "street", "district", "department")
EXCLUDED = {State.MERGED, State.CANCELLED, State.NOT_OURS}
RESPONSE_HOURS = {"emergency": 2}
DEFAULT_RESPONSE_HOURS = 24
RESPONSE_ACTIONS = {"start", "resolve", "report"}
SATISFIED = ("satisfied", "basically")  # ratings counted as satisfied (满意, 基本满意)
# the counts of one request (0 or 1 each; summed over requests they are the rollup tables' columns)
FACT_COUNTS = (
    "arrived",
    "dispatched",
    "responded",
    "resolved",
    "on_time",
    "overdue",
    "returned",
    "reopened",
    "rated",
    "satisfied",
    "fixed",
    "whistles",
)
FACT_MINUTES = ("minutes_to_dispatch", "minutes_to_resolve")
# every rate, once: (numerator, denominator) of the summed counts
RATE_DEFS = {
    "response_rate": ("responded", "dispatched"),
    "resolution_rate": ("fixed", "rated"),
    "satisfaction_rate": ("satisfied", "rated"),
    "on_time_rate": ("on_time", "resolved"),
    "return_rate": ("returned", "dispatched"),
    "reopen_rate": ("reopened", "resolved"),
    "whistle_rate": ("whistles", "arrived"),
}
RATES = tuple(RATE_DEFS)
RATE_LABELS = {
    "response_rate": "响应率",
    "resolution_rate": "解决率",
    "satisfaction_rate": "满意率",
    "on_time_rate": "按时办结率",
    "return_rate": "回退率",
    "reopen_rate": "重办率",
    "whistle_rate": "吹哨率",
}


def request_facts(requests: dict[int, dict], start: dt.datetime | None, end: dt.datetime | None) -> None:
    """Fold each request's transitions into per-request facts."""
    qs = (
        Transition.objects.filter(request_id__in=list(requests))
        if len(requests) < 5000
        else Transition.objects.filter(request__in=_request_qs(start, end))
    )
    for rid, action, at, data in (
        qs.order_by("request_id", "at", "id")
        .values_list("request_id", "action", "at", "data")
        .iterator(chunk_size=5000)
    ):
        f = requests.get(rid)
        if f is None:
            continue
        if action == "submit":
            f["submitted"] = at
        elif action == "dispatch":
            f.setdefault("dispatched", at)
        elif action in RESPONSE_ACTIONS and "dispatched" in f and "responded" not in f:
            f["responded"] = at
        if action == "resolve" and "resolved" not in f:
            f["resolved"] = at
            f["on_time"] = bool((data or {}).get("on_time", True))
        elif action == "return":
            f["returned"] = True
        elif action == "reopen":
            f["reopened"] = True
        elif action == "whistle":
            f["whistled"] = True
        elif action in ("confirm", "followup") and (data or {}).get("rating"):
            f["rating"] = data["rating"]
            f["fixed"] = bool(data.get("fixed", True))


def _request_qs(start, end):
    qs = ServiceRequest.objects.exclude(state__in=EXCLUDED)
    if start:
        qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lt=end)
    return qs


def responded_in_time(f: dict) -> bool:
    limit = dt.timedelta(hours=RESPONSE_HOURS.get(f["sla"], DEFAULT_RESPONSE_HOURS))
    return "responded" in f and f["responded"] - f["dispatched"] <= limit


def fact_counts(f: dict) -> dict[str, int]:
    """The counts (:data:`FACT_COUNTS`) of one counted request from its facts."""
    c = dict.fromkeys(FACT_COUNTS, 0)
    c["arrived"] = 1
    if "dispatched" in f:
        c["dispatched"] = 1
        c["responded"] = int(responded_in_time(f))
        c["returned"] = int(bool(f.get("returned")))
    if "resolved" in f:
        c["resolved"] = 1
        c["on_time"] = int(f["on_time"])
        c["overdue"] = int(not f["on_time"])
        c["reopened"] = int(bool(f.get("reopened")))
    if "rating" in f:
        c["rated"] = 1
        c["satisfied"] = int(f["rating"] in SATISFIED)
        c["fixed"] = int(f["fixed"])
    c["whistles"] = int(bool(f.get("whistled")))
    return c


def fact_minutes(f: dict) -> dict[str, float]:
    """Minutes from submission to the first dispatch and to the first resolution (0 when not reached)."""
    m = dict.fromkeys(FACT_MINUTES, 0.0)
    if "submitted" in f:
        if "dispatched" in f:
            m["minutes_to_dispatch"] = (f["dispatched"] - f["submitted"]).total_seconds() / 60
        if "resolved" in f:
            m["minutes_to_resolve"] = (f["resolved"] - f["submitted"]).total_seconds() / 60
    return m


def summed(facts: list[dict]) -> dict:
    """:func:`fact_counts` and :func:`fact_minutes` summed over requests (what a rollup row holds)."""
    s: dict = dict.fromkeys(FACT_COUNTS, 0) | dict.fromkeys(FACT_MINUTES, 0.0)
    for f in facts:
        for k, v in (fact_counts(f) | fact_minutes(f)).items():
            s[k] += v
    return s


def rates(s: dict) -> dict:
    """``requests`` and every rate of :data:`RATE_DEFS` from summed counts (missing counts are 0)."""

    def g(k):
        return int(s.get(k) or 0)

    return {"requests": g("arrived"), **{name: ratio(g(num), g(den)) for name, (num, den) in RATE_DEFS.items()}}


def means(s: dict) -> dict:
    """Mean hours to dispatch and to resolution from summed minutes and counts."""

    def g(k):
        return s.get(k) or 0

    return {
        "mean_hours_to_dispatch": (g("minutes_to_dispatch") / 60 / g("dispatched")) if g("dispatched") else None,
        "mean_hours_to_resolution": (g("minutes_to_resolve") / 60 / g("resolved")) if g("resolved") else None,
    }


def median_hours(facts: list[dict], key: str) -> float | None:
    vals = [(f[key] - f["submitted"]).total_seconds() / 3600 for f in facts if key in f and "submitted" in f]
    return float(np.median(vals)) if vals else None


def summarise(facts: list[dict]) -> dict:
    return {
        **rates(summed(facts)),
        "median_hours_to_dispatch": median_hours(facts, "dispatched"),
        "median_hours_to_resolution": median_hours(facts, "resolved"),
    }


def _key(level: str, path: str, grid_id: int, unit_id: int | None) -> str | int | None:
    parts = [p for p in path.strip("/").split("/") if p]
    if level == "grid":
        return grid_id
    if level == "community":
        return parts[-1] if parts else None
    if level == "street":
        return parts[-2] if len(parts) >= 2 else None
    if level == "district":
        return parts[-3] if len(parts) >= 3 else None
    return unit_id


def compute(
    level: str, *, start: dt.datetime | None = None, end: dt.datetime | None = None, within: Region | None = None
) -> list[dict]:
    """The figures per ``level`` (grid, community, street, district or department), best-known names first."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    qs = _request_qs(start, end)
    if within is not None:
        qs = qs.filter(region__path__startswith=within.path)
    requests = {
        pk: {"key": _key(level, path, g, u), "sla": s}
        for pk, path, g, u, s in qs.values_list("pk", "region__path", "grid_id", "handling_unit_id", "sla")
    }
    request_facts(requests, start, end)
    groups: dict = defaultdict(list)
    for f in requests.values():
        if f["key"] is not None:
            groups[f["key"]].append(f)
    names = _names(level, list(groups))
    rows = []
    for key, facts in groups.items():
        row = {
            "key": names.get(key, (str(key), ""))[0],
            "name": names.get(key, (str(key), str(key)))[1],
            **summarise(facts),
        }
        rows.append(row)
    if level in ("community", "street", "district"):
        med = mediation_counts(level, within=within, start=start, end=end)
        for row in rows:
            row["mediation"] = med.get(row["key"], {"cases": 0, "agreement": 0, "partial": 0, "failed": 0})
    rows.sort(key=lambda r: (-r["requests"], r["key"]))
    return rows


def total(*, start=None, end=None, within: Region | None = None) -> dict:
    qs = _request_qs(start, end)
    if within is not None:
        qs = qs.filter(region__path__startswith=within.path)
    return summarise(_facts_of(qs, start, end))


def _facts_of(qs: QuerySet[ServiceRequest], start: dt.datetime | None, end: dt.datetime | None) -> list[dict]:
    requests = {pk: {"key": 0, "sla": sla} for pk, sla in qs.values_list("pk", "sla")}
    request_facts(requests, start, end)
    return list(requests.values())


def _names(level, keys) -> dict:
    if level == "grid":
        return {g.pk: (g.code, g.name) for g in Grid.objects.filter(pk__in=keys)}
    if level == "department":
        return {u.pk: (u.code, u.name) for u in Unit.objects.filter(pk__in=keys)}
    return {r.code: (r.code, r.name) for r in Region.objects.filter(code__in=keys)}


def mediation_counts(level: str, *, within=None, start=None, end=None) -> dict:
    qs = MediationCase.objects.all()
    if within is not None:
        qs = qs.filter(region__path__startswith=within.path)
    if start:
        qs = qs.filter(opened_at__gte=start)
    if end:
        qs = qs.filter(opened_at__lt=end)
    out: dict = defaultdict(lambda: {"cases": 0, "agreement": 0, "partial": 0, "failed": 0})
    for path, outcome in qs.values_list("region__path", "outcome"):
        k = _key(level, path, 0, None)
        out[k]["cases"] += 1
        if outcome:
            out[k][outcome] += 1
    return dict(out)


def whistle_rate_by_street(**kw) -> dict[str, float | None]:
    return {r["key"]: r["whistle_rate"]["value"] for r in compute("street", **kw)}


# ------------------------------------------------------------------ the registered figures (cases.*)


def aware(day: dt.date) -> dt.datetime:
    """Local midnight starting ``day`` (a datetime is returned unchanged)."""
    if isinstance(day, dt.datetime):
        return day
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def period_facts(region: Region, start: dt.date, end: dt.date) -> dict:
    """The facts of the counted requests of ``region``'s subtree submitted in [start, end), with their sums
    (shared by every request figure inside one :func:`gongzhi.core.figures.batch`)."""

    def work() -> dict:
        s, e = aware(start), aware(end)
        facts = _facts_of(_request_qs(s, e).filter(region__path__startswith=region.path), s, e)
        return {"facts": facts, "sums": summed(facts)}

    return registry.shared(("cases.facts", region.pk, start, end), work)


@figure("cases.requests", label="诉求受理量", unit="count")
def requests_count(region: Region, start: dt.date, end: dt.date) -> int:
    """Counted requests submitted in the period."""
    return period_facts(region, start, end)["sums"]["arrived"]


def _register_rate(name: str) -> None:
    num, den = RATE_DEFS[name]

    def rate(region: Region, start: dt.date, end: dt.date) -> dict:
        return rates(period_facts(region, start, end)["sums"])[name]

    rate.__qualname__ = f"rate_{name}"
    registry.register(
        f"cases.{name}",
        rate,
        label=RATE_LABELS[name],
        unit="rate",
        doc=f"{num} / {den} over the counted requests submitted in the period",
    )


for _name in RATES:
    _register_rate(_name)


@figure("cases.median_hours_to_dispatch", label="派单时长中位数(小时)", unit="hours")
def median_hours_to_dispatch(region: Region, start: dt.date, end: dt.date) -> float | None:
    """Median hours from submission to first dispatch, over requests submitted in the period and dispatched."""
    return median_hours(period_facts(region, start, end)["facts"], "dispatched")


@figure("cases.median_hours_to_resolution", label="办结时长中位数(小时)", unit="hours")
def median_hours_to_resolution(region: Region, start: dt.date, end: dt.date) -> float | None:
    """Median hours from submission to first resolution, over requests submitted in the period and resolved."""
    return median_hours(period_facts(region, start, end)["facts"], "resolved")


@figure("cases.mean_hours_to_dispatch", label="平均派单时长(小时)", unit="hours")
def mean_hours_to_dispatch(region: Region, start: dt.date, end: dt.date) -> float | None:
    """Mean hours from submission to first dispatch, over requests submitted in the period and dispatched."""
    return means(period_facts(region, start, end)["sums"])["mean_hours_to_dispatch"]


@figure("cases.mean_hours_to_resolution", label="平均办结时长(小时)", unit="hours")
def mean_hours_to_resolution(region: Region, start: dt.date, end: dt.date) -> float | None:
    """Mean hours from submission to first resolution, over requests submitted in the period and resolved."""
    return means(period_facts(region, start, end)["sums"])["mean_hours_to_resolution"]


def overdue_qs(region: Region, end: dt.date) -> QuerySet[ServiceRequest]:
    """Requests still open at the end of the period whose due time had passed."""
    return ServiceRequest.objects.filter(
        region__path__startswith=region.path,
        state__in=list(OPEN_STATES),
        due_at__lt=aware(end),
        created_at__lt=aware(end),
    )


@figure("cases.overdue_open", label="超期未办结诉求数", unit="count")
def overdue_open(region: Region, start: dt.date, end: dt.date) -> int:
    """Requests still open at the period's end whose due time has passed."""
    return overdue_qs(region, end).count()


@figure("cases.bypasses", label="紧急先行处置次数", unit="count")
def bypasses(region: Region, start: dt.date, end: dt.date) -> int:
    """Emergency first actions (紧急先行处置) taken in the period before a request was filed."""
    return Bypass.objects.filter(
        region__path__startswith=region.path, acted_at__gte=aware(start), acted_at__lt=aware(end)
    ).count()


def unfiled_qs(region: Region, end: dt.date) -> QuerySet[Bypass]:
    """Emergency bypasses whose filing window closed before the end of the period unfiled or filed late."""
    return Bypass.objects.filter(region__path__startswith=region.path, filing_due__lt=aware(end)).filter(
        Q(filed_at__isnull=True) | Q(filed_at__gt=F("filing_due"))
    )


@figure("cases.bypasses_unfiled", label="逾期未备案的紧急处置", unit="count")
def bypasses_unfiled(region: Region, start: dt.date, end: dt.date) -> int:
    """Emergency first actions whose after-the-fact filing is overdue at the period's end."""
    return unfiled_qs(region, end).count()


@figure("cases.mediations", label="调解案件数", unit="count")
def mediations(region: Region, start: dt.date, end: dt.date) -> int:
    """Mediation cases opened in the period."""
    return MediationCase.objects.filter(
        region__path__startswith=region.path, opened_at__gte=aware(start), opened_at__lt=aware(end)
    ).count()


@figure("cases.mediation_agreements", label="调解达成协议数", unit="count")
def mediation_agreements(region: Region, start: dt.date, end: dt.date) -> int:
    """Mediation cases opened in the period that ended in an agreement."""
    return MediationCase.objects.filter(
        region__path__startswith=region.path, closed_at__gte=aware(start), closed_at__lt=aware(end), outcome="agreement"
    ).count()


# ------------------------------------------------------------------ push-downs (向基层下派, seeds 001 and 002)

PUSHDOWN_COLUMNS = ("took_effect", "pending", "declined", "refused", "withdrawn", "asked")


def pushdown_qs(region: Region, start: dt.date, end: dt.date) -> QuerySet[PushDown]:
    """Push-downs asked for in [start, end) at places in ``region``'s subtree."""
    return PushDown.objects.filter(
        region__path__startswith=region.path, requested_at__gte=aware(start), requested_at__lt=aware(end)
    )


def pushdown_counts(statuses: Iterable[str]) -> dict[str, int]:
    c = {k: 0 for k in PUSHDOWN_COLUMNS}
    for status in statuses:
        c["asked"] += 1
        if status in (PushDown.Status.CONSENTED, PushDown.Status.APPROVED):
            c["took_effect"] += 1
        else:
            c[status] += 1
    return c


@figure("cases.pushdowns", label="向基层转嫁事项数", unit="count")
def pushdowns(region: Region, start: dt.date, end: dt.date) -> int:
    """Matters pushed down below the unit the responsibility list names, with consent or approval, in the
    period (lower is better)."""
    return (
        pushdown_qs(region, start, end).filter(status__in=[PushDown.Status.CONSENTED, PushDown.Status.APPROVED]).count()
    )


def pushdowns_by_street(region: Region, start: dt.date, end: dt.date) -> list[dict]:
    """Per street in ``region`` (or ``region`` itself when it is a street or below): push-downs asked for in
    the period, by outcome, the street's code and name, the most first."""
    streets = (
        [region.ancestor_at(Region.Level.STREET)]
        if region.level in (Region.Level.STREET, Region.Level.COMMUNITY)
        else list(Region.objects.filter(path__startswith=region.path, level=Region.Level.STREET))
    )
    by_street: dict = defaultdict(list)
    for street_id, status in pushdown_qs(region, start, end).values_list("street_id", "status"):
        by_street[street_id].append(status)
    rows = [
        {"code": s.code, "name": s.name, **pushdown_counts(by_street.get(s.pk, ()))} for s in streets if s is not None
    ]
    return sorted(rows, key=lambda r: (-r["took_effect"], -r["asked"], r["code"]))
