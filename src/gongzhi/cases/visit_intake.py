"""A matter raised during a party member's household visit (包片联户, seed 002) becomes a request.

org records the visit (``org.services.record_visit``) and sits below cases, so cases hands it this
function at start-up (:func:`register`, from ``CasesConfig.ready``). The request is registered by the
recording staff member on the household's behalf (channel ``grid``: the same right as a grid worker's
intake), at the household's grid and address, in the visit's transaction.
"""

from __future__ import annotations

from typing import Any

from .models import Channel


def file_visit_matter(actor: Any, visit: Any, description: str, category: str | None) -> str:
    from . import services

    household = visit.household
    req, _created = services.submit(
        actor,
        description=description,
        channel=Channel.GRID,
        category=category,
        grid=household.grid.code if household.grid_id else None,
        address=household.address,
    )
    return req.number


def register() -> None:
    from gongzhi.org import services as org_services

    org_services.register_matter_intake(file_visit_matter)
