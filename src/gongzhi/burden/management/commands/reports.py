"""``gongzhi reports generate --region CODE --period 2026-10 --format xlsx|pdf -o FILE``: generate reports
defined as data (by default the sixteen "885" definitions) for a region and month and export them."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.core.models import Region

from ... import export, services
from ...models import ReportDefinition
from ...seed import seed_definitions


class Command(BaseCommand):
    help = "Generate reports and problem lists (defined as data) for a region and month; export xlsx or PDF."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        g = sub.add_parser("generate", help="generate and export")
        g.add_argument("--region", required=True, help="region code")
        g.add_argument("--period", required=True, help="month, YYYY-MM")
        g.add_argument("--format", choices=["xlsx", "pdf"], default="xlsx")
        g.add_argument("-o", "--output", required=True, help="output file")
        g.add_argument(
            "--definition",
            action="append",
            default=[],
            help="definition code (repeatable); default: the seeded 885 definitions",
        )
        sub.add_parser("list", help="list the report definitions")

    def handle(self, *args, **opts):
        if opts["action"] == "list":
            for d in ReportDefinition.objects.prefetch_related("fields"):
                fields = ", ".join(f"{f.code}={f.source}" for f in d.fields.all())
                self.stdout.write(f"{d.code}\t{d.get_kind_display()}\t{d.name}\t{fields or d.list_source}")
            return
        region = Region.objects.filter(code=opts["region"]).first()
        if region is None:
            raise CommandError(f"没有代码为{opts['region']}的区域")
        if opts["definition"]:
            defs = list(ReportDefinition.objects.filter(code__in=opts["definition"]))
            missing = sorted(set(opts["definition"]) - {d.code for d in defs})
            if missing:
                raise CommandError(f"没有这些编码的报表定义：{'、'.join(missing)}")
        else:
            seed_definitions(SYSTEM)
            defs = list(ReportDefinition.objects.filter(seeded=True).order_by("kind", "code"))
        try:
            reps = [services.generate_report(SYSTEM, d, region, opts["period"]) for d in defs]
        except DomainError as e:
            raise CommandError(e.message) from None
        body = export.to_xlsx(reps) if opts["format"] == "xlsx" else export.to_pdf(reps)
        Path(opts["output"]).write_bytes(body)
        self.stdout.write(
            f"{len(reps)} reports for {region.name} {opts['period']} → {opts['output']} ({len(body)} bytes)"
        )
