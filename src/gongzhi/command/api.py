"""Command centre endpoints of the JSON API (mounted at /api/v1/command/)."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from gongzhi.core.apischema import ErrorOut
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.idempotency import idempotent
from gongzhi.core.validation import Limit
from gongzhi.org import permissions

from . import boards, mapdata, mechanisms, perms, queries, services
from .models import FollowUp, Mechanism

PREFIX = "command"
router = Router(tags=["command"])


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get("/{code}/figures", response={200: dict, **ERRORS})
def figures(request, code: str, start: dt.date | None = None, end: dt.date | None = None):
    """The centre's figures for [start, end] (default: the 30 days to the last day with data), from the rollups."""
    region = queries.region_for(request.user, code)
    return queries.figures(region, start, end)


@router.get("/{code}/map/{layer}", response={200: dict, **ERRORS})
def map_layer(request, code: str, layer: str):
    """One layer of the one map as GeoJSON: grids (with open/overdue), party, alliances, resources, needs,
    volunteers, incidents."""
    region = queries.region_for(request.user, code)
    if layer not in mapdata.LAYERS:
        raise NotFound(f"没有图层{layer}，可用：{'、'.join(mapdata.LAYERS)}", field="layer")
    return mapdata.layer(request.user, region, layer)


# ---------------------------------------------------------------- "141" boards and "885" mechanisms


def _session_out(s: Any, preview: dict | None = None) -> dict:
    data = preview or {"figures": s.figures, "ranking": s.ranking}
    return {
        "id": s.pk,
        "mechanism": {"code": s.mechanism.code, "name": s.mechanism.name, "kind": s.mechanism.kind},
        "region": s.region.code,
        "period": s.period,
        "start": s.start,
        "end": s.end,
        "scheduled_on": s.scheduled_on,
        "status": s.status,
        "held_on": s.held_on,
        "version": s.version,
        "attendance": s.attendance,
        "statements": s.statements,
        "decisions": s.decisions,
        "outcome": s.outcome,
        "figures": data["figures"],
        "ranking": data["ranking"],
        "preview": preview is not None,
        "followups": [_followup_out(f) for f in s.followups.select_related("unit").order_by("pk")],
    }


def _followup_out(f: Any) -> dict:
    return {
        "id": f.pk,
        "session": f.session_id,
        "title": f.title,
        "unit": f.unit.code if f.unit_id else None,
        "due_on": f.due_on,
        "closed_on": f.closed_on,
        "note": f.note,
    }


def _mechanism_out(m: Any) -> dict:
    return {
        "code": m.code,
        "region": m.region.code,
        "name": m.name,
        "kind": m.kind,
        "cadence": m.cadence,
        "level": m.level,
        "participant_roles": m.participant_roles,
        "participant_unit_kinds": m.participant_unit_kinds,
        "reads": m.reads,
        "records": m.records,
        "description": m.description,
        "active": m.active,
    }


class HoldIn(Schema):
    outcome: str
    held_on: dt.date | None = None
    present: list[int] = Field(default_factory=list, description="ids of the participating units present")
    decisions: list[str] = Field(default_factory=list)
    statements: list[dict] = Field(default_factory=list, description="[{unit: id, text}] (述职)")
    followups: list[dict] = Field(default_factory=list, description="[{title, due_on, unit: id?, source?}]")
    close_followups: list[int] = Field(default_factory=list, description="ids of open follow-ups closed")
    version: int | None = None


class CloseIn(Schema):
    note: str = ""


class RuleIn(Schema):
    key: str = Field(..., description="matter category code or record key (task.alliance, need.emergency, …)")
    board: str = Field(..., description="party | economy | safety | livelihood")


class MechanismIn(Schema):
    code: str
    name: str
    kind: str = Field(..., description="scheduling | ranking | racing | supervision | evaluation")
    cadence: str = Field(..., description="weekly | monthly | quarterly | yearly")
    level: str = "street"
    participant_roles: list[str] = Field(default_factory=list)
    participant_unit_kinds: list[str] = Field(default_factory=list)
    reads: list[str] = Field(default_factory=list, description="885-R1…885-R8, 885-L1…885-L8, assessment")
    records: list[str] = Field(default_factory=list, description="attendance ranking statements decisions followups")
    description: str = ""


@router.get("/sessions/{pk}", response={200: dict, **ERRORS})
def get_session(request: HttpRequest, pk: int) -> Any:
    """One session of a mechanism: what it read (held) or reads now (due: a preview), attendance, outcome."""
    s = services.get_session(request.user, pk)
    preview = None if s.status == s.Status.HELD else mechanisms.compute(s.mechanism, s.region, s.start, s.end)
    return _session_out(s, preview)


@router.post("/sessions/{pk}/hold", response={200: dict, **ERRORS})
@idempotent
def hold_session(request: HttpRequest, pk: int, data: HoldIn) -> Any:
    """Hold a due session: record attendance, statements, decisions, follow-ups, and the figures read now."""
    s = services.get_session(request.user, pk)
    s = services.hold_session(
        request.user,
        s,
        outcome=data.outcome,
        held_on=data.held_on,
        present=data.present,
        decisions=data.decisions,
        statements=data.statements,
        followups=data.followups,
        close_followups=data.close_followups,
        expected_version=data.version,
    )
    return _session_out(s)


@router.post("/followups/{pk}/close", response={200: dict, **ERRORS})
def close_followup(request: HttpRequest, pk: int, data: CloseIn) -> Any:
    """Close a follow-up a session assigned (整改销号)."""
    f = FollowUp.objects.select_related("region", "unit").filter(pk=pk).first()
    if f is None or not permissions.allowed(request.user, perms.VIEW, f.region):
        raise NotFound(f"没有编号为{pk}的督办事项", field="followup")
    return _followup_out(services.close_followup(request.user, f, note=data.note))


@router.get("/{code}/boards", response={200: dict, **ERRORS})
def board_figures(
    request: HttpRequest, code: str, start: dt.date | None = None, end: dt.date | None = None, board: str = ""
) -> Any:
    """The four boards ("141"): per board, requests, open and overdue, plan tasks, alerts and open needs; with
    ``board``, that board's open records (ids)."""
    region = queries.region_for(request.user, code)
    start, end = queries.period(start, end)
    out: dict = {"region": code, "start": start, "end": end, "boards": boards.figures(region, start, end)}
    if board:
        if board not in boards.BOARDS:
            raise DomainError(f"没有板块“{board}”，可用：{'、'.join(boards.BOARDS)}", field="board")
        recs = boards.records(region, board)
        out["records"] = {
            "requests": [r.number for r in recs["requests"]],
            "tasks": [t.pk for t in recs["tasks"]],
            "alerts": [a.pk for a in recs["alerts"]],
            "needs": [n.pk for n in recs["needs"]],
        }
    return out


@router.post("/{code}/board-rules", response={200: dict, **ERRORS})
def set_board_rule(request: HttpRequest, code: str, data: RuleIn) -> Any:
    """Set the board of a category or record key for the region's subtree."""
    region = services.region_by_code(code)
    rule = services.set_board_rule(request.user, region, key=data.key, board=data.board)
    return {"region": code, "key": rule.key, "board": rule.board}


@router.get("/{code}/mechanisms", response={200: dict, **ERRORS})
def list_mechanisms(request: HttpRequest, code: str, status: str = "", limit: Limit = 100) -> Any:
    """The mechanisms in force for the region and its sessions (newest first), with the centre's summary."""
    region = queries.region_for(request.user, code)
    ancestors = [p for p in region.path.split("/") if p]
    sessions = services.visible_sessions(request.user).filter(region__path__startswith=region.path)
    if status:
        sessions = sessions.filter(status=status)
    summary = queries.mechanisms_summary(region)
    return {
        "mechanisms": [
            _mechanism_out(m)
            for m in Mechanism.objects.filter(region__code__in=ancestors).select_related("region").order_by("pk")
        ],
        "sessions": [
            {
                "id": s.pk,
                "mechanism": s.mechanism.code,
                "region": s.region.code,
                "period": s.period,
                "scheduled_on": s.scheduled_on,
                "status": s.status,
                "held_on": s.held_on,
                "outcome": s.outcome,
            }
            for s in sessions.order_by("-scheduled_on", "pk")[: max(1, min(limit, 1000))]
        ],
        "due": summary["due"],
        "followups_open": summary["followups_open"],
        "followups_overdue": summary["followups_overdue"],
    }


@router.post("/{code}/mechanisms", response={201: dict, **ERRORS})
@idempotent
def define_mechanism(request: HttpRequest, code: str, data: MechanismIn) -> Any:
    """Define a mechanism for the region's subtree (what it reads, who takes part, what it records)."""
    region = services.region_by_code(code)
    m = services.define_mechanism(request.user, region, **data.dict())
    return 201, _mechanism_out(m)
