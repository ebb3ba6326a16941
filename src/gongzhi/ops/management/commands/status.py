"""``gongzhi status``: the readiness report of ``/readyz`` on the command line (exit 1 when not ready)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from gongzhi.ops import health


class Command(BaseCommand):
    help = "Is the platform ready to serve? Database, migrations, task worker, ledger backlog (exit 1 if not)."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print the report as JSON (as /readyz does)"
        )

    def handle(self, *args, as_json: bool = False, **opts):
        report = health.readiness()
        if as_json:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(f"status: {report['status']}")
            for name, check in report["checks"].items():
                mark = "ok  " if check["ok"] else "FAIL"
                facts = ", ".join(f"{k}={v}" for k, v in check.items() if k not in ("ok", "detail"))
                self.stdout.write(f"  {mark} {name:<11} {facts}")
                if check.get("detail"):
                    self.stdout.write(f"       {check['detail']}")
        if report["status"] != "ok":
            raise CommandError("not ready: " + "; ".join(n for n, c in report["checks"].items() if not c["ok"]))
