"""Helpers shared by the plan use cases: input checks, the optimistic update, event payloads.

Part of :mod:`gongzhi.plans.services`.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils import timezone

from gongzhi.core.errors import Conflict, DomainError

from ..models import (
    Goal,
    Task,
)

MAX_TREE_DEPTH = 3  # goal → task → sub-task → sub-sub-task


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _now():
    return timezone.now()


def _today() -> dt.date:
    return timezone.localdate()


def _text(value, field: str, message: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field)
    if len(value) > max_length:
        raise DomainError(f"内容过长：最多{max_length}字", field=field)
    return value


def _date(value, field: str, message: str) -> dt.date:
    if value in (None, ""):
        raise DomainError(message, field=field)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DomainError(f"日期格式不正确：{value}（应为YYYY-MM-DD）", field=field) from None


def _number(value, field: str, message: str) -> float:
    if value in (None, ""):
        raise DomainError(message, field=field)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise DomainError(f"请填写数字：{value}", field=field) from None


def _bump(model, obj, expected: int | None, **fields) -> None:
    """Optimistic update: write ``fields`` only if the row's version is still ``expected``."""
    expected = obj.version if expected is None else int(expected)
    n = model.objects.filter(pk=obj.pk, version=expected).update(version=F("version") + 1, **fields)
    if n == 0:
        raise Conflict(f"“{obj}”已被他人修改，请刷新后重试", field="version")
    for k, v in fields.items():
        setattr(obj, k, v)
    obj.version = expected + 1


def _goal_payload(goal: Goal) -> dict:
    return {
        "title": goal.title,
        "source_kind": goal.source_kind,
        "lead_unit": goal.lead_unit.code,
        "due_on": goal.due_on.isoformat(),
    }


def _task_payload(task: Task) -> dict:
    return {
        "goal": task.goal_id,
        "title": task.title,
        "unit": task.unit.code,
        "deadline": task.deadline.isoformat(),
        "indicator": task.indicator_name,
        "target": task.target,
    }
