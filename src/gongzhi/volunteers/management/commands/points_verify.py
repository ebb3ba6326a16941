"""``gongzhi points_verify``: check the points ledger (balanced entries, no forbidden negative balance)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ...models import Entry, Movement
from ...services import verify_ledger


class Command(BaseCommand):
    help = "Check that every points entry sums to zero and no account that may not go negative is below zero."

    def handle(self, *args, **opts):
        problems = verify_ledger()
        if problems:
            raise CommandError("points ledger is inconsistent:\n" + "\n".join(problems))
        self.stdout.write(f"points ledger OK: {Entry.objects.count()} entries, {Movement.objects.count()} movements")
