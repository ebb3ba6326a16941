"""The rollup subscriber: every ``cases.request.*`` event makes the rollups of its request current.

A batch subscriber: one call (one transaction) per batch of events. Handling recomputes
the named requests' facts from their transitions, so a redelivered event changes nothing
(idempotent by event id and by content)."""

from __future__ import annotations

from gongzhi.cases.models import ServiceRequest
from gongzhi.core import events

from . import rollups

NAME = "command.rollups"


@events.subscriber(NAME, prefixes=("cases.request.",), batch=True)
def on_request_events(batch) -> None:
    numbers = {e.aggregate_id for e in batch}
    ids = list(ServiceRequest.objects.filter(number__in=numbers).values_list("pk", flat=True))
    rollups.apply(ids)
