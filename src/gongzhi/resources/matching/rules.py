"""Feasibility: the one reference function (:func:`check_pair`) saying whether a resource may serve a
need, rule by rule, with the reason for each.

Part of :mod:`gongzhi.resources.matching` (pure: no Django).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from .model import DEFAULT_CONFIG, MatchConfig, Need, Resource, distance_m

# ---------------------------------------------------------------------------
# Feasibility: the one reference function
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleCheck:
    rule: str  # kind, capacity, skills, certificates, window, region, distance
    passed: bool
    detail: str


def _fmt_time(v: float) -> str:
    if math.isinf(v):
        return "open"
    return datetime.fromtimestamp(v).isoformat(sep=" ", timespec="minutes")


def check_pair(resource: Resource, need: Need, config: MatchConfig = DEFAULT_CONFIG) -> tuple[RuleCheck, ...]:
    """Check every feasibility rule for ``resource`` serving ``need``; one result per rule.

    This is the reference definition; the vectorised candidate generator is
    tested to agree with it.
    """
    checks = []
    checks.append(
        RuleCheck(
            "kind",
            resource.kind == need.kind,
            f"resource is {resource.kind.value}, need asks for {need.kind.value}",
        )
    )
    checks.append(RuleCheck("capacity", resource.capacity > 0, f"capacity {resource.capacity}"))
    missing = sorted(need.skills - resource.skills)
    checks.append(
        RuleCheck(
            "skills",
            not missing,
            ("has " + ", ".join(sorted(need.skills)))
            if not missing and need.skills
            else ("no skill required" if not missing else "lacks " + ", ".join(missing)),
        )
    )
    cert_parts, cert_ok = [], True
    for fld, minimum in sorted(need.certificates.items()):
        have = resource.certificates.get(fld, 0)
        ok = have >= minimum
        cert_ok &= ok
        cert_parts.append(f"{fld} level {have} {'>=' if ok else '<'} {minimum}")
    checks.append(RuleCheck("certificates", cert_ok, "; ".join(cert_parts) or "no certificate required"))
    rs, re_ = resource.available.bounds
    ns, ne = need.effective_window
    overlap = rs < ne and ns < re_
    checks.append(
        RuleCheck(
            "window",
            overlap,
            f"available {_fmt_time(rs)}–{_fmt_time(re_)}, wanted {_fmt_time(ns)}–{_fmt_time(ne)}"
            + (" (cut at deadline)" if need.deadline is not None else ""),
        )
    )
    if need.region is None or resource.region is None:
        reg_ok, reg_detail = True, "no region restriction"
    elif need.region == resource.region:
        reg_ok, reg_detail = True, f"same region {need.region}"
    elif need.region in resource.shareable_with:
        reg_ok, reg_detail = True, f"region {resource.region} shares with paired region {need.region}"
    else:
        reg_ok, reg_detail = False, f"region {resource.region} does not serve region {need.region}"
    checks.append(RuleCheck("region", reg_ok, reg_detail))
    d = distance_m(resource, need)
    limit = need.max_distance_m if need.max_distance_m is not None else config.max_distance_m
    checks.append(RuleCheck("distance", d <= limit, f"{d:.0f} m (limit {limit:.0f} m)"))
    return tuple(checks)


def feasible(resource: Resource, need: Need, config: MatchConfig = DEFAULT_CONFIG) -> bool:
    return all(c.passed for c in check_pair(resource, need, config))
