"""``gongzhi notify``: send what is due, make the digests, or send a test message through a channel.

gongzhi notify send-due [--meetings] [--digests]
gongzhi notify test CHANNEL ADDRESS
gongzhi notify status
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError

from ... import services
from ...models import Channel, Message


class Command(BaseCommand):
    help = "Notifications: send due messages (retries, ends of quiet hours), digests, a test message."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("send-due", help="send every message that is due now")
        p.add_argument("--digests", action="store_true", help="make the digests of held messages first")
        p.add_argument("--meetings", action="store_true", help="plan the reminders of meetings due first")
        t = sub.add_parser("test", help="send a test message through a channel's configured transport")
        t.add_argument("channel", choices=Channel.values)
        t.add_argument("address", help="a phone number, an e-mail address or a WeChat OpenID")
        sub.add_parser("status", help="messages by status")

    def handle(self, *args: Any, action: str, **opts: Any) -> None:
        try:
            if action == "send-due":
                if opts["meetings"]:
                    self.stdout.write(f"meeting reminders: {services.plan_meetings_due(SYSTEM)}")
                if opts["digests"]:
                    self.stdout.write(f"digests: {services.send_digests(SYSTEM)}")
                counts = services.send_due(SYSTEM)
                self.stdout.write(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing due")
            elif action == "test":
                m = services.send_test(SYSTEM, opts["channel"], opts["address"])
                self.stdout.write(f"{m.key}: {m.status}{' ' + m.last_error if m.last_error else ''}")
                if m.status == Message.Status.FAILED:
                    raise CommandError(f"not sent: {m.last_error}")
            else:
                for row in Message.objects.values("status").annotate(n=Count("id")).order_by("status"):
                    self.stdout.write(f"{row['status']:<10} {row['n']}")
        except DomainError as exc:
            raise CommandError(str(exc)) from None
