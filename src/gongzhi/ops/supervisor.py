"""A small process supervisor for ``gongzhi serve``: starts its children, restarts any that dies.

Each child is a command line; when one exits while the supervisor runs, it is started again after a
back-off (``RESTART_DELAY`` seconds, doubled while it keeps dying within ``STABLE_AFTER`` seconds of
its start, up to ``MAX_DELAY``); one that never stays up (``GIVE_UP_AFTER`` quick deaths in a row)
stops the supervisor with an error. A child may name a hook that gives the next start's extra arguments
from the one that died (a task worker passes the dead worker's id, so its RUNNING tasks are queued
again at once). SIGTERM or SIGINT stops every child (SIGTERM, then SIGKILL after ``grace`` seconds).
On a host with systemd the units under ``deploy/systemd/`` do the same with ``Restart=always``.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("gongzhi.ops")

RESTART_DELAY = 0.5
STABLE_AFTER = 10.0
MAX_DELAY = 30.0
# A child that dies this many times in a row, each within STABLE_AFTER of its start, cannot start (a
# taken port, a bad setting): the supervisor stops everything and fails instead of looping.
GIVE_UP_AFTER = 5


class Forked:
    """A child forked from this (already set-up) process, with ``subprocess.Popen``'s interface: it runs
    ``target(n)`` and exits with its return code. Forking skips the seconds Python and Django take to
    start, so a task worker killed with kill -9 is back in well under a second."""

    def __init__(self, target: Callable[[int], int | None], n: int):
        from django.db import connections

        connections.close_all()  # a forked child must open its own database connections
        self._process = multiprocessing.get_context("fork").Process(target=_run_forked, args=(target, n), daemon=False)
        self._process.start()
        self.pid = self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def terminate(self) -> None:
        self._process.terminate()

    def kill(self) -> None:
        self._process.kill()

    def wait(self, timeout: float | None = None) -> int | None:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0)
        return self._process.exitcode


def _run_forked(target: Callable[[int], int | None], n: int) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)  # not the supervisor's handlers
    raise SystemExit(target(n) or 0)


@dataclass
class Child:
    name: str
    argv: Callable[[int], list[str]] | None = None  # the command line of start number n (0, 1, …)
    target: Callable[[int], int | None] | None = None  # or a function run in a forked child
    env: dict[str, str] | None = None
    process: subprocess.Popen | Forked | None = None
    starts: int = 0
    started_at: float = 0.0
    delay: float = RESTART_DELAY
    quick_deaths: int = 0
    restart_at: float | None = None

    def start(self) -> None:
        if self.target is not None:
            self.process = Forked(self.target, self.starts)
        else:
            assert self.argv is not None
            self.process = subprocess.Popen(self.argv(self.starts), env=self.env)
        self.starts += 1
        self.started_at = time.monotonic()
        self.restart_at = None
        log.info("started %s (pid %s)", self.name, self.process.pid)


class Supervisor:
    def __init__(
        self, children: list[Child], *, poll: float = 0.2, grace: float = 10.0, write: Callable[[str], object] = print
    ) -> None:
        self.children = children
        self.poll = poll
        self.grace = grace
        self.write = write
        self.stopping = False
        self.failed: Child | None = None

    def stop(self, *_args: object) -> None:
        self.stopping = True

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for child in self.children:
                child.start()
            while not self.stopping:
                self.step(time.monotonic())
                time.sleep(self.poll)
        finally:
            self.shutdown()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 1 if self.failed else 0

    def step(self, now: float) -> None:
        """Notice children that died and (re)start those whose back-off has passed."""
        for child in self.children:
            proc = child.process
            if proc is not None and child.restart_at is None and proc.poll() is not None:
                code = proc.returncode
                quick = now - child.started_at < STABLE_AFTER
                child.quick_deaths = child.quick_deaths + 1 if quick else 0
                if child.quick_deaths >= GIVE_UP_AFTER:
                    self.write(
                        f"{child.name} died {child.quick_deaths} times right after starting (last exit {code}): giving up"
                    )
                    self.failed = child
                    self.stopping = True
                    return
                child.delay = min(MAX_DELAY, child.delay * 2) if quick else RESTART_DELAY
                child.restart_at = now + child.delay
                self.write(f"{child.name} (pid {proc.pid}) exited with {code}; restarting in {child.delay:.1f} s")
            if child.restart_at is not None and now >= child.restart_at:
                child.start()

    def shutdown(self) -> None:
        alive = [c.process for c in self.children if c.process is not None and c.process.poll() is None]
        for proc in alive:
            proc.terminate()
        deadline = time.monotonic() + self.grace
        for proc in alive:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
