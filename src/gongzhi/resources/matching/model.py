"""The vocabulary of the matching engine: priority classes, kinds, time windows, the :class:`Resource` and
:class:`Need` dataclasses with their validation, the configuration, the local projection and the
per-unit cost.

Part of :mod:`gongzhi.resources.matching` (pure: no Django).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, IntEnum

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


class Kind(str, Enum):  # noqa: UP042 - a StrEnum would change what str() and format() give for a member
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
