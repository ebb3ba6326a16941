"""Use cases of the command centres that change state: rebuilding the rollups.

The rollups are otherwise kept by the ``command.rollups`` subscriber
(:mod:`gongzhi.command.subscribers`); pages only read."""

from __future__ import annotations

from django.db import transaction

from gongzhi.core.errors import NotFound
from gongzhi.core.events import emit
from gongzhi.core.models import Region
from gongzhi.org import permissions

from . import contracts, perms, rollups


def region_by_code(code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound(f"区域代码{code}不存在，请检查代码", field="region")
    return region


def rebuild_rollups(actor, region: Region | None = None, progress=None) -> dict[str, int]:
    """Recompute facts and rollups of ``region``'s subtree (all when None) from the records."""
    permissions.require(actor, perms.MANAGE, region)
    with transaction.atomic():
        counts = rollups.rebuild(region, progress=progress)
        emit(
            contracts.ROLLUPS_REBUILT,
            aggregate_type="region",
            aggregate_id=region.code if region else "all",
            region=region,
            actor=actor,
            payload={"counts": counts},
            public=False,
        )
    return counts
