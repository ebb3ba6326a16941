"""Serve the platform with a production server (gunicorn) and the task worker."""

import os
import shutil
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gongzhi.demo.generator import DEMO_PASSWORD


def holds_demo() -> bool:
    """Does this database hold the demo district, its logins unchanged? (Only then print them.)"""
    from django.contrib.auth import get_user_model

    try:
        user = get_user_model().objects.filter(username="district").first()
        return user is not None and user.check_password(DEMO_PASSWORD)
    except Exception:  # noqa: BLE001 - an unmigrated database holds no demo
        return False


class Command(BaseCommand):
    help = "Serve Gongzhi at http://HOST:PORT with gunicorn, plus the background task worker."

    def add_arguments(self, parser):
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
            "--no-worker", action="store_true", help="do not start the task worker and the scheduler of periodic jobs"
        )

    def handle(self, *args, host, port, workers, threads, no_worker, worker_class, worker_connections, **opts):
        gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which("gunicorn")
        if not gunicorn:
            raise CommandError("gunicorn is not installed in this environment (pip install gunicorn)")
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="gongzhi.settings")
        if worker_class == "gevent":
            # A greenlet per request: a connection kept past its request would never be reused.
            env.setdefault("GONGZHI_CONN_MAX_AGE", "0")
        children = []
        if not no_worker and "DatabaseBackend" in settings.TASKS["default"]["BACKEND"]:
            children.append(
                subprocess.Popen([sys.executable, "-m", "gongzhi.cli", "worker", "--interval", "1"], env=env)
            )
            # Periodic jobs (escalation, alert scan, plan check, outbox sweep): enqueued when due.
            children.append(
                subprocess.Popen([sys.executable, "-m", "gongzhi.cli", "schedule"], env=env, stdout=subprocess.DEVNULL)
            )
        url = f"http://{host}:{port}/"
        self.stdout.write(f"共治 Gongzhi: {url}")
        if holds_demo():
            self.stdout.write(
                f"演示账号 demo logins (password {DEMO_PASSWORD}): admin (all), district, street, "
                "street2, community, grid, dept, auditor"
            )
        self.stdout.flush()
        server = subprocess.Popen(
            [
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
            ],
            env=env,
        )
        children.append(server)

        def stop(*_):
            for c in children:
                if c.poll() is None:
                    c.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for c in children:
                try:
                    c.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    c.kill()
