"""``gongzhi worker``: the background task worker (django-tasks-db's ``db_worker``) with a heartbeat.

It takes the tasks of ``--queue-name`` (comma-separated; every queue by default: ``ledger``,
``dispatch``, ``periodic``, ``default``). A thread records the process's heartbeat every ``--beat``
seconds (``ops.WorkerHeartbeat``), so ``/readyz`` and ``gongzhi status`` can tell that background
work is being taken, even while a long task runs; a clean shutdown removes the row. At start, and
with every beat, tasks left RUNNING by a dead worker are put back on their queue
(``ops.services.reclaim``): at once for the workers named by ``--reclaim-from`` (``gongzhi serve``'s
supervisor names the one it saw die), after ``GONGZHI_WORKER_DEAD_AFTER`` seconds of silence for any
other (a host that died with its supervisor).
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from gongzhi.ops import services

log = logging.getLogger("gongzhi.ops")


class Heart(threading.Thread):
    def __init__(self, worker_id: str, queues: str, every: float):
        super().__init__(name="gongzhi-heartbeat", daemon=True)
        self.worker_id, self.queues, self.every = worker_id, queues, every
        self.started = timezone.now()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            wait = self.every
            try:
                close_old_connections()
                services.beat(self.worker_id, queues=self.queues, started_at=self.started)
                services.reclaim()
            except Exception:  # noqa: BLE001 - a missed beat is logged and tried again within a second
                log.exception("heartbeat of worker %s failed", self.worker_id)
                wait = min(1.0, self.every)
            self.stopping.wait(wait)
        connection.close()


class Command(DbWorkerCommand):
    help = "Run the background task worker, recording a heartbeat for /readyz."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--beat", type=float, default=10.0, help="seconds between heartbeats (default 10)")
        parser.add_argument(
            "--reclaim-from",
            action="append",
            default=[],
            metavar="WORKER_ID",
            help="a worker known to be dead: its RUNNING tasks are queued again before this one starts",
        )
        parser.set_defaults(queue_name="*")

    def handle(self, *args, beat: float = 10.0, reclaim_from: list[str] | None = None, **options):
        if reclaim_from:
            back = services.reclaim(dead=tuple(reclaim_from))
            if back:
                log.warning("queued again %d task(s) of dead worker(s) %s", len(back), ", ".join(reclaim_from))
        heart = Heart(options["worker_id"], options.get("queue_name") or "*", beat)
        heart.start()
        try:
            super().handle(*args, **options)
        finally:
            heart.stopping.set()
            heart.join(timeout=5)
            try:
                services.stop(heart.worker_id)
            except Exception:  # noqa: BLE001
                log.exception("could not remove the heartbeat of worker %s", heart.worker_id)
