"""Feed the public record from the domain-event outbox (at least once, idempotent by event id)."""

from __future__ import annotations

from django.db.models import QuerySet

from gongzhi.core.events import subscriber
from gongzhi.core.prune import register_holder

SUBSCRIBER_NAME = "ledger"


def handle_event(events) -> None:
    """Append a batch of public events as leaves and sign the new tree head once.

    Runs inside the dispatcher's transaction, so the leaves, the checkpoint and the
    delivery bookkeeping commit together.  Re-delivery finds the event ids and does nothing.
    Only public events are handed over (``public_only``); the filter here is a second guard.
    """
    public = [e for e in events if getattr(e, "public", True)]
    if not public:
        return
    from .services import append_events

    append_events(public, sign=True)


subscriber(SUBSCRIBER_NAME, batch=True, queue="ledger", public_only=True)(handle_event)


def releases(events: QuerySet) -> QuerySet:
    """The outbox events the ledger no longer needs (``core.prune``): private ones, and public ones once
    their leaf is in the log."""
    from django.db.models import Exists, OuterRef, Q

    from .models import Leaf

    return events.filter(Q(public=False) | Exists(Leaf.objects.filter(event_id=OuterRef("event_id"))))


register_holder(SUBSCRIBER_NAME, releases)
