"""Routing decisions for intake: :func:`gongzhi.org.responsibility.resolve`,
cached per process for a short time.

A decision depends only on (category, grid, day) and the lists, units and
grids, which change rarely; intake sees the same few hundred combinations
again and again. The cache is cleared in this process whenever a list line,
unit, grid or category is saved, and entries expire after ``TTL_S`` seconds,
so other processes see a change within that time.
"""

from __future__ import annotations

import threading
import time

from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from gongzhi.org import responsibility

TTL_S = 60.0
MAX_ENTRIES = 20000

_lock = threading.Lock()
_cache: dict = {}


def decide(category_code: str, grid, at=None, first_receiver=None):
    if first_receiver is not None:
        return responsibility.resolve(category_code, grid=grid, at=at, first_receiver=first_receiver)
    day = timezone.localdate(at) if at else timezone.localdate()
    key = (category_code, grid.pk, day)
    t = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and t - hit[0] < TTL_S:
        return hit[1]
    d = responsibility.resolve(category_code, grid=grid, at=at)
    with _lock:
        if len(_cache) >= MAX_ENTRIES:
            _cache.clear()
        _cache[key] = (t, d)
    return d


def clear(*_args, **_kwargs) -> None:
    with _lock:
        _cache.clear()


def connect_signals() -> None:
    from gongzhi.org.models import Grid, MatterCategory, ResponsibilityRule, Unit

    for model in (Grid, MatterCategory, ResponsibilityRule, Unit):
        post_save.connect(clear, sender=model, dispatch_uid=f"cases_routing_{model.__name__}_save")
        post_delete.connect(clear, sender=model, dispatch_uid=f"cases_routing_{model.__name__}_delete")
