"""Background work through Django's Tasks API (the django-tasks backport)."""

from django_tasks import task

from .events import dispatch_pending


@task()
def dispatch_events() -> int:
    return dispatch_pending()


@task()
def prune_security_log() -> int:
    from .actors import SYSTEM
    from .audit import prune

    return prune(SYSTEM)
