"""Synthetic common-pool instances for benchmarks, demos and property tests.

A square district (default 20 km × 20 km) cut into a 4 × 2 grid of areas: the
four northern ones are urban streets (街道), the four southern ones townships
(乡镇), street ``S<i>`` paired with township ``T<i>``.  Some street resources
are shareable with the paired township (urban–rural pairing).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np

from .matching import Kind, Need, Priority, Resource, Window

SKILLS = (
    "first aid",
    "elder care",
    "tutoring",
    "legal aid",
    "counselling",
    "repair",
    "driving",
    "cooking",
    "IT support",
    "translation",
    "child care",
    "law advice",
)
FIELDS = ("law", "medicine", "psychology", "social work")
KIND_WEIGHTS = {
    Kind.PERSON: 0.40,
    Kind.MATERIAL: 0.25,
    Kind.VENUE: 0.10,
    Kind.VEHICLE: 0.10,
    Kind.FUNDS: 0.10,
    Kind.INFORMATION: 0.05,
}
PRIORITY_WEIGHTS = {Priority.EMERGENCY: 0.15, Priority.BASIC: 0.35, Priority.DEVELOPMENT: 0.50}
EPOCH = datetime(2026, 1, 5, 0, 0)


def _region(x: float, y: float, size: float) -> str:
    col = min(3, int(4 * x / size))
    return ("S" if y >= size / 2 else "T") + str(col + 1)


def random_instance(
    n_needs: int,
    n_resources: int,
    *,
    seed: int = 0,
    size_m: float = 20_000.0,
    days: int = 7,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Resource], list[Need]]:
    """Random but plausible resources and needs; deterministic for a seed.

    ``progress`` (optional) is called with 1 after each item is built.
    """
    if n_needs < 0 or n_resources < 0:
        raise ValueError("counts must be >= 0")
    rng = np.random.default_rng(seed)
    kinds = list(KIND_WEIGHTS)
    kp = np.array(list(KIND_WEIGHTS.values()))
    prios = list(PRIORITY_WEIGHTS)
    pp = np.array(list(PRIORITY_WEIGHTS.values()))

    def window(rng_hours_min: int, rng_hours_max: int) -> Window:
        start = EPOCH + timedelta(hours=int(rng.integers(0, days * 24 - rng_hours_max)))
        return Window(start, start + timedelta(hours=int(rng.integers(rng_hours_min, rng_hours_max + 1))))

    resources = []
    for i in range(n_resources):
        x, y = rng.uniform(0, size_m, 2)
        kind = kinds[rng.choice(len(kinds), p=kp)]
        region = _region(x, y, size_m)
        skills: frozenset[str] = frozenset()
        certs: dict[str, int] = {}
        if kind is Kind.PERSON:
            skills = frozenset(rng.choice(SKILLS, size=int(rng.integers(1, 4)), replace=False).tolist())
            if rng.random() < 0.4:
                certs[str(rng.choice(FIELDS))] = int(rng.integers(1, 4))
        share = frozenset({"T" + region[1]}) if region[0] == "S" and rng.random() < 0.3 else frozenset()
        resources.append(
            Resource(
                id=f"r{i}",
                owner=f"unit{int(rng.integers(0, max(1, n_resources // 20)))}",
                kind=kind,
                capacity=int(rng.integers(1, 11)),
                x=float(x),
                y=float(y),
                skills=skills,
                certificates=certs,
                available=window(24, days * 24 - 24) if rng.random() < 0.9 else Window(),
                region=region,
                shareable_with=share,
                use_cost=int(rng.integers(0, 50)) if rng.random() < 0.2 else 0,
            )
        )
        if progress:
            progress(1)
    needs = []
    for i in range(n_needs):
        x, y = rng.uniform(0, size_m, 2)
        kind = kinds[rng.choice(len(kinds), p=kp)]
        skills = frozenset()
        certs = {}
        if kind is Kind.PERSON:
            skills = frozenset({str(rng.choice(SKILLS))})
            if rng.random() < 0.2:
                certs[str(rng.choice(FIELDS))] = int(rng.integers(1, 3))
        prio = prios[rng.choice(len(prios), p=pp)]
        needs.append(
            Need(
                id=f"n{i}",
                kind=kind,
                quantity=int(rng.integers(1, 6)),
                priority=prio,
                x=float(x),
                y=float(y),
                skills=skills,
                certificates=certs,
                window=window(4, 48),
                region=_region(x, y, size_m),
                max_distance_m=8_000.0 if prio is Priority.EMERGENCY else None,
            )
        )
        if progress:
            progress(1)
    return resources, needs
