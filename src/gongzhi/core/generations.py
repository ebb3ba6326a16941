"""Generations: how one process tells every other that reference data it caches has changed.

Some data is cached in each process for as long as it does not change (the regions' ancestor chains,
``Region.ancestors()``; the routing snapshot's regions and matter categories, ``org/responsibility.py``).
A change made in one process clears that process's cache at once (model signals), but the other
processes (other web nodes, workers) would keep theirs. So the change also *bumps a generation*: a
fresh random token stored under the data's name in the shared cache (``settings.CACHES["default"]``:
Redis, or the database's cache table), written when the transaction commits. Each process reads the
token at most every ``RECHECK_SECONDS`` and drops its copy when the token differs from the one it
built with. A token evicted or lost (a Redis restart) reads as a change too, so the worst case is one
needless rebuild, never stale data kept.
"""

from __future__ import annotations

import threading
import time
import uuid

from django.core.cache import cache
from django.db import transaction

KEY = "gongzhi:generation:%s"
RECHECK_SECONDS = 5.0


def bump(name: str) -> None:
    """Mark ``name`` changed for every process, once the current transaction commits (now outside one);
    once per transaction however many rows it changes."""
    conn = transaction.get_connection()
    if conn.in_atomic_block and any(getattr(f, "generation", None) == name for _s, f, _r in conn.run_on_commit):
        return

    def publish() -> None:
        cache.set(KEY % name, uuid.uuid4().hex, timeout=None)

    publish.generation = name  # type: ignore[attr-defined]
    transaction.on_commit(publish)


def current(name: str) -> str | None:
    return cache.get(KEY % name)


def current_many(*names: str) -> tuple[str | None, ...]:
    got = cache.get_many([KEY % n for n in names])
    return tuple(got.get(KEY % n) for n in names)


class Watch:
    """A process's view of one generation: :meth:`changed` is True on the first call and whenever another
    process has bumped it since (read at most every ``RECHECK_SECONDS``). Call it before using the cache it
    guards and drop the cache when it is True: the token is read before the data, so a change committed
    while the cache is being rebuilt is noticed on the next check."""

    def __init__(self, name: str):
        self.name = name
        self._held: str | None = None
        self._started = False
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def changed(self, force: bool = False) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._started and not force and now - self._checked_at < RECHECK_SECONDS:
                return False
            self._checked_at = now
            token = current(self.name)
            if not self._started:  # whatever was cached before the first look may be stale
                self._started, self._held = True, token
                return True
            if token == self._held:
                return False
            self._held = token
            return True
