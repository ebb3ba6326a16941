"""The intake override: a request from a grid of an active incident goes straight to its desk
(扁平化指挥: flattened dispatch), with the emergency SLA.

Intake is benchmarked, so the active incidents are held in a small per-process map
``grid id -> (incident code, name, declared_at, desk unit, desk region)``. It is reloaded at
most every ``TTL_S`` seconds (other processes see a declaration or stand-down within that
time) and cleared in this process when an incident is declared or stood down. With no
active incident the override costs one dict lookup and no query.
"""

from __future__ import annotations

import threading
import time

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core import phrases
from gongzhi.core.phrases import phrase
from gongzhi.org.kinds import SlaClass

TTL_S = 5.0

# The override's reasons, stored as data and shown in the reader's language (core/phrases.py).
R_OVERRIDE = phrases.register(
    "incidents.reason.override", _("区域应急：%(incident)s（%(code)s，%(at)s宣布），直派应急指挥席%(desk)s")
)
R_EMERGENCY_SLA = phrases.register("incidents.reason.emergency_sla", _("按应急时限（2小时）办理"))

_lock = threading.Lock()
_state: dict = {"loaded": -1e18, "grids": {}}


def _load() -> dict:
    from .models import Incident, IncidentGrid

    rows = list(
        IncidentGrid.objects.filter(active=True, incident__status=Incident.Status.ACTIVE).values_list(
            "grid_id", "incident_id"
        )
    )
    if not rows:
        return {}
    incidents = {
        i.pk: i
        for i in Incident.objects.filter(pk__in={r[1] for r in rows}).select_related("desk_unit", "desk_unit__region")
    }
    return {gid: incidents[iid] for gid, iid in rows if iid in incidents}


def active_grids() -> dict:
    """``{grid_id: Incident}`` of the active incidents (cached)."""
    t = time.monotonic()
    st = _state
    if t - st["loaded"] < TTL_S:
        return st["grids"]
    grids = _load()
    with _lock:
        _state["grids"] = grids
        _state["loaded"] = t
    return grids


def clear(*_args, **_kwargs) -> None:
    with _lock:
        _state["loaded"] = -1e18
        _state["grids"] = {}


def override(category, grid, at=None):
    """``cases.routing`` override: the desk's Decision for a request in an active incident's area, else None."""
    if grid is None:
        return None
    inc = active_grids().get(grid.pk)
    if inc is None:
        return None
    if at is not None and at < inc.declared_at:
        return None
    from gongzhi.cases import routing as cases_routing
    from gongzhi.org.responsibility import Decision

    at_text = timezone.localtime(inc.declared_at).strftime("%m-%d %H:%M")
    return Decision(
        unit=inc.desk_unit,
        category=category,
        grid=grid,
        region=grid.region,
        rule=None,
        sla=SlaClass.EMERGENCY,
        fallback=cases_routing.OVERRIDE,
        reasons=[
            phrase(R_OVERRIDE, incident=inc.name, code=inc.code, at=at_text, desk=inc.desk_unit.name),
            phrase(R_EMERGENCY_SLA),
        ],
    )
