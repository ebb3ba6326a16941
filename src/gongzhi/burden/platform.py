"""The platform's own demands, recorded automatically from the domain events (and, for history,
from the records): every step the platform asks of a grid worker or a unit costs minutes too.

Standard minutes (estimates of this project, documented in docs/burden.md; change them here):

=====================  ==========================================  ====  =======
key                    what the platform asks                      kind  minutes
=====================  ==========================================  ====  =======
intake                 a grid worker registers a request on patrol  form       10
followup               a follow-up visit (回访) and its record       form       15
bypass_filing          filing an emergency bypass afterwards        form       20
meeting_attendance     a member unit attends an alliance meeting   meeting    90
meeting_record         the lead unit records the meeting once      form       30
household_visit        a party member's household visit record     form        5
patrol_record          a grid worker's patrol record (网格巡查)     form        3
=====================  ==========================================  ====  =======

Each item carries a ``source_ref`` (``intake:<number>``, ``followup:<transition id>``,
``bypass:<id>``, ``meeting:<id>:<unit id>``, ``meeting-record:<id>``, ``visit:<id>``, ``patrol:<id>``), so the subscriber and the
backfill (:func:`backfill`) can both run, any number of times, and count each step once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.events import subscriber
from gongzhi.core.models import Region
from gongzhi.org import responsibility
from gongzhi.org.models import GridAssignment, Person

from .models import DemandKind

log = logging.getLogger("gongzhi.burden")


@dataclass(frozen=True)
class Standard:
    label: str
    kind: str
    minutes: int


STANDARD: dict[str, Standard] = {
    "intake": Standard("网格员登记诉求（平台）", DemandKind.FORM, 10),
    "followup": Standard("诉求回访记录（平台）", DemandKind.FORM, 15),
    "bypass_filing": Standard("紧急处置事后备案（平台）", DemandKind.FORM, 20),
    "meeting_attendance": Standard("出席联合体会议（平台）", DemandKind.MEETING, 90),
    "meeting_record": Standard("记录联合体会议（平台）", DemandKind.FORM, 30),
    "household_visit": Standard("党员入户走访记录（平台）", DemandKind.FORM, 5),  # org.HouseholdVisit (seed 002)
    # patrols.Patrol: the record only (grid, day, findings); the walk itself is the worker's own job
    "patrol_record": Standard("网格巡查记录（平台）", DemandKind.FORM, 3),
}

SUBSCRIBER = "burden.platform_demands"
EVENT_TYPES = {
    "cases.request.submit",
    "cases.request.followup",
    "cases.request.reopen",
    "cases.request.close",
    "cases.request.confirm",
    "cases.request.file_bypass",
    "alliances.meeting.recorded",
    "org.household_visited",
    "patrols.recorded",
}


class _Workers:
    """Who does a step: the acting user's person, else the grid's grid worker; and their unit.
    Loaded in bulk (a few queries per batch of records)."""

    def __init__(self):
        self._grid: dict | None = None
        self._user: dict = {}
        self._unit: dict = {}
        self._region_unit: dict = {}

    def load_users(self, user_ids) -> None:
        want = {u for u in user_ids if u is not None and u not in self._user}
        if want:
            found = {p.user_id: p for p in Person.objects.filter(user_id__in=want)}
            for u in want:
                self._user[u] = found.get(u)
            self.load_units([p for p in found.values()])

    def load_units(self, persons) -> None:
        from .services import worker_units

        want = [p for p in persons if p is not None and p.pk not in self._unit]
        if want:
            units = worker_units(want)
            for p in want:
                self._unit[p.pk] = units.get(p.pk)

    def of_user(self, user_id):
        return self._user.get(user_id) if user_id is not None else None

    def of_grid(self, grid_id):
        if self._grid is None:
            self._grid = {}
            for ga in (
                GridAssignment.objects.filter(kind=GridAssignment.Kind.GRID_WORKER, end_date__isnull=True)
                .select_related("person")
                .order_by("id")
            ):
                self._grid.setdefault(ga.grid_id, ga.person)
            self.load_units(list(self._grid.values()))
        return self._grid.get(grid_id)

    def unit_of(self, person, region):
        if person is not None:
            if person.pk not in self._unit:
                self.load_units([person])
            if self._unit[person.pk] is not None:
                return self._unit[person.pk]
        if region.pk not in self._region_unit:
            self._region_unit[region.pk] = responsibility.handling_unit(region)
        return self._region_unit[region.pk]


def _local_day(t: dt.datetime) -> dt.date:
    return timezone.localtime(t).date() if timezone.is_aware(t) else t.date()


def _day_end(day: dt.date) -> dt.datetime:
    """A step the records show as done that day (a meeting held, minutes recorded)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(18)))


def _cases():
    return apps.is_installed("gongzhi.cases")


def _transitions(qs):
    """The transitions that stand for platform demands: grid intakes, follow-up visits, bypass filings."""
    from django.db.models import Q

    return (
        qs.filter(Q(action__in=["followup", "file_bypass"]) | Q(action="submit", data__channel="grid"))
        .order_by("id")
        .values_list("id", "request_id", "action", "actor_id", "at", "data")
    )


def _request_rows(trans: list[tuple], w: _Workers) -> list[dict]:
    """Platform items from transition rows (id, request id, action, actor id, at, data)."""
    from gongzhi.cases.models import ServiceRequest

    rows = []
    if not trans:
        return rows
    reqs = {
        pk: (number, grid_id, region_id)
        for pk, number, grid_id, region_id in ServiceRequest.objects.filter(pk__in={t[1] for t in trans}).values_list(
            "pk", "number", "grid_id", "region_id"
        )
    }
    regions = {r.pk: r for r in Region.objects.filter(pk__in={v[2] for v in reqs.values()})}
    w.load_users(t[3] for t in trans)
    for tid, rid, action, actor_id, at, data in trans:
        number, grid_id, region_id = reqs[rid]
        data = data or {}
        if action == "submit":
            if data.get("channel") != "grid":
                continue
            key, ref = "intake", f"intake:{number}"
        elif action == "followup":
            key, ref = "followup", f"followup:{tid}"
        else:
            key, ref = "bypass_filing", f"bypass:{data.get('bypass') or number}"
        person = w.of_user(actor_id) or w.of_grid(grid_id)
        unit = w.unit_of(person, regions[region_id])
        if unit is None:
            continue
        rows.append({"key": key, "ref": ref, "unit": unit, "worker": person, "on": _local_day(at), "at": at})
    return rows


def _meeting_rows(meetings) -> list[dict]:
    from gongzhi.alliances.models import Attendance

    rows = []
    meetings = [m for m in meetings if m.held_on is not None]
    if not meetings:
        return rows
    by_id = {m.pk: m for m in meetings}
    for a in Attendance.objects.filter(meeting_id__in=list(by_id)).select_related("unit__region").order_by("id"):
        m = by_id[a.meeting_id]
        rows.append(
            {
                "key": "meeting_attendance",
                "ref": f"meeting:{m.pk}:{a.unit_id}",
                "unit": a.unit,
                "worker": None,
                "on": m.held_on,
                "at": _day_end(m.held_on),
            }
        )
    for m in meetings:
        lead = m.alliance.lead_unit
        if lead is not None:
            rows.append(
                {
                    "key": "meeting_record",
                    "ref": f"meeting-record:{m.pk}",
                    "unit": lead,
                    "worker": None,
                    "on": m.recorded_on or m.held_on,
                    "at": _day_end(m.recorded_on or m.held_on),
                }
            )
    return rows


def _visit_rows(visits: Iterable[Any], w: _Workers) -> list[dict]:
    """Household visits (包片联户): the member who visited, their unit (else the community's), that day."""
    visits = list(visits)
    w.load_units([v.member for v in visits])
    rows = []
    for v in visits:
        unit = w.unit_of(v.member, v.region)
        if unit is not None:
            ref = f"visit:{v.pk}"
            rows.append({"key": "household_visit", "ref": ref, "unit": unit, "worker": v.member, "on": v.visited_on})
            rows[-1]["at"] = _day_end(v.visited_on)
    return rows


def _visits() -> Any:
    from gongzhi.org.models import HouseholdVisit

    return HouseholdVisit.objects.select_related("member", "region").order_by("id")


def _patrol_rows(patrols: Iterable[Any], w: _Workers) -> list[dict]:
    """Patrol records: the grid worker who recorded it (else the grid's), their unit, that day."""
    patrols = list(patrols)
    w.load_users(p.worker_id for p in patrols)
    rows = []
    for p in patrols:
        person = w.of_user(p.worker_id) or w.of_grid(p.grid_id)
        unit = w.unit_of(person, p.region)
        if unit is not None:
            rows.append(
                {
                    "key": "patrol_record",
                    "ref": f"patrol:{p.pk}",
                    "unit": unit,
                    "worker": person,
                    "on": p.on,
                    "at": _day_end(p.on),
                }
            )
    return rows


def _patrols() -> Any:
    from gongzhi.patrols.models import Patrol

    return Patrol.objects.select_related("region").order_by("id")


def items_for_events(actor, events) -> int:
    """Record the platform items the given events stand for (idempotent by source_ref)."""
    from .services import record_platform_items

    w = _Workers()
    numbers: set[str] = set()
    meeting_keys = []
    for e in events:
        p = e.payload or {}
        if e.type.startswith("cases.request."):
            numbers.add(p.get("number") or e.aggregate_id)
        elif e.type == "alliances.meeting.recorded":
            meeting_keys.append(p)
    visit_ids = [e.payload["visit"] for e in events if e.type == "org.household_visited"]
    rows: list[dict] = _visit_rows(_visits().filter(pk__in=visit_ids), w) if visit_ids else []
    patrol_ids = [e.payload["patrol"] for e in events if e.type == "patrols.recorded"]
    if patrol_ids and apps.is_installed("gongzhi.patrols"):
        rows += _patrol_rows(_patrols().filter(pk__in=patrol_ids), w)
    if numbers and _cases():
        from gongzhi.cases.models import Transition

        rows += _request_rows(list(_transitions(Transition.objects.filter(request__number__in=numbers))), w)
    if meeting_keys and apps.is_installed("gongzhi.alliances"):
        from gongzhi.alliances.models import Meeting

        found = []
        for p in meeting_keys:
            qs = Meeting.objects.filter(
                alliance__code=p.get("code"), kind=p.get("kind"), year=p.get("year"), held_on=p.get("held_on")
            ).select_related("alliance__lead_unit")
            if p.get("period") is not None:
                qs = qs.filter(period=p.get("period"))
            found += list(qs)
        rows += _meeting_rows(found)
    return record_platform_items(actor, rows)


@subscriber(SUBSCRIBER, types=EVENT_TYPES, batch=True)
def on_events(events) -> None:
    try:
        items_for_events(SYSTEM, events)
    except Exception:  # never stall the outbox on bad data; the backfill can catch up
        log.exception("burden: platform demands not recorded for %d events", len(events))


def backfill(actor, region=None, *, since: dt.date | None = None) -> int:
    """Record the platform's demands from the records (requests' transitions, meeting attendance):
    for history that was written before this module listened, and for the demo. Idempotent."""
    from .services import record_platform_items

    w = _Workers()
    made = 0
    if _cases():
        from gongzhi.cases.models import Transition

        qs = Transition.objects.all()
        if region is not None:
            qs = qs.filter(request__region__path__startswith=region.path)
        if since is not None:
            qs = qs.filter(at__date__gte=since)
        trans = list(_transitions(qs))
        for k in range(0, len(trans), 5000):
            made += record_platform_items(actor, _request_rows(trans[k : k + 5000], w))
    if apps.is_installed("gongzhi.alliances"):
        from gongzhi.alliances.models import Meeting

        ms = Meeting.objects.filter(held_on__isnull=False).select_related("alliance__lead_unit")
        if region is not None:
            ms = ms.filter(alliance__region__path__startswith=region.path)
        if since is not None:
            ms = ms.filter(held_on__gte=since)
        made += record_platform_items(actor, _meeting_rows(list(ms)))
    vs = _visits()
    if region is not None:
        vs = vs.filter(region__path__startswith=region.path)
    if since is not None:
        vs = vs.filter(visited_on__gte=since)
    made += record_platform_items(actor, _visit_rows(vs, w))
    if apps.is_installed("gongzhi.patrols"):
        ps = _patrols()
        if region is not None:
            ps = ps.filter(region__path__startswith=region.path)
        if since is not None:
            ps = ps.filter(on__gte=since)
        made += record_platform_items(actor, _patrol_rows(ps, w))
    return made
