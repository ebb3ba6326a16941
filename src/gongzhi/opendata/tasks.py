"""The daily publication of the public datasets (``core/schedule.py``)."""

from django_tasks import task


@task()
def publish() -> dict:
    from gongzhi.core.actors import SYSTEM

    from .services import publish_all

    done = publish_all(SYSTEM)
    return {"datasets": len(done), "new": sum(1 for p in done if p.new)}
