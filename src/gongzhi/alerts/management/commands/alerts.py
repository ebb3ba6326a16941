"""``gongzhi alerts scan [--region CODE] [--days N] [--at YYYY-MM-DD] [--enqueue]``: run the early-warning scan."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.core.models import Region

from ... import services


class Command(BaseCommand):
    help = "Early warning: 'scan' runs the detectors (arrivals, repeated complaints, SLA-breach clusters)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        s = sub.add_parser("scan", help="scan the complete days before --at (default: yesterday)")
        s.add_argument("--region", help="region code (default: the whole area)")
        s.add_argument("--days", type=int, default=1, help="how many days to evaluate (backfill)")
        s.add_argument("--at", help="scan as of this date (YYYY-MM-DD); evaluates the days before it")
        s.add_argument("--enqueue", action="store_true", help="enqueue the daily task instead of running it here")

    def handle(self, *args, **opts):
        region = None
        if opts.get("region"):
            region = Region.objects.filter(code=opts["region"]).first()
            if region is None:
                raise CommandError(f"没有代码为{opts['region']}的区域")
        if opts.get("enqueue"):
            from ...tasks import daily_scan

            result = daily_scan.enqueue(region.code if region else None, opts["days"])
            self.stdout.write(f"enqueued {result.id}")
            return
        at = None
        if opts.get("at"):
            try:
                day = dt.date.fromisoformat(opts["at"])
            except ValueError:
                raise CommandError("--at 应为 YYYY-MM-DD 格式的日期") from None
            at = timezone.make_aware(dt.datetime.combine(day, dt.time(6, 0)))
        try:
            result = services.scan(SYSTEM, region, at, days=opts["days"])
        except DomainError as e:
            raise CommandError(e.message) from None
        run = result.run
        self.stdout.write(
            f"scanned {run.first_day}..{run.last_day} in {run.region.name}: {run.series} series, "
            f"phi={run.phi:.3f}, raised {run.raised}, updated {run.updated} ({run.seconds:.2f} s)"
        )
        for a in result.raised:
            self.stdout.write(f"  [{a.get_kind_display()}] {a.title}")
