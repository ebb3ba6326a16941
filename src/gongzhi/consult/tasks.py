"""Background work (Django Tasks API): tallying formal votes whose time is up."""

from django_tasks import task

from . import votes


@task()
def close_due_votes() -> int:
    return len(votes.close_due())
