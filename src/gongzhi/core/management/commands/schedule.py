"""Enqueue the periodic jobs when they are due (see ``gongzhi.core.schedule``), while holding the lease."""

import datetime as dt
import os
import socket
import time
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from gongzhi.core import leases, schedule

LEASE = "scheduler"


class Command(BaseCommand):
    help = (
        "Enqueue periodic jobs (escalation, alert scan, plan check, outbox sweep) when due, while this "
        "process holds the cluster's scheduler lease; --list shows them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="enqueue what is due now and exit")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between checks (default 5)")
        parser.add_argument(
            "--lease-seconds",
            type=float,
            default=float(os.environ.get("GONGZHI_SCHEDULER_LEASE_SECONDS", "20")),
            help="how long the lease lasts unless renewed: a standby takes over this long after the active "
            "scheduler died (default 20)",
        )
        parser.add_argument("--list", dest="show", action="store_true", help="list the jobs and when each last ran")

    def handle(self, *args, once, interval, lease_seconds, show, **opts):
        if show:
            from gongzhi.core.models import ScheduledJob

            last = {s.name: s.last_enqueued_at for s in ScheduledJob.objects.all()}
            current = leases.holder(LEASE)
            self.stdout.write(f"active scheduler: {current.holder if current else '—'}")
            for job in schedule.JOBS:
                when = last.get(job.name)
                self.stdout.write(
                    f"{job.name:28} every {job.every}  last {when.isoformat() if when else '—'}  {job.why}"
                )
            return
        if interval <= 0:
            raise CommandError("--interval must be positive (seconds)")
        if lease_seconds <= interval:
            raise CommandError("--lease-seconds must be longer than --interval, or the lease lapses between checks")
        me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        ttl = dt.timedelta(seconds=lease_seconds)
        active = False
        try:
            while True:
                try:
                    holding = leases.acquire(LEASE, me, ttl)
                except Exception as exc:  # noqa: BLE001 - the database is away (failover): try again
                    self.stderr.write(f"scheduler {me}: could not renew the lease: {exc}")
                    holding = False
                if holding != active:
                    active = holding
                    self.stdout.write(f"scheduler {me}: {'active' if active else 'standby'}")
                if active:
                    for name in schedule.run_due():
                        self.stdout.write(f"enqueued {name}")
                self.stdout.flush()
                if once:
                    return
                time.sleep(interval)
                close_old_connections()  # between checks, as between requests (a dropped or aged connection)
        finally:
            if active:
                try:
                    leases.release(LEASE, me)
                except Exception:  # noqa: BLE001 - the lease then expires by itself
                    pass
