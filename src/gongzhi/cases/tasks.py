"""Background work (Django Tasks API): automatic escalation of overdue requests
and flags for emergency bypasses not filed in time."""

from django_tasks import task

from . import services


@task()
def escalate_overdue() -> dict:
    return {"escalated": services.escalate_overdue(), "unfiled_bypasses": services.flag_unfiled_bypasses()}
