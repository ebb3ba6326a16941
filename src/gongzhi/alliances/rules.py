"""The star-rating rule set as versioned data: weights, caps and per-dimension formulas, and the
year-end combination, grades and what follows from a grade.

The code knows how to count each dimension's records; how much each counts, the cap and the weight of
each dimension, and the year-end formula are the numbers stored in a
:class:`~gongzhi.alliances.models.RuleSet` version.

Seed 000 (district Y): "以“星级党建联合体”创建为抓手，采取“日常积分+年终考核”的方式，每季度分别对
联建单位出席会议、建言献策、资源供给、活动参建、任务落实等方面进行日常评估 … 通过“分头述职—通报积分—
民主评议”步骤，评定等次，奖优罚劣，对工作不力的基层党组织及时进行整顿，对成效良好的适当给予政策资金倾斜。"

Two kinds of dimension (docs/alliances.md, "Star rating"):

* **rates** (attendance, activities, tasks): what the unit did out of what it was due to do in the
  quarter: the required 1142 meetings it was called to, the activities the alliance held, the tasks it
  claimed that fell due. Doing all of it earns the whole cap, whatever the number. A quarter in which
  nothing was due leaves the dimension out, and the other dimensions are scaled up to the same maximum
  (缺项折算).
* **counts** (suggestions, resources): points per record up to the cap. The cap must be reachable with
  at most :data:`FULL_MARKS_RECORDS` records a quarter, so "doing everything well" is a few
  suggestions and a few supplies a quarter, not an unbounded amount.

So a unit that does everything well reaches every cap, and its final score is
:func:`max_final`; :func:`validate` refuses a rule set whose top grade needs more than that
(``AllianceError.RULES_UNREACHABLE``, naming the numbers).
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import TypeGuard

from gongzhi.core.errors import DomainError

from .contracts import AllianceError

DIMENSIONS = ("attendance", "suggestions", "resources", "activities", "tasks")
RATE_DIMENSIONS = ("attendance", "activities", "tasks")
COUNT_DIMENSIONS = ("suggestions", "resources")

# Per-dimension formula keys (all numbers ≥ 0).
FORMULA_KEYS = {
    "attendance": (),  # share of the required meetings the unit was called to
    "suggestions": ("per_suggestion", "adopted_bonus"),
    "resources": ("per_supply",),
    "activities": (),  # share of the alliance's activities the unit took part in
    "tasks": ("late_share",),  # share of due tasks done on time; a late one counts late_share of one
}
# A count dimension's cap must be reachable with this many records a quarter (one a month).
FULL_MARKS_RECORDS = 3
# The top grade; a rule set's grades are two to five stars above one star.
TOP_STARS = 5

DEFAULT_RULES = {
    "dimensions": {
        "attendance": {"weight": 1.0, "cap": 30, "formula": {}},
        "suggestions": {"weight": 1.0, "cap": 15, "formula": {"per_suggestion": 5, "adopted_bonus": 5}},
        "resources": {"weight": 1.0, "cap": 20, "formula": {"per_supply": 10}},
        "activities": {"weight": 1.0, "cap": 15, "formula": {}},
        "tasks": {"weight": 1.0, "cap": 20, "formula": {"late_share": 0.5}},
    },
    "year_end": {
        # final = points_weight × annual points + appraisal_weight × appraisal
        "points_weight": 0.7,
        "appraisal_weight": 0.3,
        # democratic appraisal: rating (4 优秀 … 1 较差) → score
        "appraisal_scale": {"4": 100, "3": 80, "2": 60, "1": 40},
        # share of member units that must have voted before grading
        "appraisal_quorum": 0.5,
        # lowest final score for each star grade (below the lowest: one star); with the default caps
        # the maximum is 100, so these are 90 %, 80 %, 70 % and 60 % of it
        "stars": [[90, 5], [80, 4], [70, 3], [60, 2]],
        "rectify_max_stars": 1,
        "support_min_stars": 5,
        # a rectification (整顿) has this many months to finish its plan before its re-review
        "rectify_months": 6,
    },
}

LEGACY_RULES = {  # version 1 before issue 20: counts everywhere; a 5★ unit was out of reach
    "dimensions": {
        "attendance": {"weight": 1.0, "cap": 25, "formula": {"per_required_meeting": 5, "per_other_meeting": 2}},
        "suggestions": {"weight": 1.0, "cap": 20, "formula": {"per_suggestion": 2, "adopted_bonus": 2}},
        "resources": {"weight": 1.0, "cap": 20, "formula": {"per_supply": 5}},
        "activities": {"weight": 1.0, "cap": 15, "formula": {"per_participation": 4}},
        "tasks": {"weight": 1.0, "cap": 20, "formula": {"on_time": 5, "late": 2}},
    },
    "year_end": {
        "points_weight": 0.7,
        "appraisal_weight": 0.3,
        "appraisal_scale": {"4": 100, "3": 80, "2": 60, "1": 40},
        "appraisal_quorum": 0.5,
        "stars": [[90, 5], [80, 4], [70, 3], [60, 2]],
        "rectify_max_stars": 2,
        "support_min_stars": 5,
    },
}


def default_rules() -> dict:
    return copy.deepcopy(DEFAULT_RULES)


def _num(v: object) -> TypeGuard[float]:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) != float("inf")


def max_points(rules: dict) -> float:
    """The most a quarter (and so a year) can earn: every dimension at its cap, weighted."""
    return round(sum(float(s["cap"]) * float(s["weight"]) for s in rules["dimensions"].values()), 2)


def max_final(rules: dict) -> float:
    """The final score of a unit that does everything well: every cap reached, unanimous 优秀."""
    ye = rules["year_end"]
    top = max(float(v) for v in ye["appraisal_scale"].values())
    return round(float(ye["points_weight"]) * max_points(rules) + float(ye["appraisal_weight"]) * top, 2)


def thresholds(rules: dict) -> list[tuple[int, float, float]]:
    """(stars, lowest final score, that score as a share of :func:`max_final`), best grade first."""
    m = max_final(rules) or 1.0
    return [
        (int(s), float(t), round(float(t) / m, 4)) for t, s in sorted(rules["year_end"]["stars"], key=lambda x: -x[1])
    ]


def validate(rules: dict) -> dict:
    """Check a rule set; raise DomainError naming what to fix. A rule set whose top grade a unit that
    does everything well cannot reach is refused with ``rules_unreachable`` and the numbers."""
    if not isinstance(rules, dict) or not isinstance(rules.get("dimensions"), dict):
        raise DomainError("规则必须包含 dimensions（五个维度的权重、上限和计分公式）", field="rules")
    dims = rules["dimensions"]
    missing = [d for d in DIMENSIONS if d not in dims]
    extra = [d for d in dims if d not in DIMENSIONS]
    if missing or extra:
        raise DomainError(f"维度必须恰为 {', '.join(DIMENSIONS)}；缺少：{missing}，多余：{extra}", field="rules")
    for d in DIMENSIONS:
        spec = dims[d]
        if not isinstance(spec, dict):
            raise DomainError(f"维度 {d} 必须给出 weight、cap 和 formula", field="rules")
        for key in ("weight", "cap"):
            v = spec.get(key)
            if not _num(v) or v < 0:
                raise DomainError(f"维度 {d} 的 {key} 必须是非负数", field="rules")
        if spec["cap"] <= 0:
            raise DomainError(f"维度 {d} 的上限 cap 必须大于0", field="rules")
        formula = spec.get("formula")
        if formula is None:
            formula = {}
        if not isinstance(formula, dict):
            raise DomainError(f"维度 {d} 的计分公式 formula 必须是对象", field="rules")
        for k in FORMULA_KEYS[d]:
            v = formula.get(k)
            if not _num(v) or v < 0:
                raise DomainError(f"维度 {d} 的计分公式缺少非负数 {k}", field="rules")
        unknown = set(formula) - set(FORMULA_KEYS[d])
        if unknown:
            raise DomainError(f"维度 {d} 的计分公式有未知项：{sorted(unknown)}", field="rules")
    late = dims["tasks"]["formula"]["late_share"]
    if late > 1:
        raise DomainError(f"任务落实的 late_share（逾期完成折算）须在0到1之间，现为{late}", field="rules")
    # a count dimension's cap must be reachable with a few records a quarter
    for d, key in (("suggestions", "per_suggestion"), ("resources", "per_supply")):
        f = dims[d]["formula"]
        best = f[key] + (f["adopted_bonus"] if d == "suggestions" else 0)
        if best * FULL_MARKS_RECORDS < dims[d]["cap"]:
            raise DomainError(
                f"维度 {d} 每条记录最多 {best:g} 分，每季度 {FULL_MARKS_RECORDS} 条只得 {best * FULL_MARKS_RECORDS:g} 分，"
                f"达不到上限 {dims[d]['cap']:g}：请提高每条分值或降低上限",
                field="rules",
                code=AllianceError.RULES_UNREACHABLE,
            )
    if max_points(rules) <= 0:
        raise DomainError("各维度权重不能全为0", field="rules")
    ye = rules.get("year_end")
    if not isinstance(ye, dict):
        raise DomainError("规则必须包含 year_end（年终综合得分与星级）", field="rules")
    pw, aw = ye.get("points_weight"), ye.get("appraisal_weight")
    if not (_num(pw) and _num(aw) and pw >= 0 and aw >= 0) or abs(pw + aw - 1) > 1e-9:
        raise DomainError("year_end 的 points_weight 与 appraisal_weight 须为非负数且合计为1", field="rules")
    scale = ye.get("appraisal_scale")
    if not isinstance(scale, dict) or sorted(scale) != ["1", "2", "3", "4"]:
        raise DomainError("appraisal_scale 必须给出评议等次 1–4 对应的分数", field="rules")
    if not all(_num(scale[k]) and scale[k] >= 0 for k in scale) or not (
        scale["4"] >= scale["3"] >= scale["2"] >= scale["1"]
    ):
        raise DomainError("appraisal_scale 的分数须为非负数，且优秀≥良好≥一般≥较差", field="rules")
    stars = ye.get("stars")
    if (
        not isinstance(stars, list)
        or not all(isinstance(x, (list, tuple)) and len(x) == 2 and _num(x[0]) for x in stars)
        or sorted(s for _, s in stars) != [2, 3, 4, 5]
    ):
        raise DomainError("stars 必须为二至五星的最低分", field="rules")
    ordered = [t for t, _ in sorted(stars, key=lambda x: x[1])]
    if any(b <= a for a, b in zip(ordered, ordered[1:], strict=False)) or ordered[0] <= 0:
        raise DomainError("stars 的分数线须大于0，且星级越高分数线越高", field="rules")
    q = ye.get("appraisal_quorum")
    if not _num(q) or not 0 <= q <= 1:
        raise DomainError("appraisal_quorum 必须在0到1之间", field="rules")
    rmax, smin = ye.get("rectify_max_stars"), ye.get("support_min_stars")
    if not (isinstance(rmax, int) and isinstance(smin, int) and 1 <= rmax < smin <= TOP_STARS):
        raise DomainError(
            "rectify_max_stars（整顿的最高星级）与 support_min_stars（支持的最低星级）须满足 1 ≤ 整顿 < 支持 ≤ 5",
            field="rules",
        )
    months = ye.get("rectify_months", 6)
    if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 12:
        raise DomainError("rectify_months（整顿期限，月）须为1到12的整数", field="rules")
    top = max(stars, key=lambda x: x[1])[0]
    best = max_final(rules)
    if top > best + 1e-9:
        raise DomainError(
            f"五星分数线 {top:g} 高于各项满分单位可得的最高综合得分 {best:g}"
            f"（= 积分权重 {pw:g} × 各维度上限×权重之和 {max_points(rules):g}"
            f" + 评议权重 {aw:g} × 评议最高分 {float(scale['4']):g}）：请降低分数线或提高上限",
            field="rules",
            code=AllianceError.RULES_UNREACHABLE,
        )
    return rules


def stars_for(score: float, rules: dict) -> int:
    for threshold, stars in sorted(rules["year_end"]["stars"], key=lambda x: -x[1]):
        if score >= threshold - 1e-9:
            return int(stars)
    return 1


def rectify_months(rules: dict) -> int:
    return int(rules["year_end"].get("rectify_months", 6))


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    if quarter not in (1, 2, 3, 4):
        raise DomainError("季度必须是1–4", field="quarter")
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def quarter_of(day: dt.date) -> int:
    return (day.month - 1) // 3 + 1
