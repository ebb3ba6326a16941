"""The notify subscriber: the events that call for a message (see ``services.EVENT_TYPES``) become
messages, one per recipient and channel. A batch subscriber on the ``dispatch`` queue; planning is
idempotent by key (event id, recipient, channel), so a redelivered event plans nothing twice. Sending
is not done here: a task on the ``default`` queue sends what is due once the batch has committed."""

from __future__ import annotations

import logging

from django.db import transaction

from gongzhi.core import events
from gongzhi.core.actors import SYSTEM

from . import services

log = logging.getLogger("gongzhi.notify")

NAME = "notify.messages"


def _wake_sender() -> None:
    from .tasks import send_due

    try:
        send_due.enqueue()
    except Exception:  # the periodic job sends it a minute later
        log.exception("notify: could not enqueue the sender")


@events.subscriber(NAME, types=services.EVENT_TYPES, batch=True)
def on_events(batch: list) -> None:
    if services.plan_for_events(SYSTEM, batch):
        transaction.on_commit(_wake_sender)
