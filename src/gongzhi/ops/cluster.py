"""A whole Gongzhi cluster on one machine: ``gongzhi cluster up|down|status``.

Under ``VAR_DIR/cluster/`` (``$GONGZHI_VAR_DIR/cluster``), on loopback ports from a base port (default
24400, below the ephemeral ports 32768-60999 that outgoing connections take), as separate processes:

=============  ==========  ==========================================================================
process        port        what
=============  ==========  ==========================================================================
nginx          base        balances web1/web2; a connection error goes to the next one
monitor        base+1      pg_auto_failover monitor (PostgreSQL with the pgautofailover extension)
pg1, pg2       base+2, +3  PostgreSQL 15 nodes, each run by its pg_autoctl keeper; synchronous standby
pgbouncer1, 2  base+4, +5  PgBouncer (transaction pooling), each pointed at the current primary
follow1, 2     —           re-point their PgBouncer when the monitor names a new primary (:func:`follow`)
web1, web2     base+6, +7  ``gongzhi serve --role web`` (gunicorn)
worker1, 2     —           ``gongzhi serve --role worker`` (supervised task workers, every queue)
scheduler      —           ``gongzhi serve --role scheduler``
=============  ==========  ==========================================================================

The app's ``DATABASE_URL`` names both PgBouncers (``postgresql://gongzhi@127.0.0.1:B+4,127.0.0.1:B+5/gongzhi``):
psycopg moves to the next one when a PgBouncer does not answer. Why PgBouncers that follow the monitor
rather than one PgBouncer per database node with ``target_session_attrs=read-write``: PgBouncer 1.18
answers a new client with the parameters it cached from its *first* server connection, ``in_hot_standby``
included, and libpq (14+) decides "read-write" from those without asking. A PgBouncer in front of the
old primary, now a standby, keeps saying ``in_hot_standby=off``: libpq takes it, and every write fails
("cannot execute … in a read-only transaction"). Measured while building this; see docs/deploy.md.

PostgreSQL refuses to run as root: the database processes (pg_autoctl, postgres, pgbouncer) run as the
``postgres`` user in directories it owns. Failover tuning (seconds, not a minute) is in
:data:`MONITOR_GUCS` and :data:`KEEPER_TIMEOUTS`.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_BASE_PORT = 24400  # below Linux's ephemeral range, where an outgoing connection could hold a port
DB_NAME = "gongzhi"
DB_USER = "gongzhi"
PG_USER = "postgres"

# The monitor's health checks (milliseconds). Defaults: period 5000, timeout 5000, 2 retries 2000 ms apart,
# unhealthy after 20000 without a report, primary demoted after 30000: a failover took about a minute.
# Here: a node whose PostgreSQL does not answer for ~2 s and whose keeper has not reported for 2 s is
# unhealthy; the standby is promoted once the old primary had 4 s to demote itself (its keeper does so
# after KEEPER_TIMEOUTS["network_partition_timeout"] = 3 s alone, so 4 s keeps split-brain out).
MONITOR_GUCS = {
    "pgautofailover.health_check_period": 1000,
    "pgautofailover.health_check_timeout": 1000,
    "pgautofailover.health_check_max_retries": 1,
    "pgautofailover.health_check_retry_delay": 500,
    "pgautofailover.node_considered_unhealthy_timeout": 2000,
    "pgautofailover.primary_demote_timeout": 4000,
    "pgautofailover.startup_grace_period": 3000,
}
# The keepers' timeouts (seconds; defaults 20, 30, 5, 20).
KEEPER_TIMEOUTS = {
    "timeout.network_partition_timeout": 3,
    "timeout.prepare_promotion_catchup": 5,
    "timeout.prepare_promotion_walreceiver": 2,
    "timeout.postgresql_restart_failure_timeout": 5,
}
APP_PROCESSES = ("web1", "web2", "worker1", "worker2", "scheduler")


class ClusterError(RuntimeError):
    """Something the operator must fix (a tool missing, a port taken, a step that failed)."""


# --- where things are -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    root: Path
    base_port: int = DEFAULT_BASE_PORT
    web_workers: int = 2

    @property
    def ports(self) -> dict[str, int]:
        b = self.base_port
        return {
            "nginx": b,
            "monitor": b + 1,
            "pg1": b + 2,
            "pg2": b + 3,
            "pgbouncer1": b + 4,
            "pgbouncer2": b + 5,
            "web1": b + 6,
            "web2": b + 7,
        }

    @property
    def pg(self) -> Path:  # owned by postgres
        return self.root / "pg"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def pids(self) -> Path:
        return self.root / "pids"

    def pgdata(self, name: str) -> Path:
        return self.pg / name

    @property
    def monitor_url(self) -> str:
        return f"postgres://autoctl_node@127.0.0.1:{self.ports['monitor']}/pg_auto_failover?sslmode=disable"

    @property
    def database_url(self) -> str:
        p = self.ports
        return (
            f"postgresql://{DB_USER}@127.0.0.1:{p['pgbouncer1']},127.0.0.1:{p['pgbouncer2']}/{DB_NAME}"
            "?connect_timeout=3"
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['nginx']}"

    def node_var(self, name: str) -> Path:
        return self.root / "nodes" / name


def default_layout(base_port: int | None = None) -> Layout:
    from django.conf import settings

    port = base_port or int(os.environ.get("GONGZHI_CLUSTER_PORT", DEFAULT_BASE_PORT))
    return Layout(root=Path(settings.VAR_DIR) / "cluster", base_port=port)


# --- tools ------------------------------------------------------------------------------------------


def pg_bindir() -> Path | None:
    """The newest PostgreSQL whose lib holds pg_auto_failover's extension."""
    for lib in sorted(glob.glob("/usr/lib/postgresql/*/lib/pgautofailover.so"), reverse=True):
        return Path(lib).parent.parent / "bin"
    return None


def pg_autoctl() -> str | None:
    bindir = pg_bindir()
    if bindir and (bindir / "pg_autoctl").exists():
        return str(bindir / "pg_autoctl")
    return shutil.which("pg_autoctl")


def missing_tools() -> list[str]:
    """What `cluster up` needs and this machine lacks (empty when it can run)."""
    missing = []
    if not pg_bindir() or not pg_autoctl():
        missing.append("pg_autoctl (Debian: postgresql-15-auto-failover)")
    if not shutil.which("pgbouncer") and not Path("/usr/sbin/pgbouncer").exists():
        missing.append("pgbouncer (Debian: pgbouncer)")
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        missing.append("nginx (Debian: nginx)")
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        missing.append(f"the {PG_USER} user (Debian: postgresql-15)")
    return missing


def _tool(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


# --- processes --------------------------------------------------------------------------------------


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def _dead(pid: int) -> bool:
    return not _alive(pid)


def read_pid(layout: Layout, name: str) -> int | None:
    try:
        return int((layout.pids / f"{name}.pid").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def postmaster_pid(layout: Layout, name: str) -> int | None:
    try:
        return int((layout.pgdata(name) / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def children(pid: int) -> list[int]:
    out = []
    for task in glob.glob(f"/proc/{pid}/task/*/children"):
        with contextlib.suppress(FileNotFoundError):
            out += [int(x) for x in Path(task).read_text().split()]
    return out


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        out += kids
        todo += kids
    return out


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def _pg_env(layout: Layout) -> dict[str, str]:
    bindir = pg_bindir()
    run = layout.pg / "run"
    return {
        "PATH": f"{bindir}:/usr/bin:/bin:/usr/sbin:/sbin",
        "HOME": str(layout.pg),
        "XDG_CONFIG_HOME": str(layout.pg / "config"),
        "XDG_DATA_HOME": str(layout.pg / "share"),
        "XDG_RUNTIME_DIR": str(run),
        "PG_CONFIG": str(bindir / "pg_config") if bindir else "pg_config",
        "LANG": "C.UTF-8",
        "PGCONNECT_TIMEOUT": "3",
    }


def _as_postgres() -> dict[str, Any]:
    """Popen arguments that run a command as the postgres user when we are root."""
    if os.geteuid() != 0:
        return {}
    pw = pwd.getpwnam(PG_USER)
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}


def _chown_pg(path: Path) -> None:
    if os.geteuid() == 0:
        pw = pwd.getpwnam(PG_USER)
        os.chown(path, pw.pw_uid, pw.pw_gid)


def pg_run(layout: Layout, argv: list[str], *, check: bool = True, timeout: float = 180) -> str:
    """Run a command as the postgres user and wait; its output, or ClusterError with it."""
    r = subprocess.run(
        argv,
        env=_pg_env(layout),
        cwd=layout.pg,
        capture_output=True,
        text=True,
        timeout=timeout,
        **_as_postgres(),
    )
    if check and r.returncode:
        raise ClusterError(f"{' '.join(argv[:3])} … failed ({r.returncode}):\n{(r.stdout + r.stderr)[-3000:]}")
    return r.stdout


def spawn(layout: Layout, name: str, argv: list[str], env: dict[str, str], *, as_postgres: bool = False) -> int:
    """Start ``argv`` in the background in its own session, output to logs/NAME.log; its pid is kept."""
    log = open(layout.logs / f"{name}.log", "ab")
    extra = _as_postgres() if as_postgres else {}
    proc = subprocess.Popen(
        argv,
        env=env,
        cwd=layout.pg if as_postgres else layout.root,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        **extra,
    )
    log.close()
    (layout.pids / f"{name}.pid").write_text(f"{proc.pid}\n")
    return proc.pid


def wait_for(what: str, test: Callable[[], bool], timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        if time.monotonic() > deadline:
            tail = ""
            if log and log.exists():
                tail = "\n" + log.read_text(errors="replace")[-2500:]
            raise ClusterError(f"{what}: not ready after {timeout:.0f} s{tail}")
        time.sleep(0.3)


def _pg_connect(port: int, dbname: str = "postgres", user: str = PG_USER, **kw: Any) -> Any:
    import psycopg

    return psycopg.connect(
        host="127.0.0.1", port=port, dbname=dbname, user=user, connect_timeout=3, autocommit=True, **kw
    )


def _answers(port: int, dbname: str = "postgres", user: str = PG_USER) -> bool:
    try:
        with _pg_connect(port, dbname, user) as conn:
            conn.execute("select 1")
        return True
    except Exception:  # noqa: BLE001 - not yet
        return False


# --- the database tier ------------------------------------------------------------------------------


def monitor_state(layout: Layout) -> list[dict[str, Any]]:
    """The monitor's view of each node: name, port, reported and assigned state, health."""
    with _pg_connect(layout.ports["monitor"], "pg_auto_failover", "autoctl_node") as conn:
        rows = conn.execute(
            "select nodename, nodeport, reportedstate::text, goalstate::text, health, reportedlsn::text "
            "from pgautofailover.node order by nodeid"
        ).fetchall()
    return [{"name": r[0], "port": r[1], "reported": r[2], "assigned": r[3], "health": r[4], "lsn": r[5]} for r in rows]


def current_primary(layout_or_url: Layout | str) -> tuple[str, str, int] | None:
    """(name, host, port) of the node the monitor holds as primary, or None during a failover."""
    url = layout_or_url.monitor_url if isinstance(layout_or_url, Layout) else layout_or_url
    import psycopg

    with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
        try:
            row = conn.execute("select * from pgautofailover.get_primary('default', 0)").fetchone()
        except psycopg.Error:
            return None
    if not row:
        return None
    _id, name, host, port = row
    return name, host, int(port)


def _node_state(layout: Layout, name: str) -> str | None:
    with contextlib.suppress(Exception):
        for n in monitor_state(layout):
            if n["name"] == name:
                return n["reported"]
    return None


def _keeper_config(layout: Layout, name: str) -> None:
    """Set the keeper's timeouts (KEEPER_TIMEOUTS). The running keeper rewrites its configuration file
    now and then, so a read that meets a half-written file is tried again."""
    ctl = pg_autoctl()
    assert ctl
    settings = {**{k: str(v) for k, v in KEEPER_TIMEOUTS.items()}, "ssl.sslmode": "disable"}
    for key, value in settings.items():
        for attempt in range(10):
            try:
                pg_run(layout, [ctl, "config", "set", "--pgdata", str(layout.pgdata(name)), key, value])
                break
            except ClusterError:
                if attempt == 9:
                    raise
                time.sleep(0.5)


def start_monitor(layout: Layout, say: Callable[[str], None]) -> None:
    ctl = pg_autoctl()
    assert ctl
    pgdata = layout.pgdata("monitor")
    port = layout.ports["monitor"]
    if not (pgdata / "PG_VERSION").exists():
        say(f"monitor: pg_autoctl create monitor (port {port})")
        pg_run(
            layout,
            [
                ctl,
                "create",
                "monitor",
                "--pgdata",
                str(pgdata),
                "--pgport",
                str(port),
                "--hostname",
                "127.0.0.1",
                "--auth",
                "trust",
                "--no-ssl",
                "--pgctl",
                str(pg_bindir() / "pg_ctl"),  # type: ignore[operator]
            ],
        )
        pg_run(layout, [ctl, "config", "set", "--pgdata", str(pgdata), "postgresql.listen_addresses", "127.0.0.1"])
    if not _alive(read_pid(layout, "monitor")):
        spawn(layout, "monitor", [ctl, "run", "--pgdata", str(pgdata)], _pg_env(layout), as_postgres=True)
    wait_for("monitor", lambda: _answers(port, "pg_auto_failover", "autoctl_node"), 60, layout.logs / "monitor.log")
    with _pg_connect(port, "pg_auto_failover") as conn:
        for guc, value in MONITOR_GUCS.items():
            conn.execute(f"alter system set {guc} = {int(value)}")
        conn.execute("select pg_reload_conf()")


def start_node(layout: Layout, name: str, say: Callable[[str], None]) -> None:
    """Create (first time) or run the keeper of pg1/pg2; a new node joins as the synchronous standby."""
    ctl = pg_autoctl()
    assert ctl
    pgdata = layout.pgdata(name)
    port = layout.ports[name]
    if _alive(read_pid(layout, name)):
        return
    if not (pgdata / "PG_VERSION").exists():
        say(f"{name}: pg_autoctl create postgres (port {port})")
        # --run: a second node's pg_basebackup happens in the keeper's state machine.
        spawn(
            layout,
            name,
            [
                ctl,
                "create",
                "postgres",
                "--pgdata",
                str(pgdata),
                "--pgport",
                str(port),
                "--pghost",
                "127.0.0.1",
                "--listen",
                "127.0.0.1",
                "--hostname",
                "127.0.0.1",
                "--name",
                name,
                "--dbname",
                DB_NAME,
                "--auth",
                "trust",
                "--no-ssl",
                "--pgctl",
                str(pg_bindir() / "pg_ctl"),  # type: ignore[operator]
                "--monitor",
                layout.monitor_url,
                "--run",
            ],
            _pg_env(layout),
            as_postgres=True,
        )
        created = True
    else:
        spawn(layout, name, [ctl, "run", "--pgdata", str(pgdata)], _pg_env(layout), as_postgres=True)
        created = False
    if created:

        def ready() -> bool:
            state = _node_state(layout, name)
            if state in ("primary", "single", "wait_primary", "secondary"):
                return True
            if state in ("wait_standby", "catchingup"):
                # pg_basebackup waits for a checkpoint on the primary: ask for one now.
                primary = current_primary(layout)
                if primary:
                    with contextlib.suppress(Exception), _pg_connect(primary[2]) as conn:
                        conn.execute("checkpoint")
            return False

        wait_for(f"{name} joins", ready, 240, layout.logs / f"{name}.log")
        _keeper_config(layout, name)
        pg_run(layout, [ctl, "reload", "--pgdata", str(pgdata)], check=False)


def wait_replicated(layout: Layout, timeout: float = 240) -> None:
    """Until one node is primary and the other its (synchronous) secondary."""

    def ok() -> bool:
        try:
            states = sorted(n["reported"] for n in monitor_state(layout))
            return states == ["primary", "secondary"]
        except Exception:  # noqa: BLE001
            return False

    wait_for("primary + secondary", ok, timeout, layout.logs / "pg2.log")


def ensure_database(layout: Layout) -> None:
    primary = current_primary(layout)
    if not primary:
        raise ClusterError("no primary: see `gongzhi cluster status`")
    with _pg_connect(primary[2]) as conn:
        if not conn.execute("select 1 from pg_roles where rolname = %s", [DB_USER]).fetchone():
            conn.execute(f'create role "{DB_USER}" login')
        conn.execute(f'alter database "{DB_NAME}" owner to "{DB_USER}"')


# --- PgBouncer and its follower ---------------------------------------------------------------------


def pgbouncer_ini(layout: Layout, name: str, target_port: int) -> str:
    d = layout.root / "pgbouncer"
    return f"""\
;; Written by `gongzhi cluster up`. [databases] is re-pointed by `gongzhi cluster follow` when the
;; pg_auto_failover monitor names a new primary.
[databases]
{DB_NAME} = host=127.0.0.1 port={target_port} dbname={DB_NAME}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {layout.ports[name]}
unix_socket_dir =
auth_type = trust
auth_file = {d / "userlist.txt"}
admin_users = {PG_USER}
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
;; A dead server is noticed fast and retried every second, not every 15 s.
server_connect_timeout = 2
server_login_retry = 1
query_wait_timeout = 20
ignore_startup_parameters = extra_float_digits,options
pidfile = {d / (name + ".pid")}
"""


def repoint_ini(text: str, host: str, port: int) -> str:
    """Every [databases] entry of a pgbouncer.ini pointed at host:port (other settings kept)."""
    out, section = [], ""
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped.lower()
        elif section == "[databases]" and "=" in line and not stripped.startswith((";", "#")):
            line = re.sub(r"\bhost=\S+", f"host={host}", line)
            line = re.sub(r"\bport=\d+", f"port={port}", line)
        out.append(line)
    return "".join(out)


def ini_target(text: str) -> tuple[str, int] | None:
    m = re.search(r"^\[databases\].*?\bhost=(\S+).*?\bport=(\d+)", text, re.S | re.M)
    return (m.group(1), int(m.group(2))) if m else None


def pgbouncer_admin(port: int, *commands: str) -> None:
    """Commands on PgBouncer's admin console (simple query protocol)."""
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=port, dbname="pgbouncer", user=PG_USER, autocommit=True, connect_timeout=3
    ) as conn:
        for command in commands:
            conn.pgconn.exec_(command.encode())


def follow(
    ini: Path,
    admin_port: int,
    monitor_url: str,
    *,
    interval: float = 0.5,
    write: Callable[[str], None] = print,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Keep a PgBouncer pointed at the primary: poll the monitor every ``interval`` s (and wake on its
    ``state`` notifications); when it names another primary, rewrite the [databases] entries of ``ini``,
    RELOAD PgBouncer and RECONNECT its pools (server connections to the old node are closed as they are
    released). During a failover, while the monitor names no primary, the old target stays: clients get
    errors and retry."""
    import psycopg

    conn = None
    while not stop():
        try:
            if conn is None or conn.closed:
                conn = psycopg.connect(monitor_url, connect_timeout=3, autocommit=True)
                conn.execute("listen state")
            # (node id, name, host, port) of the node the monitor holds as primary.
            row = conn.execute("select * from pgautofailover.get_primary('default', 0)").fetchone()
            row = row[2:4] if row else None
            text = ini.read_text()
            if row and ini_target(text) != (row[0], int(row[1])):
                ini.write_text(repoint_ini(text, row[0], int(row[1])))
                try:
                    pgbouncer_admin(admin_port, "RELOAD", f"RECONNECT {DB_NAME}")
                except Exception as exc:  # noqa: BLE001 - PgBouncer down: it reads the file when it starts
                    write(f"pgbouncer {admin_port} not reachable ({exc}); the file is updated")
                write(f"{time.strftime('%H:%M:%S', time.gmtime())} primary is {row[0]}:{row[1]}: {ini} re-pointed")
            for _ in conn.notifies(timeout=interval, stop_after=1):
                pass
        except psycopg.Error as exc:
            if "no primary" not in str(exc).lower() and "could not find" not in str(exc).lower():
                write(f"{time.strftime('%H:%M:%S', time.gmtime())} monitor: {str(exc).strip().splitlines()[0]}")
            with contextlib.suppress(Exception):
                if conn is not None:
                    conn.close()
            conn = None
            time.sleep(interval)


def start_pgbouncers(layout: Layout) -> None:
    d = layout.root / "pgbouncer"
    d.mkdir(exist_ok=True)
    _chown_pg(d)
    users = d / "userlist.txt"
    users.write_text(f'"{DB_USER}" ""\n"{PG_USER}" ""\n')
    primary = current_primary(layout)
    if not primary:
        raise ClusterError("no primary to point PgBouncer at")
    for i in (1, 2):
        name = f"pgbouncer{i}"
        ini = d / f"{name}.ini"
        ini.write_text(pgbouncer_ini(layout, name, primary[2]))
        for f in (users, ini):
            _chown_pg(f)
        if not _alive(read_pid(layout, name)):
            spawn(layout, name, [_tool("pgbouncer"), str(ini)], _pg_env(layout), as_postgres=True)
        else:
            pgbouncer_admin(layout.ports[name], "RELOAD", f"RECONNECT {DB_NAME}")
        wait_for(name, functools.partial(port_open, layout.ports[name]), 20, layout.logs / f"{name}.log")
        follower = f"follow{i}"
        if not _alive(read_pid(layout, follower)):
            spawn(
                layout,
                follower,
                [
                    sys.executable,
                    "-m",
                    "gongzhi.ops.cluster",
                    "follow",
                    str(ini),
                    str(layout.ports[name]),
                    layout.monitor_url,
                ],
                dict(os.environ, PYTHONUNBUFFERED="1"),
            )


# --- the app ----------------------------------------------------------------------------------------


def redis_answers(host: str = "127.0.0.1", port: int = 6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _secret(path: Path, make: Callable[[Path], object]) -> None:
    if not path.exists():
        make(path)
    path.chmod(0o600)


def app_env(layout: Layout, node: str) -> dict[str, str]:
    """The environment every app process of the cluster gets (GONGZHI_VAR_DIR per node)."""
    drop = {"DATABASE_URL", "DATABASE_REPLICA_URL", "GONGZHI_VAR_DIR", "GONGZHI_TASKS", "GONGZHI_MEDIA_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PYTEST")}
    var = layout.node_var(node)
    var.mkdir(parents=True, exist_ok=True)
    env.update(
        DJANGO_SETTINGS_MODULE="gongzhi.settings",
        GONGZHI_SECRET_KEY=(layout.root / "secret_key").read_text().strip(),
        GONGZHI_LEDGER_KEY=str(layout.root / "ledger.key"),
        DATABASE_URL=layout.database_url,
        GONGZHI_PGBOUNCER="1",
        GONGZHI_DB_PREPARE="0",
        GONGZHI_CONN_MAX_AGE="0",
        GONGZHI_VAR_DIR=str(var),
        GONGZHI_MEDIA_DIR=str(layout.root / "media"),
        GONGZHI_ALLOWED_HOSTS="127.0.0.1,localhost",
        GONGZHI_CLIENT_IP_HEADER="X-Real-IP",
        GONGZHI_TASKS="database",
        PYTHONUNBUFFERED="1",
    )
    if redis_answers():
        env["GONGZHI_REDIS_URL"] = "redis://127.0.0.1:6379/0"
    return env


def gongzhi(layout: Layout, node: str, *args: str, timeout: float = 900) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "gongzhi.cli", *args],
        env=app_env(layout, node),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=layout.root,
    )
    if r.returncode:
        raise ClusterError(f"gongzhi {' '.join(args)} failed:\n{(r.stdout + r.stderr)[-3000:]}")
    return r.stdout


def ensure_secrets(layout: Layout) -> None:
    _secret(layout.root / "secret_key", lambda p: p.write_text(secrets.token_urlsafe(50) + "\n"))
    key = layout.root / "ledger.key"
    if not key.exists():
        r = subprocess.run(
            [sys.executable, "-m", "gongzhi.cli", "ledger", "keygen", "--out", str(key)],
            env=dict(app_env(layout, "admin"), GONGZHI_LEDGER_KEY=""),
            capture_output=True,
            text=True,
        )
        if r.returncode or not key.exists():
            raise ClusterError(f"gongzhi ledger keygen failed:\n{r.stdout}{r.stderr}")
    key.chmod(0o600)


def app_argv(layout: Layout, name: str) -> list[str]:
    """The command line of an app process: a web node, a task worker host (its default worker groups:
    ledger, dispatch, periodic+default, each supervised) or the scheduler."""
    cli = [sys.executable, "-m", "gongzhi.cli", "serve"]
    if name.startswith("web"):
        return [
            *cli,
            "--role",
            "web",
            "--host",
            "127.0.0.1",
            "--port",
            str(layout.ports[name]),
            "--workers",
            str(layout.web_workers),
        ]
    if name.startswith("worker"):
        return [*cli, "--role", "worker"]
    return [*cli, "--role", "scheduler"]


def start_app(layout: Layout, name: str) -> int:
    pid = read_pid(layout, name)
    if _alive(pid):
        assert pid
        return pid
    return spawn(layout, name, app_argv(layout, name), app_env(layout, name))


def web_ready(layout: Layout, name: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{layout.ports[name]}/healthz", timeout=2) as r:
            return r.status == 200
    except Exception:  # noqa: BLE001
        return False


def nginx_conf(layout: Layout) -> str:
    n = layout.root / "nginx"
    p = layout.ports
    user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
    return f"""\
# Written by `gongzhi cluster up`: nginx balancing the cluster's two web nodes.
{user}worker_processes 1;
daemon off;
pid {n / "nginx.pid"};
error_log {layout.logs / "nginx-error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$time_iso8601 $status $request_method $uri rt=$request_time '
                        'up=$upstream_addr us=$upstream_status ut=$upstream_response_time';
    access_log {layout.logs / "nginx-access.log"} upstream;
    client_body_temp_path {n / "tmp/body"};
    proxy_temp_path {n / "tmp/proxy"};
    fastcgi_temp_path {n / "tmp/fastcgi"};
    uwsgi_temp_path {n / "tmp/uwsgi"};
    scgi_temp_path {n / "tmp/scgi"};
    client_max_body_size 40m;
    upstream gongzhi {{
        # A node that refuses a connection is left out for 2 s, then tried again.
        server 127.0.0.1:{p["web1"]} max_fails=1 fail_timeout=2s;
        server 127.0.0.1:{p["web2"]} max_fails=1 fail_timeout=2s;
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{p["nginx"]};
        location / {{
            proxy_pass http://gongzhi;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # A connection error or timeout before the request was sent goes to the other node (POST
            # included: nginx retries a non-idempotent request only if nothing was sent yet).
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 1s;
            proxy_read_timeout 120s;
        }}
    }}
}}
"""


def start_nginx(layout: Layout) -> None:
    n = layout.root / "nginx"
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (n / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(n / "tmp" / sub, nobody.pw_uid, nobody.pw_gid)
    conf = n / "nginx.conf"
    conf.write_text(nginx_conf(layout))
    if _alive(read_pid(layout, "nginx")):
        return
    r = subprocess.run([_tool("nginx"), "-t", "-c", str(conf), "-p", str(n)], capture_output=True, text=True)
    if r.returncode:
        raise ClusterError(f"nginx -t failed:\n{r.stderr}")
    spawn(layout, "nginx", [_tool("nginx"), "-c", str(conf), "-p", str(n)], dict(os.environ))
    wait_for("nginx", lambda: port_open(layout.ports["nginx"]), 20, layout.logs / "nginx-error.log")


# --- up / down / status -----------------------------------------------------------------------------


def ours(layout: Layout) -> set[str]:
    """Names of this cluster's processes that are running."""
    names = ["monitor", "pg1", "pg2", "pgbouncer1", "pgbouncer2", "follow1", "follow2", *APP_PROCESSES, "nginx"]
    return {n for n in names if _alive(read_pid(layout, n))}


def taken_ports(layout: Layout) -> list[str]:
    running = ours(layout)
    return [
        f"{name} port {port} is taken by another process"
        for name, port in layout.ports.items()
        if name not in running and port_open(port)
    ]


def up(layout: Layout, *, say: Callable[[str], None] = print, demo: str | None = "tiny") -> None:
    """Bring every process up (those already running are kept); idempotent. ``demo``: load the tiny demo
    (``"tiny"``), only its district without module data (``"district-only"``), or nothing (None)."""
    missing = missing_tools()
    if missing:
        raise ClusterError("missing: " + ", ".join(missing))
    problems = taken_ports(layout)
    if problems:
        raise ClusterError("; ".join(problems) + " (choose another --base-port)")
    for d in (layout.root, layout.logs, layout.pids, layout.root / "media"):
        d.mkdir(parents=True, exist_ok=True)
    layout.pg.mkdir(exist_ok=True)
    (layout.pg / "run").mkdir(mode=0o700, exist_ok=True)
    for d in (layout.pg, layout.pg / "run"):
        _chown_pg(d)
    try:
        pwd.getpwnam(PG_USER)
        r = subprocess.run(["test", "-x", str(layout.pg)], **_as_postgres())
        if r.returncode:
            raise ClusterError(f"the {PG_USER} user cannot enter {layout.pg}: put GONGZHI_VAR_DIR where it can")
    except KeyError:
        pass
    start_monitor(layout, say)
    say("database: pg1 and pg2 (a primary and its synchronous standby)")
    start_node(layout, "pg1", say)
    start_node(layout, "pg2", say)
    wait_replicated(layout)
    ensure_database(layout)
    say("PgBouncer ×2, following the monitor")
    start_pgbouncers(layout)
    ensure_secrets(layout)
    say("gongzhi migrate" + (f" + demo ({demo})" if demo else ""))
    gongzhi(layout, "admin", "migrate", "--noinput", "-v0")
    if demo:
        extra = ["--district-only"] if demo == "district-only" else []
        gongzhi(layout, "admin", "demo", "--scale", "tiny", *extra, "--seed", "1", "--if-empty", "-v0")
    say("web1, web2, worker1, worker2, scheduler")
    for name in APP_PROCESSES:
        start_app(layout, name)
    for name in ("web1", "web2"):
        wait_for(name, functools.partial(web_ready, layout, name), 180, layout.logs / f"{name}.log")
    start_nginx(layout)
    say(f"up: {layout.base_url}/")


def _signal_tree(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(os.getpgid(pid), sig)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def stop_process(layout: Layout, name: str, timeout: float = 20) -> None:
    pid = read_pid(layout, name)
    if _alive(pid):
        assert pid
        _signal_tree(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(pid):
            _signal_tree(pid, signal.SIGKILL)
    (layout.pids / f"{name}.pid").unlink(missing_ok=True)


def down(layout: Layout, *, purge: bool = False, say: Callable[[str], None] = print) -> None:
    """Stop everything (data kept); ``purge`` also removes VAR_DIR/cluster."""
    if layout.pids.exists():
        for name in ("nginx", *APP_PROCESSES, "follow1", "follow2", "pgbouncer1", "pgbouncer2"):
            stop_process(layout, name)
        ctl = pg_autoctl()
        for name in ("pg2", "pg1", "monitor"):
            if ctl and (layout.pgdata(name) / "PG_VERSION").exists() and _alive(read_pid(layout, name)):
                pg_run(layout, [ctl, "stop", "--pgdata", str(layout.pgdata(name))], check=False, timeout=60)
            stop_process(layout, name)
            pm = postmaster_pid(layout, name)
            if _alive(pm):  # a postmaster whose keeper was killed
                assert pm
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pm, signal.SIGINT)
                wait_for(f"{name} postmaster stops", functools.partial(_dead, pm), 30)
        say("down")
    if purge and layout.root.exists():
        shutil.rmtree(layout.root)
        say(f"removed {layout.root}")


def status(layout: Layout) -> dict[str, Any]:
    p = layout.ports
    procs = []
    for name in ("monitor", "pg1", "pg2", "pgbouncer1", "pgbouncer2", "follow1", "follow2", *APP_PROCESSES, "nginx"):
        pid = read_pid(layout, name)
        port = p.get(name)
        procs.append({"name": name, "pid": pid, "port": port, "alive": _alive(pid)})
    out: dict[str, Any] = {"root": str(layout.root), "processes": procs}
    try:
        out["nodes"] = monitor_state(layout)
        primary = current_primary(layout)
        out["primary"] = primary[0] if primary else None
    except Exception as exc:  # noqa: BLE001
        out["nodes"], out["primary"] = [], None
        out["monitor_error"] = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    out["urls"] = {
        "site": f"{layout.base_url}/",
        "api": f"{layout.base_url}/api/v1/",
        "database": layout.database_url,
        "monitor": layout.monitor_url,
    }
    return out


def format_status(st: dict[str, Any]) -> Iterator[str]:
    yield f"cluster in {st['root']}"
    yield f"{'process':<12} {'pid':>8} {'port':>6}  alive"
    for p in st["processes"]:
        yield f"{p['name']:<12} {p['pid'] or '-':>8} {p['port'] or '-':>6}  {'yes' if p['alive'] else 'no'}"
    if st.get("monitor_error"):
        yield f"monitor: {st['monitor_error']}"
    for n in st["nodes"]:
        yield f"database node {n['name']} (port {n['port']}): {n['reported']} (assigned {n['assigned']}), lsn {n['lsn']}"
    yield f"primary: {st['primary'] or 'none (failover in progress, or the monitor is down)'}"
    for k, v in st["urls"].items():
        yield f"{k}: {v}"


def _main(argv: list[str]) -> int:
    """``python -m gongzhi.ops.cluster follow INI ADMIN_PORT MONITOR_URL``: the PgBouncer follower,
    without loading Django."""
    if len(argv) == 4 and argv[0] == "follow":
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
        follow(Path(argv[1]), int(argv[2]), argv[3], write=lambda s: print(s, flush=True), stop=lambda: bool(stopping))
        return 0
    print("usage: python -m gongzhi.ops.cluster follow INI ADMIN_PORT MONITOR_URL", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
