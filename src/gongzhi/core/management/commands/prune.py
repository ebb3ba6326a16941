"""``gongzhi prune``: delete delivered outbox events and expired idempotency keys now (the daily jobs
``core.prune_outbox`` and ``core.prune_idempotency_keys`` do the same)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from gongzhi.core import prune
from gongzhi.core.actors import SYSTEM


class Command(BaseCommand):
    help = "Delete delivered outbox events nothing needs any more and expired idempotency keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")
        parser.add_argument("--outbox-days", type=int, help="keep outbox events this many days (default: setting)")
        parser.add_argument("--idempotency-days", type=int, help="keep idempotency keys this many days")

    def handle(
        self,
        *args: object,
        dry_run: bool = False,
        outbox_days: int | None = None,
        idempotency_days: int | None = None,
        **_: object,
    ) -> None:
        if dry_run:
            n = prune.prunable_events(keep_days=outbox_days).count()
            self.stdout.write(f"{n} outbox events could be pruned (dry run)")
            return
        events = prune.prune_outbox(SYSTEM, keep_days=outbox_days)
        keys = prune.prune_idempotency_keys(SYSTEM, keep_days=idempotency_days)
        self.stdout.write(f"pruned {events} outbox events and {keys} idempotency keys")
