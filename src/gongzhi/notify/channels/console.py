"""The default transport of every channel (and the tests'): each message one JSON line in a file
(``GONGZHI_NOTIFY_FILE``) and one log line. Nothing leaves the machine."""

from __future__ import annotations

import json
import logging

from django.utils import timezone

from .. import conf
from .base import Backend, Outgoing

log = logging.getLogger("gongzhi.notify")


class ConsoleBackend(Backend):
    name = "console"

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, out: Outgoing) -> str:
        path = conf.console_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "at": timezone.now().isoformat(),
            "key": out.key,
            "channel": out.channel,
            "to": out.address,
            "template": out.template,
            "subject": out.subject,
            "text": out.text,
        }
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
        log.info("notify %s → %s: %s", out.channel, out.key, out.subject)
        return f"console:{out.key}"
