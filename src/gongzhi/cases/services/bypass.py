"""Emergency bypass (紧急先行处置, 事后备案): a grid worker acts at once in an emergency or a
basic-livelihood matter and files the record afterwards, as a request resolved by their community;
a bypass not filed in time is flagged to the street.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext

from gongzhi.core.actors import SYSTEM
from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import DomainError, Forbidden, NotFound
from gongzhi.core.events import emit
from gongzhi.core.models import Region
from gongzhi.core.phrases import phrase
from gongzhi.org import responsibility
from gongzhi.org.kinds import SlaClass

from .. import contracts, perms, sla, wording
from ..contracts import CasesError
from ..models import Bypass, Channel, ServiceRequest
from .intake import submit
from .transitions import _category, _locate, _move, _record, now

# An emergency bypass must be filed within this many hours.
BYPASS_FILING_HOURS = 24
BYPASS_MAJOR_CLASSES = {"06"}  # basic livelihood (民生保障)


@transaction.atomic
def start_bypass(actor, *, category: str, summary: str, lon=None, lat=None, grid: str | None = None) -> Bypass:
    """A grid worker acts at once in an emergency or basic-livelihood matter; the record is filed later."""
    cat = _category(category)
    if cat is None:
        raise DomainError(gettext("请选择事项类别"), field="category")
    if not (cat.default_sla in (SlaClass.EMERGENCY, SlaClass.UTILITIES) or cat.code[:2] in BYPASS_MAJOR_CLASSES):
        raise DomainError(
            gettext("“%(name)s”不是紧急或基本民生事项，请按正常程序上报") % {"name": cat.name},
            field="category",
            code=CasesError.NOT_EMERGENCY,
        )
    g, lon, lat = _locate(lon, lat, grid)
    if not perms.can(actor, perms.BYPASS, region=g.region) or not getattr(actor, "is_authenticated", False):
        raise Forbidden(gettext("只有本网格的网格员或社区干部可以紧急先行处置"))
    if not (summary or "").strip():
        raise DomainError(gettext("请简要说明处置情况"), field="summary")
    at = now()
    b = Bypass.objects.create(
        worker=actor,
        grid=g,
        region=g.region,
        category=cat,
        summary=summary.strip()[:200],
        acted_at=at,
        filing_due=at + dt.timedelta(hours=BYPASS_FILING_HOURS),
    )
    emit(
        contracts.BYPASS_STARTED,
        aggregate_type="bypass",
        aggregate_id=b.pk,
        payload={"grid": g.code, "category": cat.code, "filing_due": b.filing_due.isoformat()},
        region=g.region,
        actor=actor,
    )
    return b


@transaction.atomic
def file_bypass(actor, bypass_id: int, *, description: str, resolution: str) -> ServiceRequest:
    """事后备案: the record of an emergency bypass, as a request resolved by the grid worker's community."""
    b = (
        Bypass.objects.select_related("grid__region", "category")
        .select_for_update(of=("self",), no_key=True)
        .filter(pk=bypass_id)
        .first()
    )
    if b is None:
        raise NotFound(gettext("紧急处置记录%(bypass_id)s不存在") % {"bypass_id": bypass_id})
    if not getattr(actor, "is_authenticated", False) or b.worker_id != actor.pk:
        raise Forbidden(gettext("只有当时处置的网格员可以备案"))
    if b.filed_at:
        raise DomainError(gettext("该紧急处置已备案"), code=CoreError.INVALID_STATE)
    if not (resolution or "").strip():
        raise DomainError(gettext("请填写处置结果"), field="resolution")
    req, _ = submit(
        SYSTEM,
        description=description or b.summary,
        channel=Channel.BYPASS,
        category=b.category.code,
        grid=b.grid.code,
        at=b.acted_at,
        auto_route=False,
    )
    req.created_by = actor
    unit = responsibility.handling_unit(b.region) or responsibility.resolve(b.category.code, grid=b.grid).unit
    _move(SYSTEM, req, "accept", at=b.acted_at, reason="紧急先行处置")
    _move(
        SYSTEM,
        req,
        "dispatch",
        at=b.acted_at,
        unit=unit,
        reason="网格员紧急先行处置",
        handling_unit=unit,
        routing_reason=str(phrase(wording.BYPASS)),
        routing={**(req.routing or {}), "reasons": wording.data([phrase(wording.BYPASS)])},
        sla=SlaClass.EMERGENCY,
        sla_started_at=b.acted_at,
        due_at=sla.due_at(SlaClass.EMERGENCY, b.acted_at),
        created_by=actor,
    )
    at = now()
    _move(
        actor,
        req,
        "resolve",
        reason=resolution.strip(),
        resolution=resolution.strip(),
        resolved_at=b.acted_at,
        unit=unit,
        data={"bypass": b.pk, "filed_late": at > b.filing_due},
    )
    Bypass.objects.filter(pk=b.pk).update(filed_at=at, request=req)
    _record(
        actor,
        req,
        "file_bypass",
        req.state,
        req.state,
        reason="事后备案",
        at=at,
        data={"bypass": b.pk, "late": at > b.filing_due},
    )
    return req


def flag_unfiled_bypasses(at: dt.datetime | None = None) -> int:
    """Flag to the street every bypass not filed within its window (once each)."""
    at = at or now()
    n = 0
    for b in Bypass.objects.filter(filed_at__isnull=True, flagged_at__isnull=True, filing_due__lt=at).select_related(
        "region", "grid"
    ):
        with transaction.atomic():
            if Bypass.objects.filter(pk=b.pk, flagged_at__isnull=True).update(flagged_at=at):
                street = b.region.ancestor_at(Region.Level.STREET)
                emit(
                    contracts.BYPASS_UNFILED,
                    aggregate_type="bypass",
                    aggregate_id=b.pk,
                    payload={
                        "grid": b.grid.code,
                        "street": street.code if street else None,
                        "filing_due": b.filing_due.isoformat(),
                    },
                    region=street or b.region,
                )
                n += 1
    return n
