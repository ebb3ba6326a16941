"""Indices, weights and scores: pure functions over measured values (no database).

Urban areas get the governance complexity index C (治理复杂度指数), rural ones the public-service
accessibility index A (公共服务可达性指数); both lie in [0, 1] and are the mean of the components that
have data (docs/assessment.md gives the formulas and the reference scales, which a scheme may override
in its ``params``).

Weights: each scheme row has a base weight ``w`` (per area kind, summing to 1) and a shift ``s`` in
[-1, 1].  With ``x`` = C for urban areas and ``x`` = 1 − A (remoteness) for rural ones, the weight used is
``w·(1 + s·(x − 0.5))``, renormalised over the indicators that have data.  So a positive ``s`` gives an
indicator more weight where the area is more complex (or more remote), a negative one less.
"""

from __future__ import annotations

DEFAULT_PARAMS = {
    "density_ref": 20000.0,  # persons per km² counted as fully dense
    "requests_per_1k_ref": 300.0,  # requests per 1000 persons per year counted as fully demanding
    "mobile_share_ref": 0.3,  # share of mobile population counted as fully mobile
    "distance_ref_m": 5000.0,  # mean distance to a service point counted as fully remote
    "coverage_radius_m": 1500.0,  # a household is covered if its grid centroid lies within this distance
    "hours_ref": 168.0,  # median hours to resolution counted as fully slow (7 days)
    "penalty_per_bypass": 2.0,  # points off per bypass not filed or filed late
    "penalty_cap": 10.0,  # at most this many points off
}

URBAN, RURAL = "urban", "rural"
INDEX_NAMES = {URBAN: "complexity", RURAL: "accessibility"}


def _v(measures: dict, name: str):
    m = measures.get(name)
    return None if m is None else m.get("value")


def _mean(values):
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def _cap(x):
    return None if x is None else max(0.0, min(1.0, x))


def complexity(measures: dict, params: dict) -> tuple[float | None, dict]:
    """C = mean(min(1, density/density_ref), min(1, requests_per_1k/ref), category_diversity, min(1, mobile/ref))."""
    p = {**DEFAULT_PARAMS, **(params or {})}
    d, rq, div, mob = (
        _v(measures, n) for n in ("population_density", "requests_per_1k", "category_diversity", "mobile_share")
    )
    parts = {
        "population_density": _cap(None if d is None else d / p["density_ref"]),
        "requests_per_1k": _cap(None if rq is None else rq / p["requests_per_1k_ref"]),
        "category_diversity": _cap(div),
        "mobile_share": _cap(None if mob is None else mob / p["mobile_share_ref"]),
    }
    return _mean(parts.values()), parts


def accessibility(measures: dict, params: dict) -> tuple[float | None, dict]:
    """A = mean(1 − min(1, distance/distance_ref), coverage, 1 − min(1, median_hours_to_resolution/hours_ref))."""
    p = {**DEFAULT_PARAMS, **(params or {})}
    dist, cov, hrs = (_v(measures, n) for n in ("service_distance_m", "service_coverage", "median_hours_to_resolution"))
    parts = {
        "service_distance_m": None if dist is None else 1 - _cap(dist / p["distance_ref_m"]),
        "service_coverage": _cap(cov),
        "median_hours_to_resolution": None if hrs is None else 1 - _cap(hrs / p["hours_ref"]),
    }
    return _mean(parts.values()), parts


def index_for(kind: str, measures: dict, params: dict) -> tuple[str, float | None, dict]:
    if kind == RURAL:
        value, parts = accessibility(measures, params)
        return INDEX_NAMES[RURAL], value, parts
    value, parts = complexity(measures, params)
    return INDEX_NAMES[URBAN], value, parts


def adjusted_weights(
    kind: str, index_value: float | None, rows: list[tuple[str, float, float]], available: set[str]
) -> dict[str, float]:
    """rows: (indicator code, base weight, shift).  Returns the weights used, over ``available`` indicators."""
    if index_value is None:
        x = 0.5  # no index: base weights
    else:
        x = index_value if kind != RURAL else 1 - index_value
    raw = {code: w * (1 + s * (x - 0.5)) for code, w, s in rows if code in available}
    total = sum(raw.values())
    if total <= 0:
        return {code: 0.0 for code in raw}
    return {code: v / total for code, v in raw.items()}


def score(values: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """100 × Σ wᵢ·vᵢ with every indicator value clamped to [0, 1]."""
    if not weights:
        return None
    return 100 * sum(w * _cap(values[c]) for c, w in weights.items())


def penalty(penalised: int, params: dict) -> float:
    p = {**DEFAULT_PARAMS, **(params or {})}
    return min(p["penalty_cap"], p["penalty_per_bypass"] * penalised)


def parse_period(text: str):
    """'2026-Q3', '2026-H1', '2026-07' or '2026' → measures.Period."""
    import calendar
    import datetime as dt
    import re

    from gongzhi.core.errors import DomainError

    from .measures import Period

    t = (text or "").strip().upper()
    m = re.fullmatch(r"(\d{4})(?:-(Q[1-4]|H[12]|\d{2}))?", t)
    if not m:
        raise DomainError(f"考核期“{text}”格式不对：应为 2026、2026-H1、2026-Q3 或 2026-07", field="period")
    year, part = int(m.group(1)), m.group(2)
    if not 2000 <= year <= 2100:
        raise DomainError(f"考核年度{year}超出范围（2000–2100）", field="period")
    if part is None:
        a, b = 1, 12
    elif part.startswith("Q"):
        q = int(part[1])
        a, b = 3 * q - 2, 3 * q
    elif part.startswith("H"):
        h = int(part[1])
        a, b = 6 * h - 5, 6 * h
    else:
        a = b = int(part)
        if not 1 <= a <= 12:
            raise DomainError(f"月份{a}无效：应为01–12", field="period")
    start = dt.date(year, a, 1)
    end = dt.date(year, b, calendar.monthrange(year, b)[1])
    return Period(label=t, start=start, end=end)
