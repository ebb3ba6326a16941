"""Enqueue the periodic jobs when they are due (see ``gongzhi.core.schedule``)."""

import time

from django.core.management.base import BaseCommand, CommandError

from gongzhi.core import schedule


class Command(BaseCommand):
    help = "Enqueue periodic jobs (escalation, alert scan, plan check, outbox sweep) when due; --list shows them."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="enqueue what is due now and exit")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between checks (default 30)")
        parser.add_argument("--list", dest="show", action="store_true", help="list the jobs and when each last ran")

    def handle(self, *args, once, interval, show, **opts):
        if show:
            from gongzhi.core.models import ScheduledJob

            last = {s.name: s.last_enqueued_at for s in ScheduledJob.objects.all()}
            for job in schedule.JOBS:
                when = last.get(job.name)
                self.stdout.write(
                    f"{job.name:28} every {job.every}  last {when.isoformat() if when else '—'}  {job.why}"
                )
            return
        if interval <= 0:
            raise CommandError("--interval must be positive (seconds)")
        while True:
            for name in schedule.run_due():
                self.stdout.write(f"enqueued {name}")
            self.stdout.flush()
            if once:
                return
            time.sleep(interval)
