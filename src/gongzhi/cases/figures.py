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
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np

from gongzhi.core.models import Region
from gongzhi.org.models import Grid, Unit

from .models import MediationCase, ServiceRequest, State, Transition

LEVELS = ("grid", "community", "street", "district", "department")
EXCLUDED = {State.MERGED, State.CANCELLED, State.NOT_OURS}
RESPONSE_HOURS = {"emergency": 2}
DEFAULT_RESPONSE_HOURS = 24
RESPONSE_ACTIONS = {"start", "resolve", "report"}
RATES = ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate", "return_rate", "reopen_rate",
         "whistle_rate")


def request_facts(requests: dict[int, dict], start: dt.datetime | None, end: dt.datetime | None) -> None:
    """Fold each request's transitions into per-request facts."""
    qs = Transition.objects.filter(request_id__in=list(requests)) if len(requests) < 5000 else \
        Transition.objects.filter(request__in=_request_qs(start, end))
    for rid, action, at, data in qs.order_by("request_id", "at", "id").values_list("request_id", "action", "at",
                                                                                  "data").iterator(chunk_size=5000):
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


def _rate(num: int, den: int) -> dict:
    return {"value": (num / den) if den else None, "num": num, "den": den}


def summarise(facts: list[dict]) -> dict:
    dispatched = [f for f in facts if "dispatched" in f]
    resolved = [f for f in facts if "resolved" in f]
    rated = [f for f in facts if "rating" in f]

    def responded(f):
        limit = dt.timedelta(hours=RESPONSE_HOURS.get(f["sla"], DEFAULT_RESPONSE_HOURS))
        return "responded" in f and f["responded"] - f["dispatched"] <= limit

    def median_hours(rows, key):
        vals = [(f[key] - f["submitted"]).total_seconds() / 3600 for f in rows if "submitted" in f]
        return float(np.median(vals)) if vals else None

    return {
        "requests": len(facts),
        "response_rate": _rate(sum(1 for f in dispatched if responded(f)), len(dispatched)),
        "resolution_rate": _rate(sum(1 for f in rated if f["fixed"]), len(rated)),
        "satisfaction_rate": _rate(sum(1 for f in rated if f["rating"] in ("satisfied", "basically")), len(rated)),
        "on_time_rate": _rate(sum(1 for f in resolved if f["on_time"]), len(resolved)),
        "return_rate": _rate(sum(1 for f in dispatched if f.get("returned")), len(dispatched)),
        "reopen_rate": _rate(sum(1 for f in resolved if f.get("reopened")), len(resolved)),
        "whistle_rate": _rate(sum(1 for f in facts if f.get("whistled")), len(facts)),
        "median_hours_to_dispatch": median_hours(dispatched, "dispatched"),
        "median_hours_to_resolution": median_hours(resolved, "resolved"),
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


def compute(level: str, *, start: dt.datetime | None = None, end: dt.datetime | None = None,
            within: Region | None = None) -> list[dict]:
    """The figures per ``level`` (grid, community, street, district or department), best-known names first."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    qs = _request_qs(start, end)
    if within is not None:
        qs = qs.filter(region__path__startswith=within.path)
    requests = {pk: {"key": _key(level, path, g, u), "sla": s}
                for pk, path, g, u, s in qs.values_list("pk", "region__path", "grid_id", "handling_unit_id", "sla")}
    request_facts(requests, start, end)
    groups: dict = defaultdict(list)
    for f in requests.values():
        if f["key"] is not None:
            groups[f["key"]].append(f)
    names = _names(level, list(groups))
    rows = []
    for key, facts in groups.items():
        row = {"key": names.get(key, (str(key), ""))[0],
               "name": names.get(key, (str(key), str(key)))[1], **summarise(facts)}
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
    requests = {pk: {"key": 0, "sla": s} for pk, s in qs.values_list("pk", "sla")}
    request_facts(requests, start, end)
    return summarise(list(requests.values()))


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
