"""The star-rating rule set as versioned data: weights, caps and per-dimension formulas.

The code knows how to count each dimension's records; how many points a record
is worth, the cap and the weight of each dimension, and the year-end formula are
the numbers stored in a :class:`~gongzhi.alliances.models.RuleSet` version.
"""

from __future__ import annotations

import copy
import datetime as dt

from gongzhi.core.errors import DomainError

DIMENSIONS = ("attendance", "suggestions", "resources", "activities", "tasks")

# Per-dimension formula keys: what each record is worth.
FORMULA_KEYS = {
    "attendance": ("per_required_meeting", "per_other_meeting"),
    "suggestions": ("per_suggestion", "adopted_bonus"),
    "resources": ("per_supply",),
    "activities": ("per_participation",),
    "tasks": ("on_time", "late"),
}

DEFAULT_RULES = {
    "dimensions": {
        "attendance": {"weight": 1.0, "cap": 25, "formula": {"per_required_meeting": 5, "per_other_meeting": 2}},
        "suggestions": {"weight": 1.0, "cap": 20, "formula": {"per_suggestion": 2, "adopted_bonus": 2}},
        "resources": {"weight": 1.0, "cap": 20, "formula": {"per_supply": 5}},
        "activities": {"weight": 1.0, "cap": 15, "formula": {"per_participation": 4}},
        "tasks": {"weight": 1.0, "cap": 20, "formula": {"on_time": 5, "late": 2}},
    },
    "year_end": {
        # final = points_weight × annual points + appraisal_weight × appraisal
        "points_weight": 0.7,
        "appraisal_weight": 0.3,
        # democratic appraisal: rating (4 优秀 … 1 较差) → score
        "appraisal_scale": {"4": 100, "3": 80, "2": 60, "1": 40},
        # share of member units that must have voted before grading
        "appraisal_quorum": 0.5,
        # lowest final score for each star grade (below the lowest: one star)
        "stars": [[90, 5], [80, 4], [70, 3], [60, 2]],
        "rectify_max_stars": 2,
        "support_min_stars": 5,
    },
}


def default_rules() -> dict:
    return copy.deepcopy(DEFAULT_RULES)


def validate(rules: dict) -> dict:
    """Check a rule set; raise DomainError naming what to fix."""
    if not isinstance(rules, dict) or not isinstance(rules.get("dimensions"), dict):
        raise DomainError("规则必须包含 dimensions（五个维度的权重、上限和计分公式）", field="rules")
    dims = rules["dimensions"]
    missing = [d for d in DIMENSIONS if d not in dims]
    extra = [d for d in dims if d not in DIMENSIONS]
    if missing or extra:
        raise DomainError(f"维度必须恰为 {', '.join(DIMENSIONS)}；缺少：{missing}，多余：{extra}", field="rules")
    for d in DIMENSIONS:
        spec = dims[d]
        for key in ("weight", "cap"):
            v = spec.get(key)
            if not isinstance(v, (int, float)) or v < 0:
                raise DomainError(f"维度 {d} 的 {key} 必须是非负数", field="rules")
        if spec["cap"] <= 0:
            raise DomainError(f"维度 {d} 的上限 cap 必须大于0", field="rules")
        formula = spec.get("formula") or {}
        for k in FORMULA_KEYS[d]:
            v = formula.get(k)
            if not isinstance(v, (int, float)) or v < 0:
                raise DomainError(f"维度 {d} 的计分公式缺少非负数 {k}", field="rules")
        unknown = set(formula) - set(FORMULA_KEYS[d])
        if unknown:
            raise DomainError(f"维度 {d} 的计分公式有未知项：{sorted(unknown)}", field="rules")
    ye = rules.get("year_end")
    if not isinstance(ye, dict):
        raise DomainError("规则必须包含 year_end（年终综合得分与星级）", field="rules")
    pw, aw = ye.get("points_weight"), ye.get("appraisal_weight")
    if not all(isinstance(x, (int, float)) and x >= 0 for x in (pw, aw)) or abs(pw + aw - 1) > 1e-9:
        raise DomainError("year_end 的 points_weight 与 appraisal_weight 须为非负数且合计为1", field="rules")
    scale = ye.get("appraisal_scale") or {}
    if sorted(scale) != ["1", "2", "3", "4"]:
        raise DomainError("appraisal_scale 必须给出评议等次 1–4 对应的分数", field="rules")
    stars = ye.get("stars")
    if (
        not isinstance(stars, list)
        or sorted(s for _, s in stars) != [2, 3, 4, 5]
        or [t for t, _ in sorted(stars, key=lambda x: x[1])] != sorted(t for t, _ in stars)
    ):
        raise DomainError("stars 必须为二至五星的最低分，且星级越高分数线越高", field="rules")
    q = ye.get("appraisal_quorum")
    if not isinstance(q, (int, float)) or not 0 <= q <= 1:
        raise DomainError("appraisal_quorum 必须在0到1之间", field="rules")
    return rules


def stars_for(score: float, rules: dict) -> int:
    for threshold, stars in sorted(rules["year_end"]["stars"], key=lambda x: -x[1]):
        if score >= threshold:
            return int(stars)
    return 1


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    if quarter not in (1, 2, 3, 4):
        raise DomainError("季度必须是1–4", field="quarter")
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def quarter_of(day: dt.date) -> int:
    return (day.month - 1) // 3 + 1
