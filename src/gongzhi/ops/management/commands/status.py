"""``gongzhi status``: the readiness report of ``/readyz`` on the command line (exit 1 when not ready);
``--probe QUEUE`` also sends a probe task through a queue and says how long its workers took to start it."""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gongzhi.ops import health


class Command(BaseCommand):
    help = "Is the platform ready to serve? Database, migrations, task worker, ledger backlog (exit 1 if not)."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print the report as JSON (as /readyz does)"
        )
        parser.add_argument(
            "--probe",
            metavar="QUEUE",
            action="append",
            default=[],
            help="enqueue a probe task on QUEUE and wait for a worker to start it (repeatable)",
        )
        parser.add_argument("--probe-timeout", type=float, default=30.0, help="seconds to wait for a probe (30)")

    def handle(self, *args, as_json: bool = False, probe=(), probe_timeout: float = 30.0, **opts):
        for queue in probe:
            self.probe(queue, probe_timeout)
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

    def probe(self, queue: str, timeout: float) -> None:
        from django_tasks_db.models import DBTaskResult

        from gongzhi.ops.tasks import probe

        queues = settings.TASKS["default"].get("QUEUES") or ["default"]
        if queue not in queues:
            raise CommandError(f"--probe {queue!r}: no such queue; the queues are {', '.join(queues)}")
        if not health.uses_workers():
            raise CommandError(
                "--probe needs the database task backend (GONGZHI_TASKS=database): tasks run in the request"
            )
        result = probe.using(queue_name=queue).enqueue(0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = DBTaskResult.objects.filter(id=result.id).values("enqueued_at", "started_at").first()
            if row and row["started_at"]:
                wait = (row["started_at"] - row["enqueued_at"]).total_seconds()
                self.stdout.write(f"probe on {queue}: started after {wait:.2f} s")
                return
            time.sleep(0.1)
        DBTaskResult.objects.filter(id=result.id, status="READY").delete()
        raise CommandError(
            f"probe on {queue}: no worker started it within {timeout:.0f} s (is a worker taking {queue}?)"
        )
