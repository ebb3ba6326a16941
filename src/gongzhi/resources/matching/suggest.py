"""Suggestions for one need (a need's page): the cheapest feasible resources with their rule checks.

Part of :mod:`gongzhi.resources.matching` (pure: no Django).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .model import DEFAULT_CONFIG, MatchConfig, Need, Resource, distance_m, unit_cost
from .rules import RuleCheck, check_pair

# ---------------------------------------------------------------------------
# Suggestions for one need (a need's page)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    resource: Resource
    distance_m: float
    unit_cost: int
    available: int
    checks: tuple[RuleCheck, ...]


def suggest(
    need: Need,
    resources: Iterable[Resource],
    config: MatchConfig = DEFAULT_CONFIG,
    *,
    remaining: Mapping[str | int, int] | None = None,
    limit: int = 5,
) -> list[Suggestion]:
    """The cheapest feasible resources for one need, with their rule checks.

    ``remaining`` optionally overrides each resource's free quantity (e.g.
    from :meth:`Plan.remaining`); resources with nothing free are skipped.
    """
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit!r}")
    out = []
    for r in resources:
        free = r.capacity if remaining is None else remaining.get(r.id, r.capacity)
        if free <= 0:
            continue
        checks = check_pair(r, need, config)
        if all(c.passed for c in checks):
            d = distance_m(r, need)
            out.append(Suggestion(r, d, unit_cost(d, r, config), free, checks))
    out.sort(key=lambda s: (s.unit_cost, s.distance_m, str(s.resource.id)))
    return out[:limit]
