"""A consented push-down in street A, for the figure tests of burden, assessment and command."""

from __future__ import annotations

from gongzhi.cases import services
from gongzhi.core.actors import SYSTEM
from gongzhi.org.demo import install_power_list
from gongzhi.org.models import Grid, Unit


def push_down(world, users, *, consent: bool = True):
    """Street A's cadre pushes a garbage matter (the list: the street) down to community A's committee."""
    install_power_list()
    rc = Unit.objects.get(region=world.comm_a, kind="residents_committee")
    grid = Grid.objects.filter(region=world.comm_a).order_by("code").first()
    req, _ = services.submit(
        SYSTEM, description="垃圾桶满溢无人清运", category="01001", grid=grid.code, auto_route=False
    )
    pd = services.dispatch(users["street_cadre"], req, unit=rc.code, reason="街道人手不足").pending_pushdown
    if consent:
        services.consent_pushdown(users["community_cadre"], pd, agree=True, note="同意")
    pd.refresh_from_db()
    return pd
