"""``gongzhi agenda scan [--region CODE] [--period YYYY-MM]``: find recurring matters in the requests
and propose them as consultation topics or plan goals (docs/alerts.md, "Agenda setting");
``gongzhi agenda list [--region CODE] [--period YYYY-MM] [--status S]``: the proposals."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.core.models import Region

from ... import agenda_services as A


class Command(BaseCommand):
    help = "Agenda setting: 'scan' proposes recurring matters of a period; 'list' shows the proposals."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (("scan", "scan the requests of a period"), ("list", "list the proposals")):
            s = sub.add_parser(name, help=text)
            s.add_argument("--region", help="region code (default: the whole area)")
            s.add_argument("--period", help="YYYY-MM (default: this month)")
            if name == "list":
                s.add_argument("--status", default="", help="proposed | accepted | dismissed")

    def handle(self, *args: Any, **opts: Any) -> None:
        region = None
        if opts.get("region"):
            region = Region.objects.filter(code=opts["region"]).first()
            if region is None:
                raise CommandError(f"没有代码为{opts['region']}的区域")
        try:
            if opts["action"] == "list":
                qs = A.filter_proposals(
                    A.visible(SYSTEM), status=opts["status"], period=opts.get("period") or "", region=region
                )
                for p in qs.order_by("-period", "-request_count", "-id"):
                    self.stdout.write(
                        f"{p.pk}\t{p.period}\t{p.region.code}\t{p.kind}\t{p.status}\t{p.request_count}\t{p.label}"
                    )
                return
            r = A.scan(SYSTEM, region, opts.get("period"))
        except DomainError as e:
            raise CommandError(e.message) from None
        self.stdout.write(
            f"scanned {r.region.name} {r.period}: {r.matters} recurring matters, "
            f"{len(r.proposed)} proposed, {len(r.refreshed)} refreshed"
        )
        for p in r.proposed:
            self.stdout.write(f"  [{p.get_kind_display()}] {p.region.name}: {p.label} ({p.request_count})")
