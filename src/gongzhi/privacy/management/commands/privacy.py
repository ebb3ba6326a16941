"""``gongzhi privacy``: the retention periods of personal data, and the purge that applies them.

gongzhi privacy periods
gongzhi privacy purge [--dry-run] [--kind K ...] [--now YYYY-MM-DD[THH:MM]]
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError

from ... import retention, services


def _when(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--now must be a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM, got {text!r}") from None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


class Command(BaseCommand):
    help = "Retention of personal data: list the periods, or purge (delete / anonymise) what has expired."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("periods", help="the retention period of every kind of record")
        p = sub.add_parser("purge", help="delete or anonymise records past their retention period")
        p.add_argument("--dry-run", action="store_true", help="count what would be done; change nothing")
        p.add_argument(
            "--kind",
            action="append",
            metavar="K",
            help=f"only this kind (repeatable): {', '.join(retention.PURGEABLE)}",
        )
        p.add_argument("--now", help="purge as of this date/time instead of now (YYYY-MM-DD[THH:MM])")
        p.add_argument("--batch-size", type=int, default=services.BATCH, help="rows per transaction")

    def handle(self, *args, action, **opts):
        try:
            if action == "periods":
                for row in retention.table():
                    days = f"{row['days']} d" if row["days"] else "—"
                    self.stdout.write(f"{row['kind']:<26} {row['action']:<9} {days:>7}  {row['clock']}")
                return
            if opts["batch_size"] < 1:
                raise CommandError("--batch-size must be at least 1")
            now = _when(opts["now"]) if opts.get("now") else None
            report = services.purge(
                SYSTEM, kinds=opts.get("kind"), now=now, dry_run=opts["dry_run"], batch_size=opts["batch_size"]
            )
        except (DomainError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from None
        verb = {
            "anonymise": "would anonymise" if opts["dry_run"] else "anonymised",
            "delete": "would delete" if opts["dry_run"] else "deleted",
        }
        for name, row in report.items():
            self.stdout.write(
                f"{name:<26} {verb[row['action']]:<16} {row['rows']:>8} rows "
                f"(older than {row['days']} d: before {row['cutoff']})"
            )
