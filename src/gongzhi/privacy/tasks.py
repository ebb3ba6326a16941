"""The daily purge of expired personal data (``core/schedule.py``)."""

from django_tasks import task


@task()
def purge_expired() -> dict:
    from gongzhi.core.actors import SYSTEM

    from .services import purge

    return {k: v["rows"] for k, v in purge(SYSTEM).items()}
