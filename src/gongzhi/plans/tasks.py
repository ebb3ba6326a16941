"""Background work (Django Tasks API): the periodic check of goals and tasks."""

from django_tasks import task

from gongzhi.core.actors import SYSTEM

from . import services


@task()
def daily_check() -> dict:
    return services.check(SYSTEM)


@task()
def generate_reviews() -> dict:
    """Schedule the next joint review (定期会商研判) of every goal whose cadence says it is coming."""
    return services.generate_due_reviews(SYSTEM)
