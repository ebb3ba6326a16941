"""``gongzhi auditlog``: prune the security audit log past its retention, or export it as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ... import audit
from ...actors import SYSTEM
from ...models import SecurityLog


class Command(BaseCommand):
    help = "The security audit log: prune (rows past the retention period) or export (CSV)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("prune", help="delete rows older than GONGZHI_SECURITY_LOG_RETENTION_DAYS (≥ 180)")
        ex = sub.add_parser("export", help="write rows as CSV (stdout or --out)")
        ex.add_argument("--since", help="YYYY-MM-DD (inclusive)")
        ex.add_argument("--until", help="YYYY-MM-DD (exclusive)")
        ex.add_argument("--out", help="file (default: stdout)")

    def handle(self, *args, action, **opts):
        if action == "prune":
            n = audit.prune(SYSTEM)
            days = max(int(getattr(settings, "GONGZHI_SECURITY_LOG_RETENTION_DAYS", 180)), 180)
            self.stdout.write(f"deleted {n} rows older than {days} days")
            return
        qs = SecurityLog.objects.order_by("at", "id")
        for name, op in (("since", "at__date__gte"), ("until", "at__date__lt")):
            if opts.get(name):
                try:
                    qs = qs.filter(**{op: dt.date.fromisoformat(opts[name])})
                except ValueError:
                    raise CommandError(f"--{name} must be a date YYYY-MM-DD, got {opts[name]!r}") from None
        out = open(opts["out"], "w", newline="", encoding="utf-8") if opts.get("out") else sys.stdout
        try:
            w = csv.writer(out)
            w.writerow(["at", "kind", "user_id", "username", "region", "target", "ip", "detail"])
            n = 0
            for r in qs.select_related("region").iterator(chunk_size=2000):
                w.writerow(
                    [
                        r.at.isoformat(),
                        r.kind,
                        r.user_id or "",
                        r.username,
                        r.region.code if r.region_id else "",
                        r.target,
                        r.ip or "",
                        json.dumps(r.detail, ensure_ascii=False, sort_keys=True),
                    ]
                )
                n += 1
        finally:
            if out is not sys.stdout:
                out.close()
        audit.record("log_exported", actor=SYSTEM, detail={"rows": n, "via": "cli"})
        if opts.get("out"):
            self.stdout.write(f"wrote {n} rows to {opts['out']}")
