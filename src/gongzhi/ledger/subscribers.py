"""Feed the public record from the domain-event outbox (at least once, idempotent by event id)."""

from __future__ import annotations

from gongzhi.core.events import subscriber

SUBSCRIBER_NAME = "ledger"


def handle_event(events) -> None:
    """Append a batch of public events as leaves and sign the new tree head once.

    Runs inside the dispatcher's transaction, so the leaves, the checkpoint and the
    delivery records commit together.  Re-delivery finds the event ids and does nothing.
    """
    public = [e for e in events if getattr(e, "public", True)]
    if not public:
        return
    from .services import append_events

    append_events(public, sign=True)


subscriber(SUBSCRIBER_NAME, batch=True, queue="ledger")(handle_event)
