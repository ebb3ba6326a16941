"""The notify app's background work (Django's Tasks API): sending what is due (after each planning
batch, and every minute for retries and the end of quiet hours) and the hourly digests."""

from __future__ import annotations

from django_tasks import task


@task()
def send_due() -> dict:
    from gongzhi.core.actors import SYSTEM

    from . import services

    return services.send_due(SYSTEM)


@task()
def send_digests() -> int:
    from gongzhi.core.actors import SYSTEM

    from . import services

    made = services.send_digests(SYSTEM)
    services.send_due(SYSTEM)
    return made


@task()
def meetings_due() -> int:
    from gongzhi.core.actors import SYSTEM

    from . import services

    made = services.plan_meetings_due(SYSTEM)
    services.send_due(SYSTEM)
    return made
