"""The demo district's household visits (包片联户, seed 002): party members visit some of the households
they link over the past eight weeks (a purpose code each, no photo, no check-in), and in each community
one visit where the household raised a matter, filed as a request through the cases intake. Written
through ``services.record_visit`` like any visit (events emitted: the burden meter counts them).
Deterministic; one transaction."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError

from . import services
from .models import HouseholdLink, VisitPurpose

PER_COMMUNITY = 24  # visits at most per community
MATTERS = ("楼道声控灯不亮，老人晚上上下楼不方便", "小区门口路面破损积水，出行不便", "邻居装修噪音扰民，希望协调")


def generate(*, seed: int, scale: str, progress: Callable[..., object]) -> dict[str, int]:
    rng = random.Random(seed * 31 + 6)
    today = timezone.localdate()
    purposes = [p for p in VisitPurpose.values if p != VisitPurpose.MATTER]
    made = matters = 0
    with transaction.atomic():
        by_region: dict[int, list[HouseholdLink]] = {}
        for ln in (
            HouseholdLink.objects.filter(end_date__isnull=True)
            .select_related("member", "household__grid", "household__region")
            .order_by("id")
        ):
            by_region.setdefault(ln.region_id, []).append(ln)
        for k, links in enumerate(by_region.values()):
            chosen = rng.sample(links, min(PER_COMMUNITY, max(1, len(links) * 3 // 5)))
            for i, ln in enumerate(chosen):
                matter = MATTERS[k % len(MATTERS)] if i == 0 and ln.household.grid_id else ""
                try:
                    services.record_visit(
                        SYSTEM,
                        ln.member,
                        ln.household,
                        purpose=VisitPurpose.MATTER if matter else rng.choice(purposes),
                        visited_on=today - dt.timedelta(days=rng.randint(0 if matter else 1, 56)),
                        matter=matter,
                    )
                except DomainError:
                    continue  # the same member, household and day drawn twice
                made += 1
                matters += bool(matter)
            progress("入户走访", k + 1, len(by_region))
    return {"household_visits": made, "visit_matters": matters}
