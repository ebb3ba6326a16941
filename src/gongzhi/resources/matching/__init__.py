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

The package, one module per concern (each pure: no Django):

* :mod:`.model` — vocabulary and data model: priority classes, kinds, windows, :class:`Resource`,
  :class:`Need`, :class:`MatchConfig`, the projection and the unit cost;
* :mod:`.rules` — feasibility, rule by rule (:func:`check_pair`, :func:`feasible`);
* :mod:`.results` — explanations, assignments and the :class:`Plan`;
* :mod:`.encoding` — the instance as arrays and the sparse candidate generation (:class:`_Encoded`);
* :mod:`.solver` — the min-cost flow core (:func:`solve`);
* :mod:`.repair` — repair after drop-outs (:func:`repair`);
* :mod:`.greedy` — the greedy baseline (:func:`greedy`);
* :mod:`.suggest` — suggestions for one need (:func:`suggest`).

Import the public names from here (``from gongzhi.resources import matching as M``).
"""

from __future__ import annotations

from .encoding import _Encoded
from .greedy import greedy
from .model import (
    ALWAYS,
    DEFAULT_CONFIG,
    EARTH_RADIUS_M,
    Kind,
    MatchConfig,
    Need,
    Priority,
    Resource,
    Window,
    distance_m,
    lonlat_to_xy,
    unit_cost,
)
from .repair import repair
from .results import Assignment, Explanation, Plan
from .rules import RuleCheck, check_pair, feasible
from .solver import solve
from .suggest import Suggestion, suggest

__all__ = [
    "ALWAYS",
    "Assignment",
    "DEFAULT_CONFIG",
    "EARTH_RADIUS_M",
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
    "_Encoded",  # the benchmark and the property tests build encodings directly
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
