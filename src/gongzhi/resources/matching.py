"""Matching engine of the common pool (公共池塘): resources matched to needs.

A pure module (no Django): plain frozen dataclasses in, a :class:`Plan` out.

Model (see ``docs/matching.md`` for the full write-up and the proof):

* nodes: a source ``S``, one node per resource, one node per need;
* ``S -> resource``: capacity = the resource's remaining quantity, cost 0;
* ``resource -> need``: only for feasible pairs (:func:`check_pair`), capacity
  = the need's quantity, cost per unit = ``ceil(distance / metres_per_cost_unit)
  + resource.use_cost``;
* ``S -> need`` "shortage" arc: capacity = the need's quantity, cost per unit =
  a penalty ``P(class)`` with ``P(emergency) > P(basic) > P(development)``, the
  gaps larger than the cost of any cycle of real arcs;
* supplies: ``S`` supplies the total demand, every need demands its quantity.

OR-Tools' ``SimpleMinCostFlow`` (one network per connected component) then
returns a plan that serves the emergency class as much as possible, then basic
livelihood, then development, and among those plans has the least distance
cost.  Hence an emergency need is never left short while a resource able to
serve it gives units to a basic or a development need.

By default (``MatchConfig.k_nearest=None``) the network has an arc for
*every* feasible pair, so the plan is exactly lexicographically optimal.
Feasible pairs are found with ``scipy.spatial.cKDTree`` indexes (per kind,
region served and optionally one required skill or certificate level): a
fixed-radius search around each need (its maximum distance), then the
feasibility rules applied with NumPy.

``k_nearest=k`` is an opt-in *approximate* mode kept for comparison: each need
gets only its ``k`` nearest feasible resources (needs left short because
their candidates are full get more in refinement rounds).  It is optimal
within those arcs only; on scarce instances it can serve fewer units of a
higher class than the exact plan (see ``docs/matching.md``).

:func:`repair` re-solves only the needs a dropped resource leaves short;
:func:`greedy` is the baseline the benchmark compares with.

Distances are planar Euclidean distances in metres between ``(x, y)``
coordinates of a local projection.  :func:`lonlat_to_xy` gives such
coordinates from longitude/latitude (equirectangular projection about a
reference point; the error is below 0.1 % within 50 km of it, ample for a
district).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, IntEnum
from functools import cached_property

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

__all__ = [
    "Assignment",
    "Explanation",
    "Kind",
    "MatchConfig",
    "Need",
    "Plan",
    "Priority",
    "Resource",
    "RuleCheck",
    "Suggestion",
    "Window",
    "check_pair",
    "distance_m",
    "feasible",
    "greedy",
    "lonlat_to_xy",
    "repair",
    "solve",
    "suggest",
    "unit_cost",
]

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean Earth radius


# ---------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------


class Priority(IntEnum):
    """Priority class of a need; a lower value is served first."""

    EMERGENCY = 0
    BASIC = 1  # basic livelihood (基本民生)
    DEVELOPMENT = 2

    @classmethod
    def parse(cls, value: object, *, what: str = "priority") -> Priority:
        """Accept a :class:`Priority`, its name (any case) or its integer value."""
        if isinstance(value, Priority):
            return value
        if isinstance(value, str):
            key = value.strip().upper().replace("-", "_").replace(" ", "_")
            aliases = {"BASIC_LIVELIHOOD": "BASIC", "LIVELIHOOD": "BASIC"}
            key = aliases.get(key, key)
            if key in cls.__members__:
                return cls[key]
        elif isinstance(value, int) and not isinstance(value, bool):
            try:
                return cls(value)
            except ValueError:
                pass
        allowed = ", ".join(p.name.lower() for p in cls)
        raise ValueError(f"{what}: unknown priority {value!r}; use one of {allowed} (or 0, 1, 2)")


class Kind(str, Enum):
    """Kind of a pooled resource (and of what a need asks for)."""

    PERSON = "person"  # people with skills; quantity = tasks or hours they offer
    FUNDS = "funds"  # quantity in yuan
    MATERIAL = "material"  # quantity in the material's unit
    VENUE = "venue"  # quantity = bookable slots
    VEHICLE = "vehicle"  # quantity = trips
    INFORMATION = "information"  # quantity = uses

    @classmethod
    def parse(cls, value: object, *, what: str = "kind") -> Kind:
        if isinstance(value, Kind):
            return value
        if isinstance(value, str):
            try:
                return cls(value.strip().lower())
            except ValueError:
                pass
        allowed = ", ".join(k.value for k in cls)
        raise ValueError(f"{what}: unknown kind {value!r}; use one of {allowed}")


def _timestamp(value: datetime | float | int | None, *, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise ValueError(f"{what}: expected a datetime, a finite number of seconds or None, got {value!r}")


@dataclass(frozen=True)
class Window:
    """A half-open time window ``[start, end)``; ``None`` leaves that side open.

    Bounds are datetimes (all naive or all aware, as elsewhere in the caller)
    or numbers of seconds.
    """

    start: datetime | float | None = None
    end: datetime | float | None = None
    bounds: tuple[float, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        s = _timestamp(self.start, what="window start")
        e = _timestamp(self.end, what="window end")
        if s is not None and e is not None and s >= e:
            raise ValueError(f"window: start {self.start!r} must be before end {self.end!r}")
        # as seconds, open sides infinite
        object.__setattr__(self, "bounds", (-math.inf if s is None else s, math.inf if e is None else e))


ALWAYS = Window()


def _check_id(value: object, what: str) -> None:
    if not isinstance(value, (str, int)) or isinstance(value, bool) or value == "":
        raise ValueError(f"{what}: id must be a non-empty string or an integer, got {value!r}")


def _check_coord(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what}: must be a finite number of metres, got {value!r}")
    return float(value)


def _check_levels(levels: Mapping[str, int], what: str) -> dict[str, int]:
    if not isinstance(levels, Mapping):
        raise ValueError(f"{what}: expected a mapping of field -> level, got {levels!r}")
    out = {}
    for key, level in levels.items():
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"{what}: certificate field must be a non-empty string, got {key!r}")
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            raise ValueError(f"{what}: level for {key!r} must be an integer >= 1, got {level!r}")
        out[key] = level
    return out


def _check_skills(skills: Iterable[str], what: str) -> frozenset[str]:
    if isinstance(skills, str):
        raise ValueError(f"{what}: give skills as a set of strings, not one string {skills!r}")
    out = frozenset(skills)
    for s in out:
        if not isinstance(s, str) or not s.strip():
            raise ValueError(f"{what}: each skill must be a non-empty string, got {s!r}")
    return out


@dataclass(frozen=True)
class Resource:
    """A resource offered to the pool; the owner keeps ownership, the pool gets use rights.

    ``capacity`` is the quantity the pool may allocate (tasks, yuan, units,
    slots, trips).  ``certificates`` maps a professional field (law, medicine,
    psychology, social work, ...) to the level of a *valid* certificate: the
    caller leaves out expired ones.  ``region`` is the grid/region key;
    ``shareable_with`` lists further regions the resource may serve (urban–rural
    pairing: a street shares with its paired township).  ``region=None`` means
    district-wide.  ``use_cost`` is an extra integer cost per unit (conditions
    of use that make the resource less attractive); ``conditions`` is free text
    shown in explanations.
    """

    id: str | int
    owner: str
    kind: Kind | str
    capacity: int
    x: float
    y: float
    skills: frozenset[str] = frozenset()
    certificates: Mapping[str, int] = field(default_factory=dict)
    available: Window = ALWAYS
    region: str | None = None
    shareable_with: frozenset[str] = frozenset()
    use_cost: int = 0
    conditions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_id(self.id, "resource")
        what = f"resource {self.id!r}"
        object.__setattr__(self, "kind", Kind.parse(self.kind, what=what))
        if isinstance(self.capacity, bool) or not isinstance(self.capacity, int) or self.capacity < 0:
            raise ValueError(f"{what}: capacity must be an integer >= 0, got {self.capacity!r}")
        object.__setattr__(self, "x", _check_coord(self.x, f"{what}: x"))
        object.__setattr__(self, "y", _check_coord(self.y, f"{what}: y"))
        object.__setattr__(self, "skills", _check_skills(self.skills, what))
        object.__setattr__(self, "certificates", _check_levels(self.certificates, what))
        if not isinstance(self.available, Window):
            raise ValueError(f"{what}: available must be a Window, got {self.available!r}")
        if isinstance(self.shareable_with, str):
            raise ValueError(f"{what}: shareable_with must be a set of region keys, not one string")
        object.__setattr__(self, "shareable_with", frozenset(self.shareable_with))
        if isinstance(self.use_cost, bool) or not isinstance(self.use_cost, int) or self.use_cost < 0:
            raise ValueError(f"{what}: use_cost must be an integer >= 0, got {self.use_cost!r}")
        object.__setattr__(self, "conditions", tuple(self.conditions))

    def __hash__(self) -> int:
        return hash(("resource", self.id))


@dataclass(frozen=True)
class Need:
    """A need for a quantity of one kind of resource.

    ``certificates`` maps a field to the minimum level required (all must be
    met), ``skills`` lists skills all required.  ``window`` is when the service
    is wanted; ``deadline`` (optional) cuts it short.  ``max_distance_m``
    overrides :attr:`MatchConfig.max_distance_m`.  ``source`` says where the
    need came from (request, alliance, emergency, direct).
    """

    id: str | int
    kind: Kind | str
    quantity: int
    priority: Priority | str | int
    x: float
    y: float
    skills: frozenset[str] = frozenset()
    certificates: Mapping[str, int] = field(default_factory=dict)
    window: Window = ALWAYS
    deadline: datetime | float | None = None
    region: str | None = None
    max_distance_m: float | None = None
    source: str = "direct"
    effective_window: tuple[float, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_id(self.id, "need")
        what = f"need {self.id!r}"
        object.__setattr__(self, "kind", Kind.parse(self.kind, what=what))
        object.__setattr__(self, "priority", Priority.parse(self.priority, what=what))
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int) or self.quantity <= 0:
            raise ValueError(f"{what}: quantity must be a positive integer, got {self.quantity!r}")
        object.__setattr__(self, "x", _check_coord(self.x, f"{what}: x"))
        object.__setattr__(self, "y", _check_coord(self.y, f"{what}: y"))
        object.__setattr__(self, "skills", _check_skills(self.skills, what))
        object.__setattr__(self, "certificates", _check_levels(self.certificates, what))
        if not isinstance(self.window, Window):
            raise ValueError(f"{what}: window must be a Window, got {self.window!r}")
        d = _timestamp(self.deadline, what=f"{what}: deadline")
        if d is not None and d <= self.window.bounds[0]:
            raise ValueError(f"{what}: deadline {self.deadline!r} is not after the window start {self.window.start!r}")
        s, e = self.window.bounds
        # the wanted window cut at the deadline, as seconds
        object.__setattr__(self, "effective_window", (s, e if d is None else min(e, d)))
        if self.max_distance_m is not None:
            md = self.max_distance_m
            if isinstance(md, bool) or not isinstance(md, (int, float)) or not md > 0:
                raise ValueError(f"{what}: max_distance_m must be a positive number of metres, got {md!r}")


    def __hash__(self) -> int:
        return hash(("need", self.id))


@dataclass(frozen=True)
class MatchConfig:
    """Tunables of the matcher.

    ``k_nearest``: ``None`` (the default) gives the solver every feasible
    pair, and the plan is exactly lexicographically optimal (emergency, then
    basic livelihood, then development, then least cost).  An integer limits
    each need to its ``k`` nearest feasible resources: an approximate mode,
    optimal only within those candidates (it can under-serve a higher class
    when capacity is scarce), kept for benchmarks.  ``refine_rounds``:
    widening rounds of that mode for needs left short because their
    candidates are full.
    """

    max_distance_m: float = 5_000.0
    metres_per_cost_unit: float = 10.0
    k_nearest: int | None = None
    refine_rounds: int = 2

    def __post_init__(self) -> None:
        if not self.max_distance_m > 0:
            raise ValueError(f"max_distance_m must be > 0, got {self.max_distance_m!r}")
        if not self.metres_per_cost_unit > 0:
            raise ValueError(f"metres_per_cost_unit must be > 0, got {self.metres_per_cost_unit!r}")
        if self.k_nearest is not None and (not isinstance(self.k_nearest, int) or self.k_nearest < 1):
            raise ValueError(f"k_nearest must be a positive integer or None, got {self.k_nearest!r}")
        if not isinstance(self.refine_rounds, int) or self.refine_rounds < 0:
            raise ValueError(f"refine_rounds must be an integer >= 0, got {self.refine_rounds!r}")


DEFAULT_CONFIG = MatchConfig()


def lonlat_to_xy(lon: float, lat: float, *, lon0: float, lat0: float) -> tuple[float, float]:
    """Project longitude/latitude (degrees) to local metres about ``(lon0, lat0)``.

    Equirectangular: ``x = R·Δλ·cos φ0``, ``y = R·Δφ``, with ``R`` the mean
    Earth radius.  Within 50 km of the reference point the distance error is
    below 0.1 %.
    """
    for name, v, lim in (("lon", lon, 180), ("lat", lat, 90), ("lon0", lon0, 180), ("lat0", lat0, 90)):
        if not isinstance(v, (int, float)) or not math.isfinite(v) or abs(v) > lim:
            raise ValueError(f"{name} must be a number of degrees within ±{lim}, got {v!r}")
    x = EARTH_RADIUS_M * math.radians(lon - lon0) * math.cos(math.radians(lat0))
    y = EARTH_RADIUS_M * math.radians(lat - lat0)
    return x, y


def distance_m(resource: Resource, need: Need) -> float:
    """Planar Euclidean distance in metres (same float operations as the vectorised path)."""
    dx, dy = resource.x - need.x, resource.y - need.y
    return math.sqrt(dx * dx + dy * dy)


def unit_cost(distance: float, resource: Resource, config: MatchConfig = DEFAULT_CONFIG) -> int:
    """Integer cost per unit moved: distance in cost units (rounded up) plus the resource's use cost."""
    return math.ceil(distance / config.metres_per_cost_unit) + resource.use_cost


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
            ("has " + ", ".join(sorted(need.skills))) if not missing and need.skills
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


# ---------------------------------------------------------------------------
# Problem encoding and sparse candidate generation
# ---------------------------------------------------------------------------


def _unique_by_id(items, what: str) -> dict:
    out = {}
    for it in items:
        if it.id in out:
            raise ValueError(f"duplicate {what} id {it.id!r}; ids must be unique")
        out[it.id] = it
    return out


class _Encoded:
    """Resources and needs as NumPy arrays for vectorised feasibility."""

    def __init__(self, resources: list[Resource], needs: list[Need], config: MatchConfig):
        self.resources, self.needs, self.config = resources, needs, config
        nr, nn = len(resources), len(needs)
        kinds = list(Kind)
        self.r_kind = np.fromiter((kinds.index(r.kind) for r in resources), np.int8, nr)
        self.n_kind = np.fromiter((kinds.index(n.kind) for n in needs), np.int8, nn)
        self.r_xy = np.array([(r.x, r.y) for r in resources], dtype=float).reshape(nr, 2)
        self.n_xy = np.array([(n.x, n.y) for n in needs], dtype=float).reshape(nn, 2)
        self.r_cap = np.fromiter((r.capacity for r in resources), np.int64, nr)
        self.r_use = np.fromiter((r.use_cost for r in resources), np.int64, nr)
        self.n_qty = np.fromiter((n.quantity for n in needs), np.int64, nn)
        self.n_prio = np.fromiter((int(n.priority) for n in needs), np.int8, nn)
        self.n_maxd = np.fromiter(
            (config.max_distance_m if n.max_distance_m is None else n.max_distance_m for n in needs), float, nn
        )
        # skills as bit sets over the vocabulary of required skills
        vocab = sorted({s for n in needs for s in n.skills})
        sidx = {s: i for i, s in enumerate(vocab)}
        words = max(1, -(-len(vocab) // 64))
        self.r_bits = np.zeros((nr, words), np.uint64)
        self.n_bits = np.zeros((nn, words), np.uint64)
        for arr, items in ((self.r_bits, resources), (self.n_bits, needs)):
            for i, it in enumerate(items):
                for s in it.skills:
                    j = sidx.get(s)
                    if j is not None:
                        arr[i, j // 64] |= np.uint64(1 << (j % 64))
        # certificate levels over the fields some need asks for
        fields_ = sorted({f for n in needs for f in n.certificates})
        fidx = {f: i for i, f in enumerate(fields_)}
        self.r_lvl = np.zeros((nr, max(1, len(fields_))), np.int32)
        self.n_lvl = np.zeros((nn, max(1, len(fields_))), np.int32)
        for arr, items in ((self.r_lvl, resources), (self.n_lvl, needs)):
            for i, it in enumerate(items):
                for f, lvl in it.certificates.items():
                    j = fidx.get(f)
                    if j is not None:
                        arr[i, j] = lvl
        self.r_win = np.array([r.available.bounds for r in resources], float).reshape(nr, 2)
        self.n_win = np.array([n.effective_window for n in needs], float).reshape(nn, 2)
        # regions: -1 = unrestricted; allowed (resource, region) pairs as sorted int64 keys
        regions = sorted(
            {n.region for n in needs if n.region is not None}
            | {r.region for r in resources if r.region is not None}
            | {g for r in resources for g in r.shareable_with}
        )
        gidx = {g: i for i, g in enumerate(regions)}
        self.n_regions = len(regions) + 1
        self.r_reg = np.fromiter((-1 if r.region is None else gidx[r.region] for r in resources), np.int64, nr)
        self.n_reg = np.fromiter((-1 if n.region is None else gidx[n.region] for n in needs), np.int64, nn)
        keys = []
        for i, r in enumerate(resources):
            if r.region is not None:
                keys.append(i * self.n_regions + gidx[r.region])
                keys.extend(i * self.n_regions + gidx[g] for g in r.shareable_with)
        self.region_keys = np.unique(np.array(keys, np.int64))
        # the same as a dense (resource, region) table when that is small enough
        self.r_serves = None
        if nr * self.n_regions <= 20_000_000:
            self.r_serves = np.zeros((nr, self.n_regions), bool)
            self.r_serves[self.region_keys // self.n_regions, self.region_keys % self.n_regions] = True
        # per need: the requirement features usable to pre-select resources
        self.n_feats = [
            [("s", sidx[x]) for x in n.skills] + [("c", fidx[f], lvl) for f, lvl in n.certificates.items()]
            for n in needs
        ]
        self.set_capacity(self.r_cap)

    def set_capacity(self, cap: np.ndarray) -> None:
        """Replace remaining capacities; spatial indexes are rebuilt lazily."""
        self.r_cap = np.asarray(cap, np.int64)
        self._index: dict[tuple, tuple[cKDTree | None, np.ndarray]] = {}
        self._member_cache: dict[tuple, np.ndarray] = {}

    def _members(self, key: tuple) -> np.ndarray:
        """Resource rows of one index key (kind, region served or -1, feature or None)."""
        hit = self._member_cache.get(key)
        if hit is not None:
            return hit
        kind, g, feat = key
        m = (self.r_kind == kind) & (self.r_cap > 0)
        if g >= 0:
            if self.r_serves is not None:
                serves = self.r_serves[:, g].copy()
            else:
                serves = np.zeros(len(m), bool)
                keys = self.region_keys[self.region_keys % self.n_regions == g]
                serves[keys // self.n_regions] = True
            m &= serves | (self.r_reg < 0)
        if feat is not None:
            if feat[0] == "s":
                j = feat[1]
                m &= (self.r_bits[:, j // 64] & np.uint64(1 << (j % 64))) != 0
            else:
                m &= self.r_lvl[:, feat[1]] >= feat[2]
        self._member_cache[key] = hit = np.flatnonzero(m)
        return hit

    def _tree(self, key: tuple) -> tuple[cKDTree | None, np.ndarray]:
        hit = self._index.get(key)
        if hit is None:
            members = self._members(key)
            hit = (cKDTree(self.r_xy[members]) if len(members) else None, members)
            self._index[key] = hit
        return hit

    def mask(self, ni: np.ndarray, ri: np.ndarray, dist: np.ndarray) -> np.ndarray:
        """Vectorised :func:`check_pair` for pairs ``(ni[j], ri[j])`` at distance ``dist[j]``."""
        ok = (self.r_kind[ri] == self.n_kind[ni]) & (self.r_cap[ri] > 0)
        ok &= dist <= self.n_maxd[ni]
        nb = self.n_bits[ni]
        ok &= np.all((self.r_bits[ri] & nb) == nb, axis=-1)
        ok &= np.all(self.r_lvl[ri] >= self.n_lvl[ni], axis=-1)
        ok &= (self.r_win[ri, 0] < self.n_win[ni, 1]) & (self.n_win[ni, 0] < self.r_win[ri, 1])
        nreg, rreg = self.n_reg[ni], self.r_reg[ri]
        open_ = (nreg < 0) | (rreg < 0)
        if self.r_serves is not None:
            listed = self.r_serves[ri, np.maximum(nreg, 0)]
        elif len(self.region_keys):
            keys = ri.astype(np.int64) * self.n_regions + nreg
            pos = np.searchsorted(self.region_keys, keys)
            pos = np.minimum(pos, len(self.region_keys) - 1)
            listed = self.region_keys[pos] == keys
        else:
            listed = np.zeros(len(ni), bool)
        ok &= open_ | listed
        return ok

    def candidates(self, need_rows: np.ndarray, k: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ``k`` nearest feasible resources of each need in ``need_rows`` (all if ``k`` is None).

        Returns arrays (need row, resource row, distance).
        """
        out_n, out_r, out_d = [], [], []
        # each need searches the smallest index among those its requirements allow:
        # (kind, region), or (kind, region, one required skill / certificate level)
        groups: dict[tuple, list[int]] = defaultdict(list)
        chosen: dict[tuple, tuple] = {}
        kinds, regs = self.n_kind.tolist(), self.n_reg.tolist()
        for row in need_rows.tolist():
            sig = (kinds[row], regs[row], *self.n_feats[row])
            key = chosen.get(sig)
            if key is None:
                base = sig[:2]
                keys = [(*base, None)] + [(*base, f) for f in sig[2:]]
                key = chosen[sig] = min(keys, key=lambda key: len(self._members(key)))
            groups[key].append(row)
        for key, group in groups.items():
            tree, members = self._tree(key)
            if tree is None:
                continue
            rows = np.array(group, np.int64)
            if k is None:
                for part in self._all_within(rows, tree, members):
                    for out, arr in zip((out_n, out_r, out_d), part):
                        out.append(arr)
                continue
            total = len(members)
            want = min(k, total)
            q = min(total, max(want, 1) * 4)
            while len(rows):
                bound = float(self.n_maxd[rows].max()) * (1 + 1e-9) + 1e-6
                kd_dist, loc = tree.query(self.n_xy[rows], k=q, distance_upper_bound=bound)
                kd_dist = kd_dist.reshape(len(rows), q)
                loc = loc.reshape(len(rows), q)
                valid = loc < total
                ri = members[np.where(valid, loc, 0)]
                ni = np.broadcast_to(rows[:, None], ri.shape)
                delta = self.r_xy[ri] - self.n_xy[ni]
                dx, dy = delta[..., 0], delta[..., 1]
                dist = np.sqrt(dx * dx + dy * dy)  # exactly as distance_m()
                ok = valid & self.mask(ni.ravel(), ri.ravel(), dist.ravel()).reshape(ri.shape)
                keep = ok & (np.cumsum(ok, axis=1) <= want)
                found = keep.sum(axis=1)
                # a row is complete when it has enough, or the query reached past its range / all members
                exhausted = (q >= total) | ~valid[:, -1] | (kd_dist[:, -1] > self.n_maxd[rows])
                done = (found >= want) | exhausted
                out_n.append(ni[keep & done[:, None]])
                out_r.append(ri[keep & done[:, None]])
                out_d.append(dist[keep & done[:, None]])
                rows = rows[~done]
                q = min(total, q * 4)
        if not out_n:
            e = np.zeros(0, np.int64)
            return e, e, np.zeros(0)
        return np.concatenate(out_n), np.concatenate(out_r), np.concatenate(out_d)

    def _all_within(self, rows: np.ndarray, tree: cKDTree, members: np.ndarray):
        """Every feasible resource of ``members`` within each need's maximum distance.

        One fixed-radius search per distinct maximum distance among ``rows``
        (a tree over those needs against the resources' tree); yields arrays
        (need row, resource row, distance) of the feasible pairs.
        """
        maxd = self.n_maxd[rows]
        for bound in np.unique(maxd).tolist():
            sub = rows[maxd == bound]
            hits = cKDTree(self.n_xy[sub]).sparse_distance_matrix(
                tree, bound * (1 + 1e-9) + 1e-6, output_type="ndarray"
            )
            ni = sub[hits["i"]]
            ri = members[hits["j"]]
            delta = self.r_xy[ri] - self.n_xy[ni]
            dx, dy = delta[:, 0], delta[:, 1]
            dist = np.sqrt(dx * dx + dy * dy)  # exactly as distance_m()
            ok = self.mask(ni, ri, dist)
            yield ni[ok], ri[ok], dist[ok]


def _exact_costs(enc: _Encoded, ri: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Integer unit costs, bit-identical with :func:`unit_cost`."""
    base = np.ceil(dist / enc.config.metres_per_cost_unit)
    return base.astype(np.int64) + enc.r_use[ri]


# ---------------------------------------------------------------------------
# Min-cost flow core
# ---------------------------------------------------------------------------


def _flow(
    cap: np.ndarray,
    demand: np.ndarray,
    prio: np.ndarray,
    arc_n: np.ndarray,
    arc_r: np.ndarray,
    arc_cost: np.ndarray,
    cap_class: np.ndarray | None = None,
) -> np.ndarray:
    """Lexicographic min-cost flow; returns the flow on each candidate arc.

    ``cap``: remaining capacity per resource row, ``demand``/``prio`` per need
    row, arcs as (need row, resource row, unit cost).  ``cap_class`` (repair
    only) marks resource rows whose capacity is held by needs of that priority
    class (-1: free capacity); using it costs that class's shortage penalty.

    The candidate graph falls apart by kind and region into independent
    connected components (found with SciPy); each is solved on its own, which
    is the same optimum and several times faster than one big network.
    """
    flows = np.zeros(len(arc_n), np.int64)
    if len(arc_n) == 0:
        return flows
    nr, nn = len(cap), len(demand)
    if cap_class is None:
        cap_class = np.full(nr, -1, np.int64)
    graph = coo_matrix((np.ones(len(arc_n), np.int8), (arc_n, nn + arc_r)), shape=(nn + nr, nn + nr))
    _, label = connected_components(graph, directed=False)
    # per node: its position among the needs (resources) of its component
    by_n = np.argsort(label[:nn], kind="stable")
    by_r = np.argsort(label[nn:], kind="stable")
    n_start = np.searchsorted(label[:nn][by_n], label[:nn][by_n])  # first row of its component
    r_start = np.searchsorted(label[nn:][by_r], label[nn:][by_r])
    n_local = np.empty(nn, np.int64)
    n_local[by_n] = np.arange(nn) - n_start
    r_local = np.empty(nr, np.int64)
    r_local[by_r] = np.arange(nr) - r_start
    comp = label[arc_n]
    order = np.argsort(comp, kind="stable")
    for idx in np.split(order, np.flatnonzero(np.diff(comp[order])) + 1):
        c = comp[idx[0]]
        lo, hi = np.searchsorted(label[:nn][by_n], [c, c + 1])
        needs_u = by_n[lo:hi]
        lo, hi = np.searchsorted(label[nn:][by_r], [c, c + 1])
        res_u = by_r[lo:hi]
        flows[idx] = _flow_component(
            cap[res_u], demand[needs_u], prio[needs_u], n_local[arc_n[idx]], r_local[arc_r[idx]], arc_cost[idx],
            cap_class[res_u],
        )
    return flows


def _flow_component(
    cap: np.ndarray,
    demand: np.ndarray,
    prio: np.ndarray,
    arc_n: np.ndarray,
    arc_r: np.ndarray,
    arc_cost: np.ndarray,
    cap_class: np.ndarray,
) -> np.ndarray:
    """One min-cost flow network (see the module docstring)."""
    nr, nn = len(cap), len(demand)
    if len(arc_n) == 0 or demand.sum() == 0:
        return np.zeros(len(arc_n), np.int64)
    n_nodes = 1 + nr + nn
    # The penalty gap between classes must exceed the cost of the real arcs of any
    # simple cycle.  Such a cycle enters each need at most once through a forward
    # resource -> need arc (backward arcs only subtract), so the sum over needs of
    # their dearest incoming arc is a bound.  (Proof in docs/matching.md.)
    dearest = np.zeros(nn, np.int64)
    np.maximum.at(dearest, arc_n, arc_cost)
    step = int(dearest.sum()) + 1
    penalty = (3 - prio.astype(np.int64)) * step
    if int(penalty.max()) * n_nodes >= 2**62 or int(penalty.max()) * int(demand.sum()) >= 2**62:
        raise ValueError("problem too large for 64-bit costs; lower the distance cost resolution")
    smcf = min_cost_flow.SimpleMinCostFlow()
    src = 0
    r_nodes = 1 + np.arange(nr, dtype=np.int64)
    n_nodes_ = 1 + nr + np.arange(nn, dtype=np.int64)
    tails = np.concatenate([np.zeros(nr, np.int64), r_nodes[arc_r], np.zeros(nn, np.int64)])
    heads = np.concatenate([r_nodes, n_nodes_[arc_n], n_nodes_])
    caps = np.concatenate([cap, np.minimum(demand[arc_n], cap[arc_r]), demand]).astype(np.int64)
    held = np.where(cap_class >= 0, (3 - cap_class) * step, 0)
    costs = np.concatenate([held, arc_cost, penalty]).astype(np.int64)
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(n_nodes, np.int64)
    supplies[src] = int(demand.sum())
    supplies[n_nodes_] = -demand
    smcf.set_nodes_supplies(np.arange(n_nodes, dtype=np.int64), supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    first = nr
    return np.asarray(smcf.flows(np.arange(first, first + len(arc_n), dtype=np.int64)), np.int64)


def _ranks(arc_n: np.ndarray, arc_c: np.ndarray, arc_d: np.ndarray, sel: np.ndarray) -> np.ndarray:
    """For arcs ``sel``: 1 + the number of arcs into the same need that are cheaper (by cost, then distance).

    Sorts one integer key (need, cost) instead of every arc by three keys; the
    distance only breaks ties between arcs of equal need and cost, and only
    the arcs of such tied (need, cost) pairs are sorted by it.
    """
    if not len(sel):
        return np.zeros(0, np.int64)
    width = int(arc_c.max()) + 1
    key = arc_n.astype(np.int64) * width + arc_c
    by_key = np.argsort(key)
    skey = key[by_key]
    ku = key[sel]
    lo = np.searchsorted(skey, ku, "left")
    hi = np.searchsorted(skey, ku, "right")
    first = np.searchsorted(skey, arc_n[sel].astype(np.int64) * width, "left")
    rank = lo - first + 1
    tied = np.flatnonzero(hi - lo > 1)
    if len(tied):
        # every arc sharing (need, cost) with a tied one: the sorted ranges [lo, hi) of the tied arcs
        cover = np.bincount(lo[tied], minlength=len(skey) + 1) - np.bincount(hi[tied], minlength=len(skey) + 1)
        sub = np.sort(by_key[np.flatnonzero(np.cumsum(cover[:-1]) > 0)])
        order = np.lexsort((arc_d[sub], key[sub]))
        sk, sd = key[sub][order], arc_d[sub][order]
        at = np.arange(len(order))
        new_key = np.r_[True, sk[1:] != sk[:-1]]
        new_run = new_key | np.r_[True, sd[1:] != sd[:-1]]
        # arcs of the same need and cost that are strictly nearer
        nearer = np.maximum.accumulate(np.where(new_run, at, 0)) - np.maximum.accumulate(np.where(new_key, at, 0))
        pos = np.empty(len(order), np.int64)
        pos[order] = at
        rank[tied] += nearer[pos[np.searchsorted(sub, sel[tied])]]
    return rank


def _assignments(
    enc: _Encoded, arc_n, arc_r, arc_d, arc_c, flows, note: str = ""
) -> list[Assignment]:
    used = np.flatnonzero(flows > 0)
    # rank of each used arc among its need's candidates by (cost, distance)
    rank = _ranks(arc_n, arc_c, arc_d, used)
    count = np.bincount(arc_n, minlength=len(enc.needs))
    cols = (arc_n[used], arc_r[used], flows[used], arc_d[used], arc_c[used], rank, count[arc_n[used]])
    needs, resources, cfg = enc.needs, enc.resources, enc.config
    return [
        Assignment(needs[ni], resources[ri], q, d, c, rk, cnt, cfg, note)
        for ni, ri, q, d, c, rk, cnt in zip(*(c.tolist() for c in cols))
    ]


def _solve_rows(
    enc: _Encoded,
    cap: np.ndarray,
    demand: np.ndarray,
    rows: np.ndarray,
    *,
    k: int | None,
    cap_class: np.ndarray | None = None,
    allow=None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Generate candidates for need ``rows`` (with refinement) and solve; returns arcs and flows.

    ``allow(arc_n, arc_r)`` (optional) filters candidate arcs.
    """
    cfg = enc.config

    def gen(need_rows, kk):
        an, ar, ad = enc.candidates(need_rows, kk)
        if allow is not None:
            ok = allow(an, ar)
            an, ar, ad = an[ok], ar[ok], ad[ok]
        return an, ar, ad

    arc_n, arc_r, arc_d = gen(rows, k)
    for round_ in range(cfg.refine_rounds + 1):
        arc_c = _exact_costs(enc, arc_r, arc_d)
        flows = _flow(cap, demand, enc.n_prio, arc_n, arc_r, arc_c, cap_class)
        if k is None:
            break
        served = np.bincount(arc_n, weights=flows, minlength=len(demand)).astype(np.int64)
        ncand = np.bincount(arc_n, minlength=len(demand))
        short = rows[(served[rows] < demand[rows]) & (ncand[rows] >= k)]
        if not len(short) or round_ == cfg.refine_rounds:
            break
        k *= 4
        more_n, more_r, more_d = gen(short, k)
        key_old = arc_n.astype(np.int64) * len(enc.resources) + arc_r
        key_new = more_n.astype(np.int64) * len(enc.resources) + more_r
        fresh = ~np.isin(key_new, key_old)
        if not fresh.any():
            break
        arc_n = np.concatenate([arc_n, more_n[fresh]])
        arc_r = np.concatenate([arc_r, more_r[fresh]])
        arc_d = np.concatenate([arc_d, more_d[fresh]])
    return arc_n, arc_r, arc_d, arc_c, flows


def solve(
    resources: Iterable[Resource], needs: Iterable[Need], config: MatchConfig = DEFAULT_CONFIG
) -> Plan:
    """Match needs to resources: serve emergencies first, then livelihood, then development, at least cost."""
    t0 = time.perf_counter()
    res_map = _unique_by_id(resources, "resource")
    need_map = _unique_by_id(needs, "need")
    enc = _Encoded(list(res_map.values()), list(need_map.values()), config)
    rows = np.arange(len(enc.needs), dtype=np.int64)
    arc_n, arc_r, arc_d, arc_c, flows = _solve_rows(
        enc, enc.r_cap.copy(), enc.n_qty.copy(), rows, k=config.k_nearest
    )
    plan = Plan(
        method="min-cost-flow",
        resources=res_map,
        needs=need_map,
        assignments=_assignments(enc, arc_n, arc_r, arc_d, arc_c, flows),
        config=config,
        arcs=len(arc_n),
    )
    plan.seconds = time.perf_counter() - t0
    return plan


def repair(plan: Plan, dropped: Iterable[str | int], *, preempt: bool = True) -> Plan:
    """Repair ``plan`` after the resources ``dropped`` drop out, without re-planning everything.

    Only the *affected* needs (those that lost units) are re-solved, for the
    units they lost, against the capacity the kept assignments leave free,
    with the same lexicographic priority.  Every other assignment stays as it
    was, with one exception when ``preempt`` is true (the default): an
    affected need may take units that a resource it can use gives to a need of
    *lower* priority, if nothing free serves it; the needs so *bumped* are then
    repaired the same way in turn (their class is strictly lower, so this ends
    after at most two more rounds).  That keeps the priority guarantee through
    repairs.  With ``preempt=False`` no other assignment changes at all.

    Needs that were already short before and needs not touched keep their
    state; call :func:`solve` for a global re-plan.
    """
    t0 = time.perf_counter()
    dropped = frozenset(dropped)
    unknown = sorted(map(str, dropped - plan.resources.keys()))
    if unknown:
        raise ValueError(f"repair: unknown resource id(s) {', '.join(unknown)}; nothing was changed")
    all_dropped = plan.dropped | dropped
    resources = list(plan.resources.values())
    current: dict[tuple, Assignment] = {}
    demand: dict[str | int, int] = defaultdict(int)
    for a in plan.assignments:
        if a.resource_id in dropped:
            demand[a.need_id] += a.quantity
        else:
            current[(a.need_id, a.resource_id)] = a
    dropped_txt = ", ".join(sorted(map(str, dropped)))
    affected: set = set()
    bumped: dict[str | int, int] = defaultdict(int)
    arcs = 0
    cfg = plan.config
    k = None if cfg.k_nearest is None else cfg.k_nearest * 3
    while demand:
        affected |= demand.keys()
        needs = [plan.needs[nid] for nid in demand]
        top = min(n.priority for n in needs)
        used: dict = defaultdict(int)
        held: dict = defaultdict(int)  # (resource id, class) -> units held by needs of that class
        for a in current.values():
            used[a.resource_id] += a.quantity
            if preempt and a.need.priority > top:
                held[(a.resource_id, int(a.need.priority))] += a.quantity
        rows = list(resources)
        cap = [0 if r.id in all_dropped else r.capacity - used.get(r.id, 0) for r in resources]
        cls = [-1] * len(resources)
        pseudo_of = {}
        for (rid, c), q in sorted(held.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
            pseudo_of[len(rows)] = (rid, c)
            rows.append(plan.resources[rid])
            cap.append(q)
            cls.append(c)
        enc = _Encoded(rows, needs, cfg)
        cap_arr = np.array(cap, np.int64)
        cls_arr = np.array(cls, np.int64)
        enc.set_capacity(cap_arr)  # the candidate generator only offers rows with capacity

        def allow(an, ar, cls_arr=cls_arr, enc=enc):
            # held units only go to needs of strictly higher priority than their holder
            return (cls_arr[ar] < 0) | (cls_arr[ar] > enc.n_prio[an])

        dem = np.array([demand[n.id] for n in needs], np.int64)
        arc_n, arc_r, arc_d, arc_c, flows = _solve_rows(
            enc, cap_arr, dem, np.arange(len(needs), dtype=np.int64), k=k, cap_class=cls_arr, allow=allow
        )
        arcs += len(arc_n)
        demand = defaultdict(int)
        # units taken from holders of lower priority: reduce their dearest assignments first
        taken: dict[tuple, int] = defaultdict(int)
        for j in np.flatnonzero(flows > 0):
            if int(arc_r[j]) in pseudo_of:
                taken[pseudo_of[int(arc_r[j])]] += int(flows[j])
        for (rid, c), q in taken.items():
            victims = sorted(
                (a for a in current.values() if a.resource_id == rid and int(a.need.priority) == c),
                key=lambda a: (-a.unit_cost, str(a.need_id)),
            )
            for a in victims:
                if not q:
                    break
                cut = min(q, a.quantity)
                q -= cut
                demand[a.need_id] += cut
                bumped[a.need_id] += cut
                key = (a.need_id, a.resource_id)
                if cut == a.quantity:
                    del current[key]
                else:
                    current[key] = _with(a, a.quantity - cut, a.note + f" Reduced by {cut} in a repair: given to a need of higher priority.")
        for a in _assignments(
            enc, arc_n, arc_r, arc_d, arc_c, flows,
            note=f"Assigned by repair after resource(s) {dropped_txt} dropped out.",
        ):
            key = (a.need_id, a.resource_id)
            old = current.get(key)
            current[key] = a if old is None else _with(a, old.quantity + a.quantity, a.note)
        if not preempt:
            break
    out = Plan(
        method=plan.method.split("+")[0] + "+repair",
        resources=plan.resources,
        needs=plan.needs,
        assignments=list(current.values()),
        config=plan.config,
        arcs=arcs,
        dropped=all_dropped,
        affected=frozenset(affected),
        bumped=dict(bumped),
    )
    out.seconds = time.perf_counter() - t0
    return out


def _with(a: Assignment, quantity: int, note: str) -> Assignment:
    return Assignment(
        need=a.need, resource=a.resource, quantity=quantity, distance_m=a.distance_m,
        unit_cost=a.unit_cost, rank=a.rank, candidates=a.candidates, config=a.config, note=note.strip(),
    )


# ---------------------------------------------------------------------------
# Greedy baseline
# ---------------------------------------------------------------------------


def greedy(
    resources: Iterable[Resource],
    needs: Iterable[Need],
    config: MatchConfig = DEFAULT_CONFIG,
) -> Plan:
    """Baseline: needs in priority order (then deadline, then input order), each takes its cheapest feasible resources.

    Each need looks at its ``k`` nearest feasible resources (the same candidate
    rule as :func:`solve`), cheapest first, and widens the search when they are
    all full, so it only stops short when nothing feasible within its maximum
    distance has capacity left.
    """
    t0 = time.perf_counter()
    res_map = _unique_by_id(resources, "resource")
    need_map = _unique_by_id(needs, "need")
    enc = _Encoded(list(res_map.values()), list(need_map.values()), config)
    k = config.k_nearest
    arc_n, arc_r, arc_d = enc.candidates(np.arange(len(enc.needs), dtype=np.int64), k)
    arc_c = _exact_costs(enc, arc_r, arc_d)
    need_order = np.lexsort((np.arange(len(enc.needs)), enc.n_win[:, 1], enc.n_prio))
    by_need = np.lexsort((arc_d, arc_c, arc_n))
    sorted_n = arc_n[by_need]
    lo = np.searchsorted(sorted_n, np.arange(len(enc.needs)), side="left").tolist()
    hi = np.searchsorted(sorted_n, np.arange(len(enc.needs)), side="right").tolist()
    # every arc the greedy looks at, in need order; flows filled in as it goes
    all_n, all_r = sorted_n.tolist(), arc_r[by_need].tolist()
    all_d, all_c = arc_d[by_need].tolist(), arc_c[by_need].tolist()
    flows = [0] * len(all_n)
    capl, qty = enc.r_cap.tolist(), enc.n_qty.tolist()
    for ni in need_order.tolist():
        left = qty[ni]
        idx = list(range(lo[ni], hi[ni]))
        kk = k
        seen: set[int] = set()
        while True:
            for t in idx:
                ri = all_r[t]
                seen.add(ri)
                if capl[ri]:
                    q = min(left, capl[ri])
                    capl[ri] -= q
                    left -= q
                    flows[t] = q
                    if not left:
                        break
            if not left or kk is None or len(seen) < kk:
                break
            kk *= 4  # every candidate was full: look further
            mn, mr, md = enc.candidates(np.array([ni], np.int64), kk)
            mc = _exact_costs(enc, mr, md)
            idx = []
            for j in np.lexsort((md, mc)).tolist():
                if int(mr[j]) not in seen:
                    idx.append(len(all_n))
                    all_n.append(ni), all_r.append(int(mr[j])), all_d.append(float(md[j])), all_c.append(int(mc[j]))
                    flows.append(0)
            if not idx:
                break
    plan = Plan(
        method="greedy",
        resources=res_map,
        needs=need_map,
        assignments=_assignments(
            enc,
            np.array(all_n, np.int64),
            np.array(all_r, np.int64),
            np.array(all_d, float),
            np.array(all_c, np.int64),
            np.array(flows, np.int64),
        ),
        config=config,
        arcs=len(all_n),
    )
    plan.seconds = time.perf_counter() - t0
    return plan


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
