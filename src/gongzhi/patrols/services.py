"""The patrols app's state changes (recording a patrol, setting how often grids are patrolled) and the
one question the pages ask: which grids are due."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.events import emit
from gongzhi.core.models import Region
from gongzhi.org import permissions as perm
from gongzhi.org.kinds import StaffRoleKind as R
from gongzhi.org.models import Grid

from . import contracts
from .contracts import PatrolError
from .models import Cadence, Patrol

RECORD = "record_patrol"
SET_CADENCE = "set_patrol_cadence"
BACKFILL_DAYS = 7  # a patrol walked without signal may be recorded up to a week later, never ahead
MAX_FINDINGS = 10
MAX_EVERY_DAYS = 90


def default_every_days() -> int:
    return int(getattr(settings, "GONGZHI_PATROL_EVERY_DAYS", 7))


def worker_grids(user: Any) -> list[Grid]:
    """The grids ``user`` works as a grid worker now (the grid inbox's own list, ``worker_grid_ids``)."""
    from gongzhi.cases.views_common import worker_grid_ids

    return list(Grid.objects.filter(pk__in=worker_grid_ids(user)).select_related("region").order_by("code"))


def _only_own_grids(user: Any) -> bool:
    """A grid worker records patrols of their own grids only; a cadre within their area."""
    roles = {r.role for r in perm._roles(user)}
    return (
        not perm.is_system(user)
        and R.GRID_WORKER in roles
        and not roles
        & {
            R.DISTRICT_ADMIN,
            R.STREET_CADRE,
            R.COMMUNITY_CADRE,
        }
    )


def may_record(user: Any, grid: Grid) -> bool:
    if not perm.allowed(user, RECORD, grid.region):
        return False
    return not _only_own_grids(user) or grid.pk in {g.pk for g in worker_grids(user)}


@dataclass(frozen=True)
class Finding:
    description: str
    category: str | None = None
    lon: float | None = None
    lat: float | None = None


@transaction.atomic
def record_patrol(
    actor: Any,
    *,
    grid: Grid,
    on: dt.date | None = None,
    minutes: int | None = None,
    note: str = "",
    findings: list[Finding] | tuple[Finding, ...] = (),
    idempotency_key: str | None = None,
) -> tuple[Patrol, bool]:
    """Record a patrol of ``grid``; each finding is filed as a request of the grid channel, taken in by
    the actor. Returns ``(patrol, created)``: a retry with the same key returns the first record."""
    from gongzhi.cases.models import Channel
    from gongzhi.cases.services import submit

    if idempotency_key:
        done = Patrol.objects.filter(idempotency_key=idempotency_key).first()
        if done is not None:
            return done, False
    if not may_record(actor, grid):
        if perm.allowed(actor, RECORD, grid.region):
            raise Forbidden(
                _("网格%(grid)s不是您负责的网格") % {"grid": grid.code}, action=RECORD
            )  # a grid worker of another grid
        perm.require(actor, RECORD, grid.region)
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise DomainError(_("巡查日期不能晚于今天"), field="on", code=PatrolError.BAD_DATE)
    if on < today - dt.timedelta(days=BACKFILL_DAYS):
        raise DomainError(_("只能补记%(n)d天内的巡查") % {"n": BACKFILL_DAYS}, field="on", code=PatrolError.BAD_DATE)
    if minutes is not None and not 1 <= minutes <= 24 * 60:
        raise DomainError(_("用时须在1到1440分钟之间"), field="minutes", code=CoreError.INVALID)
    if len(findings) > MAX_FINDINGS:
        raise DomainError(
            _("一次巡查最多记录%(n)d个问题") % {"n": MAX_FINDINGS}, field="findings", code=CoreError.INVALID
        )
    try:
        with transaction.atomic():
            patrol = Patrol.objects.create(
                grid=grid,
                region=grid.region,
                worker=actor if getattr(actor, "is_authenticated", False) else None,
                on=on,
                minutes=minutes,
                note=(note or "").strip()[:200],
                idempotency_key=idempotency_key or None,
            )
    except IntegrityError:  # a concurrent retry with the same key: one wins
        return Patrol.objects.get(idempotency_key=idempotency_key), False
    numbers = []
    for i, f in enumerate(findings):
        req, _created = submit(
            actor,
            description=f.description,
            channel=Channel.GRID,
            category=f.category or None,
            lon=f.lon,
            lat=f.lat,
            grid=grid.code,
            idempotency_key=f"{idempotency_key}:{i}" if idempotency_key else None,
        )
        patrol.findings.add(req)
        numbers.append(req.number)
    emit(
        contracts.RECORDED,
        aggregate_type="patrol",
        aggregate_id=patrol.pk,
        region=grid.region,
        actor=actor,
        payload={"patrol": patrol.pk, "grid": grid.code, "on": on.isoformat(), "findings": numbers, "minutes": minutes},
        public=False,
    )
    return patrol, True


@transaction.atomic
def set_cadence(actor: Any, *, every_days: int, grid: Grid | None = None, region: Region | None = None) -> Cadence:
    """How often ``grid`` (or every grid of ``region`` without its own) is to be patrolled."""
    if (grid is None) == (region is None):
        raise DomainError(_("请指定一个网格或一个区域"), field="grid", code=CoreError.INVALID)
    target_region = grid.region if grid is not None else region
    perm.require(actor, SET_CADENCE, target_region)
    if not 1 <= int(every_days) <= MAX_EVERY_DAYS:
        raise DomainError(
            _("巡查周期须在1到%(n)d天之间") % {"n": MAX_EVERY_DAYS}, field="every_days", code=CoreError.INVALID
        )
    who = actor if getattr(actor, "is_authenticated", False) else None
    if grid is not None:
        cadence, _c = Cadence.objects.update_or_create(grid=grid, defaults={"every_days": every_days, "set_by": who})
        target = f"grid:{grid.code}"
    else:
        cadence, _c = Cadence.objects.update_or_create(
            region=region, grid=None, defaults={"every_days": every_days, "set_by": who}
        )
        assert region is not None  # one of grid and region is given (checked above)
        target = f"region:{region.code}"
    emit(
        contracts.CADENCE_SET,
        aggregate_type="patrol_cadence",
        aggregate_id=target,
        region=target_region,
        actor=actor,
        payload={"target": target, "every_days": int(every_days)},
        public=False,
    )
    return cadence


# ----------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Due:
    grid: Grid
    last_on: dt.date | None
    every_days: int
    due_on: dt.date  # the day the next patrol is due (today when never patrolled)
    overdue_days: int  # days past due (0 when due today, negative when not yet due)

    @property
    def is_due(self) -> bool:
        return self.overdue_days >= 0


def every_days_for(grids: list[Grid]) -> dict[int, int]:
    """The cadence of each grid: its own, else its region's nearest ancestor's, else the default."""
    own = dict(Cadence.objects.filter(grid__in=grids).values_list("grid_id", "every_days"))
    paths = {g.region.path for g in grids}
    ancestors = {p[: i + 1] for p in paths for i, ch in enumerate(p) if ch == "/" and i > 0}
    by_path = dict(
        Cadence.objects.filter(region__path__in=ancestors, grid__isnull=True).values_list("region__path", "every_days")
    )
    out = {}
    for g in grids:
        if g.pk in own:
            out[g.pk] = own[g.pk]
            continue
        best = [p for p in by_path if g.region.path.startswith(p)]
        out[g.pk] = by_path[max(best, key=len)] if best else default_every_days()
    return out


def status(grids: list[Grid], today: dt.date | None = None) -> list[Due]:
    """Each grid's last patrol and when the next is due, most overdue first."""
    from django.db.models import Max

    today = today or timezone.localdate()
    last = dict(
        Patrol.objects.filter(grid__in=grids).values("grid_id").annotate(m=Max("on")).values_list("grid_id", "m")
    )
    every = every_days_for(grids)
    out = []
    for g in grids:
        last_on = last.get(g.pk)
        due_on = today if last_on is None else last_on + dt.timedelta(days=every[g.pk])
        out.append(Due(g, last_on, every[g.pk], due_on, (today - due_on).days))
    out.sort(key=lambda d: (-d.overdue_days, d.grid.code))
    return out


def due_for(user: Any, today: dt.date | None = None) -> list[Due]:
    """The grids ``user`` patrols (a grid worker's own) that are due today or overdue."""
    return [d for d in status(worker_grids(user), today) if d.is_due]
