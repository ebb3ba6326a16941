"""The command centres' part of ``gongzhi demo``: the rollups of the demo year, built from the
requests the cases demo wrote in bulk (no events were emitted for those)."""

from __future__ import annotations

from . import rollups


def generate(*, seed: int, scale: str, progress) -> dict[str, int]:
    progress("rollups", 0, 1)
    counts = rollups.rebuild(None)
    progress("rollups", 1, 1)
    return {
        "command_facts": counts["facts"],
        "command_daily_rollups": counts["daily"],
        "command_grid_states": counts["grids"],
    }
