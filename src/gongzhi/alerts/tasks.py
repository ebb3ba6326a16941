"""Background work (Django Tasks API): the daily alert scan of the whole area."""

from django_tasks import task

from gongzhi.core.actors import SYSTEM

from . import services


@task()
def daily_scan(region_code: str | None = None, days: int = 1) -> dict:
    from gongzhi.core.models import Region

    region = Region.objects.get(code=region_code) if region_code else None
    result = services.scan(SYSTEM, region, days=days)
    return {"raised": len(result.raised), "updated": len(result.updated), "run": result.run.pk}


@task()
def agenda_scan(region_code: str | None = None, period: str | None = None) -> dict:
    """This month's agenda scan of the whole area (idempotent: a rescan renews undecided proposals)."""
    from gongzhi.core.models import Region

    from . import agenda_services

    region = Region.objects.get(code=region_code) if region_code else None
    result = agenda_services.scan(SYSTEM, region, period)
    return {"period": result.period, "proposed": len(result.proposed), "refreshed": len(result.refreshed)}
