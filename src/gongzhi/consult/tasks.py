"""Background work (Django Tasks API): tallying formal votes whose time is up; keeping each
topic's live opinion groups up to date."""

from django_tasks import task

from . import services, votes


@task()
def close_due_votes() -> int:
    return len(votes.close_due())


@task()
def update_live_analyses() -> dict:
    return {str(k): v for k, v in services.update_live_analyses().items()}
