"""Routing decisions for intake: :func:`gongzhi.org.responsibility.resolve`, which answers from an
in-process snapshot of the lists, units, regions and grids (see its docstring for how the snapshot is
invalidated), and the override hook other modules use to take requests first.
"""

from __future__ import annotations

from gongzhi.org import responsibility

OVERRIDE = "override"
_overrides: list = []


def register_override(fn) -> None:
    """Add ``fn(category_or_None, grid, at) -> Decision | None``, asked before the responsibility list for
    every request at intake (the incidents app sends requests from a declared area to its desk). A decision
    it returns should carry ``fallback=OVERRIDE`` and say why in ``reasons``."""
    if fn not in _overrides:
        _overrides.append(fn)


def override(category, grid, at=None):
    for fn in _overrides:
        d = fn(category, grid, at)
        if d is not None:
            return d
    return None


def decide(category_code: str, grid, at=None, first_receiver=None):
    """The responsibility-list decision (answered from the process's routing snapshot, no query when warm)."""
    return responsibility.resolve(category_code, grid=grid, at=at, first_receiver=first_receiver)


def clear(*_args, **_kwargs) -> None:
    """Forget every per-process routing cache (the routing snapshot and the working-day calendar): for tests
    and tools that write org data in bulk (no signals)."""
    from . import sla

    responsibility.invalidate()
    sla.clear_calendar()


def connect_signals() -> None:
    from . import sla

    responsibility.connect_signals()
    sla.connect_signals()
