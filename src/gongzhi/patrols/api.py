"""/api/v1/patrols/: the grids due for a patrol, the patrols, and recording one (idempotent)."""

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema

from gongzhi.core.apischema import ErrorOut
from gongzhi.core.errors import NotFound
from gongzhi.core.idempotency import idempotent
from gongzhi.core.validation import Limit
from gongzhi.org import permissions as perm
from gongzhi.org.models import Grid

from . import services
from .models import Patrol

PREFIX = "patrols"
router = Router(tags=["patrols"])
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _patrol(p: Patrol) -> dict:
    return {
        "id": p.pk,
        "grid": p.grid.code,
        "on": p.on.isoformat(),
        "minutes": p.minutes,
        "findings": [r.number for r in p.findings.all()],
        "recorded_at": p.created_at.isoformat(),
    }


@router.get("/due", response={200: list[dict], **ERRORS})
def due(request: HttpRequest) -> list[dict]:
    """The caller's grids (as a grid worker) due for a patrol today or overdue, most overdue first."""
    return [
        {
            "grid": d.grid.code,
            "name": d.grid.name,
            "last_on": d.last_on.isoformat() if d.last_on else None,
            "every_days": d.every_days,
            "due_on": d.due_on.isoformat(),
            "overdue_days": d.overdue_days,
        }
        for d in services.due_for(request.user)
    ]


@router.get("", response={200: list[dict], **ERRORS})
def patrols(request: HttpRequest, grid: str | None = None, limit: Limit = 50) -> list[dict]:
    """Recent patrols in the caller's area (of one grid with ``grid``)."""
    qs = perm.scope(request.user, Patrol.objects.select_related("grid").prefetch_related("findings"))
    if grid:
        qs = qs.filter(grid__code=grid)
    return [_patrol(p) for p in qs[:limit]]


class FindingIn(Schema):
    description: str = Field(..., max_length=500)
    category: str | None = None
    lon: float | None = None
    lat: float | None = None


class PatrolIn(Schema):
    grid: str
    on: dt.date | None = None
    minutes: int | None = None
    note: str = Field("", max_length=200)
    findings: list[FindingIn] = Field(default_factory=list)


def _key(request: HttpRequest) -> str | None:
    key = request.headers.get("Idempotency-Key")
    return f"u{request.user.pk}:{key}"[:80] if key else None


@router.post("", response={200: dict, 201: dict, **ERRORS})
@idempotent
def record(request: HttpRequest, data: PatrolIn) -> tuple[int, dict]:
    """Record a patrol of a grid; each finding is filed as a request (channel grid). Send an
    ``Idempotency-Key`` header: a retry returns the first record and files nothing twice."""
    grid = Grid.objects.select_related("region").filter(code=data.grid).first()
    if grid is None:
        raise NotFound(f"grid {data.grid} does not exist", field="grid")
    patrol, created = services.record_patrol(
        request.user,
        grid=grid,
        on=data.on,
        minutes=data.minutes,
        note=data.note,
        findings=[services.Finding(f.description, f.category, f.lon, f.lat) for f in data.findings],
        idempotency_key=_key(request),
    )
    return (201 if created else 200), _patrol(patrol)
