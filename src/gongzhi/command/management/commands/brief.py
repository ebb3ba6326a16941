"""``gongzhi brief --region CODE [--date D] -o FILE``: write a centre's daily brief as PDF."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError

from ... import brief, queries, services


class Command(BaseCommand):
    help = "Write the daily brief (PDF) of a command centre."

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="region code of the centre")
        parser.add_argument("--date", help="YYYY-MM-DD (default: the last day with data)")
        parser.add_argument("-o", "--output", required=True, help="PDF file to write")

    def handle(self, *args, region, date=None, output, **opts):
        try:
            reg = services.region_by_code(region)
        except DomainError as e:
            raise CommandError(e.message) from None
        try:
            day = dt.date.fromisoformat(date) if date else queries.period()[1]
        except ValueError:
            raise CommandError(f"日期格式应为YYYY-MM-DD：{date}") from None
        pdf = brief.render_pdf(SYSTEM, reg, day)
        with open(output, "wb") as fh:
            fh.write(pdf)
        self.stdout.write(f"brief of {reg.name} for {day} written to {output} ({len(pdf):,} bytes)")
