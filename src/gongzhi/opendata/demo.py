"""The open data module's part of ``gongzhi demo``: the first snapshot of every public dataset."""

from __future__ import annotations

from typing import Any

from gongzhi.core.actors import SYSTEM

from .services import publish_all


def generate(*, seed: int, scale: str, progress: Any = None) -> dict[str, int]:
    if scale == "city":  # a city's first snapshots are published by the daily job, not by the demo
        return {}
    done = publish_all(SYSTEM, progress=(lambda i, n: progress("开放数据", i, n)) if progress else None)
    return {"datasets": len(done)}
