"""Indicator formulas: arithmetic over named measures, parsed safely with :mod:`ast`.

A formula is a Python expression limited to numbers, measure names, ``+ - * /``, unary minus and
the functions ``min``, ``max`` and ``abs``.  Anything else (attributes, subscripts, other calls,
comparisons, …) is refused.  A name must be a known measure (:data:`gongzhi.assessment.measures.MEASURES`);
a name on the negative list (:data:`NEVER_ASSESS`) is refused with the reason it may never be assessed.
Evaluation returns ``None`` when a measure it uses has no data (for example no rated request), so a
missing figure is never read as zero.
"""

from __future__ import annotations

import ast
import operator

from gongzhi.core.errors import DomainError

from .contracts import AssessmentError

# Things never to assess (seed 001, 考核过密化: photos, check-ins, forms, "leave traces").  They are
# data here so that a scheme can be checked against them: a formula that names one is refused.
NEVER_ASSESS: dict[str, str] = {
    "photo_count": "照片数量：拍照留痕不等于工作实绩（考核过密化）",
    "checkin_count": "打卡次数：签到打卡只证明在场，不证明解决了问题（考核过密化）",
    "trace_count": "留痕材料数：痕迹管理增加基层负担，不反映群众满意（考核过密化）",
    "form_count": "填报表格数：报表越多负担越重，不得作为加分项（减负内卷化）",
    "report_count": "上报材料数：材料数量不等于实效（减负内卷化）",
    "signin_count": "会议签到人次：签到不等于参与，应看建言和任务落实（考核过密化）",
}

FUNCTIONS = {"min": min, "max": max, "abs": abs}
BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
MAX_LENGTH = 400


def parse(formula: str, known: dict | set | list, *, field: str = "formula") -> tuple[ast.Expression, list[str]]:
    """Parse and check ``formula``; return the tree and the measure names it uses (in order of appearance)."""
    text = (formula or "").strip()
    if not text:
        raise DomainError("公式不能为空，请填写由指标字段组成的算式，例如 resolution_rate", field=field)
    if len(text) > MAX_LENGTH:
        raise DomainError(f"公式过长（{len(text)}字符），最多{MAX_LENGTH}字符", field=field)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        raise DomainError(f"公式语法错误（第{e.offset or 0}个字符附近）：{text}", field=field) from None
    names: list[str] = []
    known_names = sorted(known)
    for node in ast.walk(tree):
        if isinstance(node, ast.Expression):
            continue
        if isinstance(node, ast.BinOp):
            if type(node.op) not in BINOPS:
                raise DomainError(f"公式中不允许运算符“{_op(node.op)}”；只允许 + - * /", field=field)
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in UNARY:
                raise DomainError("公式中只允许负号这一种一元运算", field=field)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
                fname = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                raise DomainError(f"公式中不允许调用“{fname}”；只允许 min、max、abs", field=field)
            if not node.args:
                raise DomainError(f"函数{node.func.id}至少需要一个参数", field=field)
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                continue
            if node.id in NEVER_ASSESS:
                raise DomainError(
                    f"“{node.id}”在考核负面清单中，不得用于考核：{NEVER_ASSESS[node.id]}",
                    field=field,
                    code=AssessmentError.NEVER_ASSESS,
                )
            if node.id not in known:
                raise DomainError(
                    f"公式引用了未知字段“{node.id}”；可用字段：{', '.join(known_names)}",
                    field=field,
                    code=AssessmentError.UNKNOWN_FIELD,
                )
            if node.id not in names:
                names.append(node.id)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise DomainError(f"公式中只允许数字常量，不允许“{node.value!r}”", field=field)
        elif isinstance(node, (ast.operator, ast.unaryop, ast.Load)):
            continue
        else:
            raise DomainError(
                f"公式中不允许“{ast.unparse(node)}”这种写法；只允许字段、数字、+ - * /、min/max/abs", field=field
            )
    # A bare function name ("min" alone, or min + 1) is not a value.
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in FUNCTIONS and not _is_callee(tree, node):
            raise DomainError(f"“{node.id}”是函数，需要写成 {node.id}(…)", field=field)
    if not names:
        raise DomainError("公式至少要引用一个指标字段（指标必须来自业务记录，不能是常数）", field=field)
    return tree, names


def _is_callee(tree, name_node) -> bool:
    return any(isinstance(n, ast.Call) and n.func is name_node for n in ast.walk(tree))


def _op(op) -> str:
    return {
        ast.Pow: "**",
        ast.Mod: "%",
        ast.FloorDiv: "//",
        ast.BitAnd: "&",
        ast.BitOr: "|",
        ast.BitXor: "^",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.MatMult: "@",
    }.get(type(op), type(op).__name__)


def evaluate(tree: ast.Expression, values: dict[str, float | None]) -> float | None:
    """Evaluate a parsed formula; ``None`` if a measure it needs is missing or a division by zero occurs."""

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            v = values.get(node.id)
            if v is None:
                raise _Missing(node.id)
            return float(v)
        if isinstance(node, ast.UnaryOp):
            return UNARY[type(node.op)](ev(node.operand))
        if isinstance(node, ast.BinOp):
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Div) and right == 0:
                raise _Missing("/0")
            return BINOPS[type(node.op)](left, right)
        if isinstance(node, ast.Call):
            return float(FUNCTIONS[node.func.id](*[ev(a) for a in node.args]))
        raise _Missing(type(node).__name__)  # unreachable for parsed trees

    try:
        return ev(tree)
    except _Missing:
        return None


class _Missing(Exception):
    pass
