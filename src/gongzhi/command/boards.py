"""The four boards of "141" (一中心四板块一网格, seed 004): every request, plan task, alert and pool need
belongs to one board, by its matter category (or, for a record without one, by what kind of record it is),
and the street centre shows its work board by board.

The board of a key is data: :data:`DEFAULT_RULES` (in code) overridden per region by
:class:`~gongzhi.command.models.BoardRule` rows (the most specific region wins). Keys are matter category
codes (a 5-digit minor class first, then its 2-digit major class) and record keys (``task.<goal source>``,
``need.<need source>``, ``alert.<alert kind>``, ``request`` for a request without a category). Nothing is
stored on the records: the board is computed when it is read. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from gongzhi.core.models import Region
from gongzhi.org.models import MatterCategory

from . import queries
from .models import Board, BoardRule, RequestFact
from .rollups import _area_q

BOARDS: tuple[str, ...] = tuple(Board.values)

# The defaults, after Chongqing's boards: party building; economic development (industry, ecology, rural
# affairs); safety and rule of law (disputes, hazards, illegal building); livelihood services (everything
# residents ask of daily life). A district overrides any key with a BoardRule.
DEFAULT_RULES: dict[str, str] = {
    "01": Board.LIVELIHOOD,  # 市容环境
    "02": Board.LIVELIHOOD,  # 公共设施
    "03": Board.LIVELIHOOD,  # 水电气热
    "04": Board.LIVELIHOOD,  # 物业管理
    "04080": Board.SAFETY,  # 消防通道 (a fire-safety matter inside property management)
    "05": Board.SAFETY,  # 邻里纠纷
    "06": Board.LIVELIHOOD,  # 民生保障
    "07": Board.SAFETY,  # 安全隐患
    "08": Board.SAFETY,  # 违法建设
    "09": Board.ECONOMY,  # 生态环境
    "10": Board.ECONOMY,  # 农村事务
    "request": Board.LIVELIHOOD,  # a request without a category
    "task.alliance": Board.PARTY,
    "task.consultation": Board.LIVELIHOOD,
    "task.directive": Board.ECONOMY,
    "need.alliance": Board.PARTY,
    "need.emergency": Board.SAFETY,
    "need.request": Board.LIVELIHOOD,
    "need.direct": Board.LIVELIHOOD,
    "alert.arrivals": Board.LIVELIHOOD,
    "alert.repeat": Board.LIVELIHOOD,
    "alert.sla": Board.LIVELIHOOD,
}
FALLBACK = Board.LIVELIHOOD


def label(board: str) -> str:
    return str(Board(board).label)


class Resolver:
    """The board of each key for one region: the defaults, then the rules of its ancestors, then its own."""

    def __init__(self, region: Region | None = None) -> None:
        self.rules: dict[str, str] = dict(DEFAULT_RULES)
        if region is not None:
            ancestors = [p for p in region.path.split("/") if p]
            rows = BoardRule.objects.filter(region__code__in=ancestors).select_related("region")
            for r in sorted(rows, key=lambda r: len(r.region.path)):
                self.rules[r.key] = r.board

    def key(self, key: str, default: str | None = None) -> str:
        return self.rules.get(key) or default or FALLBACK

    def category(self, code: str | None, default_key: str = "request") -> str:
        if code:
            if code in self.rules:
                return self.rules[code]
            if code[:2] in self.rules:
                return self.rules[code[:2]]
        return self.key(default_key)

    # --- the records

    def request(self, req: Any) -> str:
        return self.category(req.category.code if req.category_id else None)

    def task(self, task: Any) -> str:
        code = (task.indicator_params or {}).get("category") if isinstance(task.indicator_params, dict) else None
        if code:
            return self.category(str(code))
        return self.key(f"task.{task.goal.source_kind}")

    def alert(self, alert: Any) -> str:
        return self.category(alert.category.code if alert.category_id else None, f"alert.{alert.kind}")

    def need(self, need: Any, request_categories: dict[str, str | None] | None = None) -> str:
        if need.source == "request" and need.source_ref.startswith("request:"):
            number = need.source_ref.split(":", 1)[1]
            if request_categories is None:
                request_categories = _request_categories([number])
            return self.category(request_categories.get(number), "need.request")
        return self.key(f"need.{need.source}")

    def boards_of_categories(self) -> dict[int, str]:
        """Every matter category's board, by id."""
        return {pk: self.category(code) for pk, code in MatterCategory.objects.values_list("pk", "code")}


def _request_categories(numbers: Iterable[str]) -> dict[str, str | None]:
    from gongzhi.cases.models import ServiceRequest

    numbers = list(numbers)
    if not numbers:
        return {}
    return dict(ServiceRequest.objects.filter(number__in=numbers).values_list("number", "category__code"))


def board_of(record: Any, region: Region | None = None) -> str:
    """The board of a request, plan task, alert or pool need (by its category; see the module's doc)."""
    resolver = Resolver(region or getattr(record, "region", None))
    name = type(record).__name__
    if name == "ServiceRequest":
        return resolver.request(record)
    if name == "Task":
        return resolver.task(record)
    if name == "Alert":
        return resolver.alert(record)
    if name == "PoolNeed":
        return resolver.need(record)
    raise TypeError(f"no board for a {name}")


def _empty() -> dict[str, dict[str, Any]]:
    return {
        b: {
            "board": b,
            "label": label(b),
            "requests": 0,
            "open": 0,
            "overdue": 0,
            "tasks_open": 0,
            "tasks_overdue": 0,
            "alerts": 0,
            "needs_open": 0,
        }
        for b in BOARDS
    }


def figures(region: Region, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Per board: requests submitted in [start, end] (category rollups) and open / overdue now (the open
    requests' facts), plan
    tasks open and past their deadline, active alerts and open pool needs, all in ``region``'s subtree."""
    from gongzhi.alerts.models import ACTIVE, Alert
    from gongzhi.plans.models import Task
    from gongzhi.resources.models import PoolNeed

    resolver = Resolver(region)
    out = _empty()
    now = timezone.now()
    today = timezone.localdate()
    codes = dict(MatterCategory.objects.values_list("pk", "code"))
    # requests of the period from the category rollups (as the centre's top categories); open and overdue
    # now from the facts of the open requests only (the open set, not history)
    for cat_id, sums in queries.category_sums(region, start, end, "category_id", ("arrived",)).items():
        out[resolver.category(codes.get(cat_id))]["requests"] += sums.get("arrived") or 0
    facts = (
        RequestFact.objects.filter(_area_q(region), is_open=True)
        .values("category_id")
        .annotate(open=Count("request_id"), overdue=Count("request_id", filter=Q(due_at__lt=now)))
    )
    for row in facts:
        b = out[resolver.category(codes.get(row["category_id"]))]
        b["open"] += row["open"]
        b["overdue"] += row["overdue"]
    for task in Task.objects.filter(region__path__startswith=region.path, state=Task.State.OPEN).select_related("goal"):
        b = out[resolver.task(task)]
        b["tasks_open"] += 1
        b["tasks_overdue"] += task.deadline < today
    for kind, code, n in (
        Alert.objects.filter(region__path__startswith=region.path, status__in=ACTIVE)
        .values("kind", "category__code")
        .annotate(n=Count("id"))
        .values_list("kind", "category__code", "n")
    ):
        out[resolver.category(code, f"alert.{kind}")]["alerts"] += n
    needs = list(PoolNeed.objects.filter(region__path__startswith=region.path, status=PoolNeed.Status.OPEN))
    cats = _request_categories(
        n.source_ref.split(":", 1)[1] for n in needs if n.source == "request" and n.source_ref.startswith("request:")
    )
    for need in needs:
        out[resolver.need(need, cats)]["needs_open"] += 1
    return [out[b] for b in BOARDS]


def records(region: Region, board: str, limit: int = 20) -> dict[str, list]:
    """The open records of one board in ``region``'s subtree: requests, plan tasks, alerts, pool needs."""
    from gongzhi.alerts.models import ACTIVE, Alert
    from gongzhi.cases.models import ServiceRequest
    from gongzhi.plans.models import Task
    from gongzhi.resources.models import PoolNeed

    resolver = Resolver(region)
    cat_boards = resolver.boards_of_categories()
    cats = [pk for pk, b in cat_boards.items() if b == board]
    open_ids = RequestFact.objects.filter(_area_q(region), is_open=True)
    q = Q(category_id__in=cats)
    if resolver.key("request") == board:
        q |= Q(category__isnull=True)
    ids = list(open_ids.filter(q).order_by("due_at", "request_id").values_list("request_id", flat=True)[:limit])
    requests = list(
        ServiceRequest.objects.filter(pk__in=ids).select_related("region", "category").order_by("due_at", "pk")
    )
    tasks = [
        t
        for t in Task.objects.filter(region__path__startswith=region.path, state=Task.State.OPEN)
        .select_related("goal", "unit")
        .order_by("deadline", "pk")
        if resolver.task(t) == board
    ][:limit]
    alerts = [
        a
        for a in Alert.objects.filter(region__path__startswith=region.path, status__in=ACTIVE)
        .select_related("category", "region")
        .order_by("-created_at")
        if resolver.alert(a) == board
    ][:limit]
    needs_all = list(
        PoolNeed.objects.filter(region__path__startswith=region.path, status=PoolNeed.Status.OPEN).order_by(
            "priority", "pk"
        )
    )
    rc = _request_categories(
        n.source_ref.split(":", 1)[1]
        for n in needs_all
        if n.source == "request" and n.source_ref.startswith("request:")
    )
    needs = [n for n in needs_all if resolver.need(n, rc) == board][:limit]
    return {"requests": requests, "tasks": tasks, "alerts": alerts, "needs": needs}
