"""Serve the platform: the web server (gunicorn), the task workers and the scheduler, supervised.

``--role`` chooses what this process runs, so that a cluster spreads them over hosts:
``web`` (gunicorn only; any number behind a load balancer), ``worker`` (task workers, one process
group per ``--queues`` value), ``scheduler`` (the periodic jobs; one active across the cluster by
lease) or ``all`` (the default: everything on one host, as ``make run`` does). Every child is
restarted when it dies (``gongzhi.ops.supervisor``).
"""

import os
import shutil
import socket
import sys
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gongzhi.demo.generator import DEMO_PASSWORD
from gongzhi.ops.supervisor import Child, Supervisor

ROLES = ("all", "web", "worker", "scheduler")
# Three worker processes by default, so that no kind of background work waits behind another: the
# ledger's queue (a catch-up of the public record), the other event subscribers' (rollups, burden
# meter, pool), and the periodic jobs (escalation, scans) with anything else.
DEFAULT_QUEUES = ("ledger", "dispatch", "periodic,default")


def holds_demo() -> bool:
    """Does this database hold the demo district, its logins unchanged? (Only then print them.)"""
    from django.contrib.auth import get_user_model

    try:
        user = get_user_model().objects.filter(username="district").first()
        return user is not None and user.check_password(DEMO_PASSWORD)
    except Exception:  # noqa: BLE001 - an unmigrated database holds no demo
        return False


def _schedule(n: int) -> int:
    from django.core.management import call_command

    call_command("schedule")
    return 0


class Command(BaseCommand):
    help = "Serve Gongzhi: gunicorn at http://HOST:PORT, task workers and the scheduler (--role), supervised."

    def add_arguments(self, parser):
        parser.add_argument(
            "--role",
            choices=ROLES,
            default=os.environ.get("GONGZHI_ROLE", "all"),
            help="what to run here: web, worker, scheduler, or all of them (default)",
        )
        parser.add_argument("--host", default=os.environ.get("GONGZHI_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("GONGZHI_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("GONGZHI_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread only)")
        parser.add_argument(
            "--worker-class",
            choices=("gevent", "gthread"),
            default=os.environ.get("GONGZHI_WORKER_CLASS", "gevent"),
            help="gevent (default: a slow client costs a greenlet, not a thread) or gthread",
        )
        parser.add_argument(
            "--worker-connections",
            type=int,
            default=int(os.environ.get("GONGZHI_WORKER_CONNECTIONS", "1000")),
            help="simultaneous connections per worker (gevent)",
        )
        parser.add_argument(
            "--queues",
            action="append",
            default=None,
            help="task queues of one worker process group, comma-separated (ledger, dispatch, periodic, default); "
            f"repeat for several groups (default: {', '.join(DEFAULT_QUEUES)})",
        )
        parser.add_argument(
            "--processes", type=int, default=1, help="task worker processes per --queues group (default 1)"
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="with --role all: do not start the task workers and the scheduler (as --role web)",
        )

    def handle(self, *args, role, host, port, workers, threads, no_worker, worker_class, worker_connections, **opts):
        if role == "all" and no_worker:
            role = "web"
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="gongzhi.settings")
        if worker_class == "gevent":
            # A greenlet per request: a connection kept past its request would never be reused.
            env.setdefault("GONGZHI_CONN_MAX_AGE", "0")
        children: list[Child] = []
        background = "DatabaseBackend" in settings.TASKS["default"]["BACKEND"]
        if role in ("all", "worker"):
            if not background:
                if role == "worker":
                    raise CommandError("GONGZHI_TASKS=immediate runs tasks in the request: there is no worker to run")
            else:
                children += self.workers(opts["queues"] or list(DEFAULT_QUEUES), opts["processes"])
        if role in ("all", "scheduler") and background:
            # Periodic jobs (escalation, alert scan, plan check, outbox sweep): enqueued when due.
            children.append(Child("scheduler", target=_schedule))
        if role in ("all", "web"):
            children.append(self.web(env, host, port, workers, threads, worker_class, worker_connections))
        if not children:
            raise CommandError(f"nothing to run for --role {role} with GONGZHI_TASKS=immediate")
        self.stdout.write(f"共治 Gongzhi ({role}): " + ", ".join(c.name for c in children))
        self.stdout.flush()
        return_code = Supervisor(children, write=lambda line: self.stdout.write(line) or self.stdout.flush()).run()
        if return_code:
            raise CommandError(f"supervisor ended with {return_code}")

    def workers(self, groups: list[str], processes: int) -> list[Child]:
        valid = set(settings.TASKS["default"].get("QUEUES") or ["default"])
        children = []
        host = socket.gethostname().split(".")[0][:20]
        for queues in groups:
            names = [q.strip() for q in queues.split(",") if q.strip()]
            unknown = [q for q in names if q not in valid and q != "*"]
            if not names or unknown:
                raise CommandError(
                    f"--queues {queues!r}: unknown queue(s) {', '.join(unknown) or '(none given)'}; "
                    f"the queues are {', '.join(sorted(valid))}"
                )
            for i in range(max(1, processes)):
                tag = uuid.uuid4().hex[:6]

                def worker_id(n: int, names: list[str] = names, i: int = i, tag: str = tag) -> str:
                    return f"{host}.{'+'.join(names)[:24]}.{i}.{tag}.{n}"

                def run(n: int, names: list[str] = names, worker_id: Callable[[int], str] = worker_id) -> int:
                    from django.core.management import call_command

                    options: dict[str, object] = {
                        "queue_name": ",".join(names),
                        "worker_id": worker_id(n),
                        "interval": 0.5,
                    }
                    if n:  # a restart: the previous process of this slot died; its RUNNING tasks run again
                        options["reclaim_from"] = [worker_id(n - 1)]
                    call_command("worker", startup_delay=False, reload=False, **options)
                    return 0

                # Forked from this process (Django is set up): a restart takes milliseconds, not seconds.
                children.append(Child(f"worker[{','.join(names)}#{i}]", target=run))
        return children

    def web(
        self,
        env: dict[str, str],
        host: str,
        port: int,
        workers: int,
        threads: int,
        worker_class: str,
        worker_connections: int,
    ) -> Child:
        gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which("gunicorn")
        if not gunicorn:
            raise CommandError("gunicorn is not installed in this environment (pip install gunicorn)")
        url = f"http://{host}:{port}/"
        self.stdout.write(f"共治 Gongzhi: {url}")
        if holds_demo():
            self.stdout.write(
                f"演示账号 demo logins (password {DEMO_PASSWORD}): admin (all), district, street, "
                "street2, community, grid, dept, auditor, resident (a resident without a role)"
            )
        argv = [
            gunicorn,
            "gongzhi.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            *(
                ["--worker-class", "gevent", "--worker-connections", str(worker_connections)]
                if worker_class == "gevent"
                else ["--worker-class", "gthread", "--threads", str(threads)]
            ),
            "--timeout",
            "30",
            "--keep-alive",
            "5",
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
            "--graceful-timeout",
            "5",
        ]
        return Child("web", argv=lambda n: argv, env=env)
