"""``gongzhi cluster up|down|status|follow``: a whole cluster on one machine (``gongzhi.ops.cluster``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongzhi.ops import cluster


class Command(BaseCommand):
    help = (
        "A cluster on one machine under VAR_DIR/cluster: pg_auto_failover monitor + two PostgreSQL nodes, "
        "two PgBouncers, two web nodes, two task workers, the scheduler and nginx (up | down [--purge] | status), "
        "or the PgBouncer follower of a deployment (follow)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        up = sub.add_parser("up", help="start every process (those running are kept)")
        up.add_argument("--no-demo", action="store_true", help="migrate only: no tiny demo district")
        down = sub.add_parser("down", help="stop every process; the data stays")
        down.add_argument("--purge", action="store_true", help="also remove VAR_DIR/cluster")
        st = sub.add_parser("status", help="each process, the primary, the URLs")
        st.add_argument("--json", action="store_true")
        for p in (up, down, st):
            p.add_argument(
                "--base-port",
                type=int,
                default=None,
                help=f"first of the cluster's loopback ports (default $GONGZHI_CLUSTER_PORT or {cluster.DEFAULT_BASE_PORT})",
            )
        fo = sub.add_parser("follow", help="keep a PgBouncer pointed at the primary the monitor names")
        fo.add_argument("--ini", required=True, help="the pgbouncer.ini whose [databases] entries are re-pointed")
        fo.add_argument("--admin-port", type=int, default=6432, help="PgBouncer's port (admin console: RELOAD)")
        fo.add_argument("--monitor", required=True, help="the monitor's URL (pg_autoctl show uri --monitor)")

    def handle(self, *args: Any, action: str, **opts: Any) -> None:
        def say(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        try:
            if action == "follow":
                cluster.follow(Path(opts["ini"]), opts["admin_port"], opts["monitor"], write=say)
                return
            layout = cluster.default_layout(opts["base_port"])
            if action == "up":
                cluster.up(layout, say=say, demo=None if opts["no_demo"] else "tiny")
                for line in cluster.format_status(cluster.status(layout)):
                    say(line)
            elif action == "down":
                cluster.down(layout, purge=opts["purge"], say=say)
            else:
                st = cluster.status(layout)
                if opts["json"]:
                    say(json.dumps(st, indent=2, default=str))
                else:
                    for line in cluster.format_status(st):
                        say(line)
        except cluster.ClusterError as exc:
            raise CommandError(str(exc)) from None
