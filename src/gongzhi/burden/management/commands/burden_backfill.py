"""``gongzhi burden_backfill [--region CODE]``: record the platform's own demands from the records
(request transitions, alliance meeting attendance) — idempotent; for history written before the
burden module subscribed to the events."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import Region

from ... import platform


class Command(BaseCommand):
    help = "Record the platform's own demands (intake, follow-ups, filings, meetings) from the records."

    def add_arguments(self, parser):
        parser.add_argument("--region", help="region code (default: everywhere)")

    def handle(self, *args, **opts):
        region = None
        if opts.get("region"):
            region = Region.objects.filter(code=opts["region"]).first()
            if region is None:
                raise CommandError(f"没有代码为{opts['region']}的区域")
        n = platform.backfill(SYSTEM, region)
        self.stdout.write(f"{n} platform demand items recorded")
