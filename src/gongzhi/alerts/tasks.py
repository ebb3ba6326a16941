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
