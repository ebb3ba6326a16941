"""The 三重一大 guard as the lower apps see it (seed 003: major decisions, important appointments,
major projects and large spending follow a recorded collective procedure before their effect).

Alliances (fund spending), resources (pool allocations) and plans (goals with a budget) sit below
the app that keeps the procedure (``gongzhi.councils``), so they cannot import it. They call
:func:`require_approved` here; ``councils`` hands its guard over at start-up (:func:`register`), the
same way cases is handed incidents' routing override. With no guard registered nothing is refused.

``require_approved(kind, subject, amount, *, actor, region, effect_ref="", field="amount", matter=None)``:
``kind`` one of ``major_decision`` / ``important_appointment`` / ``major_project`` / ``large_spending``;
``subject`` a ``(subject_type, subject_ref)`` pair (``("alliance_fund", alliance_code)``,
``("pool_need", need_id)``, ``("plan_goal", region_code)``); ``amount`` in yuan (None: not a money
matter, never guarded). Below the threshold it returns None; above it, it returns the approved matter
that covers the effect (and records the use), or raises a ``DomainError`` on ``field``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_guard: Callable[..., Any] | None = None


def register(fn: Callable[..., Any] | None) -> None:
    """Install the guard (``councils`` does, from its ``AppConfig.ready``); None removes it."""
    global _guard
    _guard = fn


def require_approved(kind: str, subject: tuple[str, Any], amount: Any, **kwargs: Any) -> Any:
    """Refuse an effect above its threshold unless an approved matter covers it (see the module doc)."""
    if _guard is None:
        return None
    return _guard(kind, subject, amount, **kwargs)
