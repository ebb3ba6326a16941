"""Background work (Django Tasks API): the sessions of the "885" mechanisms falling due."""

from django_tasks import task

from gongzhi.core.actors import SYSTEM

from . import services


@task()
def schedule_mechanisms() -> dict:
    made = services.schedule_due(SYSTEM)
    return {"sessions": len(made)}
