"""Results: an :class:`Assignment` with its :class:`Explanation`, and the :class:`Plan` of a run.

Part of :mod:`gongzhi.resources.matching` (pure: no Django).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from .model import DEFAULT_CONFIG, MatchConfig, Need, Priority, Resource
from .rules import RuleCheck, check_pair

# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    """Why this resource serves this need, and at what cost."""

    checks: tuple[RuleCheck, ...]
    distance_m: float
    unit_cost: int
    quantity: int
    rank: int  # 1 = cheapest feasible candidate of the need
    candidates: int  # feasible candidates the solver considered for the need
    note: str = ""
    resource_id: str | int = ""
    owner: str = ""
    conditions: tuple[str, ...] = ()

    @property
    def cost(self) -> int:
        return self.unit_cost * self.quantity

    @property
    def text(self) -> str:
        passed = "; ".join(f"{c.rule}: {c.detail}" for c in self.checks)
        if self.rank == 1:
            why = f"the cheapest of {self.candidates} feasible candidate(s)"
        else:
            why = (
                f"candidate {self.rank} of {self.candidates} by cost; cheaper ones were full "
                "or kept for needs of higher priority or with no alternative"
            )
        s = (
            f"Resource {self.resource_id} of {self.owner}: "
            f"{self.quantity} unit(s) at cost {self.unit_cost} each = {self.cost} "
            f"({self.distance_m:.0f} m); {why}. Rules passed: {passed}."
        )
        if self.conditions:
            s += " Conditions of use: " + "; ".join(self.conditions) + "."
        return s + (f" {self.note}" if self.note else "")


@dataclass(eq=False)
class Assignment:
    """Units of one resource given to one need (treat as read-only)."""

    need: Need
    resource: Resource
    quantity: int
    distance_m: float
    unit_cost: int
    rank: int
    candidates: int
    config: MatchConfig = DEFAULT_CONFIG
    note: str = ""

    @property
    def need_id(self) -> str | int:
        return self.need.id

    @property
    def resource_id(self) -> str | int:
        return self.resource.id

    @property
    def cost(self) -> int:
        return self.unit_cost * self.quantity

    @cached_property
    def explanation(self) -> Explanation:
        return Explanation(
            checks=check_pair(self.resource, self.need, self.config),
            distance_m=self.distance_m,
            unit_cost=self.unit_cost,
            quantity=self.quantity,
            rank=self.rank,
            candidates=self.candidates,
            note=self.note,
            resource_id=self.resource.id,
            owner=self.resource.owner,
            conditions=self.resource.conditions,
        )


@dataclass
class Plan:
    """The outcome of :func:`solve`, :func:`greedy` or :func:`repair`."""

    method: str
    resources: dict[str | int, Resource]
    needs: dict[str | int, Need]
    assignments: list[Assignment]
    config: MatchConfig
    seconds: float = 0.0
    arcs: int = 0
    dropped: frozenset = frozenset()  # resources removed by repairs
    affected: frozenset = frozenset()  # needs re-solved by the last repair
    bumped: dict = field(default_factory=dict)  # need id -> units a repair gave to higher priority

    @cached_property
    def served(self) -> dict[str | int, int]:
        out: dict[str | int, int] = defaultdict(int)
        for a in self.assignments:
            out[a.need_id] += a.quantity
        return dict(out)

    @cached_property
    def used(self) -> dict[str | int, int]:
        out: dict[str | int, int] = defaultdict(int)
        for a in self.assignments:
            out[a.resource_id] += a.quantity
        return dict(out)

    def remaining(self, resource_id: str | int) -> int:
        if resource_id in self.dropped:
            return 0
        return self.resources[resource_id].capacity - self.used.get(resource_id, 0)

    @property
    def shortfalls(self) -> dict[str | int, int]:
        """Needs not fully served: need id -> quantity missing."""
        return {
            nid: n.quantity - self.served.get(nid, 0)
            for nid, n in self.needs.items()
            if self.served.get(nid, 0) < n.quantity
        }

    def _by_priority(self, values: Mapping) -> dict[Priority, int]:
        out = {p: 0 for p in Priority}
        for nid, q in values.items():
            out[self.needs[nid].priority] += q
        return out

    @property
    def served_by_priority(self) -> dict[Priority, int]:
        return self._by_priority(self.served)

    @property
    def demand_by_priority(self) -> dict[Priority, int]:
        return self._by_priority({nid: n.quantity for nid, n in self.needs.items()})

    @property
    def served_total(self) -> int:
        return sum(self.served.values())

    @property
    def total_cost(self) -> int:
        return sum(a.cost for a in self.assignments)

    def for_need(self, need_id: str | int) -> list[Assignment]:
        return [a for a in self.assignments if a.need_id == need_id]

    def for_resource(self, resource_id: str | int) -> list[Assignment]:
        return [a for a in self.assignments if a.resource_id == resource_id]
