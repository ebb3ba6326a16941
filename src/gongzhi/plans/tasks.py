"""Background work (Django Tasks API): the periodic check of goals and tasks."""

from django_tasks import task

from gongzhi.core.actors import SYSTEM

from . import services


@task()
def daily_check() -> dict:
    return services.check(SYSTEM)
