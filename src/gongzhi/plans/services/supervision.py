"""Supervision flags: raised by people (a failed quality check) or by the periodic check, and lifted.

Part of :mod:`gongzhi.plans.services`.
"""

from __future__ import annotations

from django.db import transaction

from gongzhi.core.errors import Conflict, DomainError
from gongzhi.core.events import emit

from .. import contracts as C
from .. import perms as P
from ..models import (
    SupervisionFlag,
    Task,
)
from .common import _bump, _now, _text, _user

# ----------------------------------------------------------------- supervision


def _raise(task: Task, kind: str, detail: str, actor) -> SupervisionFlag | None:
    if SupervisionFlag.objects.filter(task=task, kind=kind, resolved_at__isnull=True).exists():
        return None
    flag = SupervisionFlag.objects.create(
        task=task, kind=kind, detail=detail[:300], raised_at=_now(), raised_by=_user(actor)
    )
    emit(
        C.FLAG_RAISED,
        aggregate_type="plan_task",
        aggregate_id=task.pk,
        region=task.region,
        actor=actor,
        payload={"goal": task.goal_id, "kind": kind, "detail": flag.detail, "unit": task.unit.code},
    )
    return flag


def _auto_resolve(task: Task, kinds, resolution: str) -> int:
    n = 0
    for flag in SupervisionFlag.objects.filter(task=task, kind__in=kinds, resolved_at__isnull=True):
        flag.resolved_at, flag.resolution = _now(), resolution
        flag.save(update_fields=["resolved_at", "resolution"])
        emit(
            C.FLAG_RESOLVED,
            aggregate_type="plan_task",
            aggregate_id=task.pk,
            region=task.region,
            payload={"kind": flag.kind, "resolution": resolution, "auto": True},
        )
        n += 1
    return n


@transaction.atomic
def raise_flag(actor, task: Task, *, kind: str, detail: str) -> SupervisionFlag:
    """A supervisor's flag, typically a failed quality check (质量检查不合格)."""
    P.require(actor, P.SUPERVISE, task)
    if kind not in SupervisionFlag.Kind.values:
        raise DomainError("督办类型应为逾期、指标偏离或质量不合格", field="kind")
    detail = _text(detail, "detail", "请说明督办原因（如质量检查发现的问题）", 300)
    if kind == SupervisionFlag.Kind.QUALITY and task.state == Task.State.DONE:
        # A failed quality check reopens the task: it is not done until the standard is met.
        _bump(Task, task, None, state=Task.State.OPEN, done_on=None)
    elif task.state != Task.State.OPEN:
        raise DomainError(f"任务已{task.get_state_display()}，不能督办", field="state")
    flag = _raise(task, kind, detail, actor)
    if flag is None:
        raise Conflict(f"该任务已有未解除的“{SupervisionFlag.Kind(kind).label}”督办", field="kind")
    return flag


@transaction.atomic
def resolve_flag(actor, flag: SupervisionFlag, *, resolution: str) -> SupervisionFlag:
    P.require(actor, P.MANAGE, flag.task.goal)
    if flag.resolved_at is not None:
        raise Conflict("该督办事项已解除", field="resolution")
    resolution = _text(resolution, "resolution", "请填写处理结果", 300)
    n = SupervisionFlag.objects.filter(pk=flag.pk, resolved_at__isnull=True).update(
        resolved_at=_now(), resolved_by=_user(actor), resolution=resolution
    )
    if n == 0:
        raise Conflict("该督办事项已被他人解除", field="resolution")
    flag.refresh_from_db()
    emit(
        C.FLAG_RESOLVED,
        aggregate_type="plan_task",
        aggregate_id=flag.task_id,
        region=flag.task.region,
        actor=actor,
        payload={"kind": flag.kind, "resolution": resolution, "auto": False},
    )
    return flag
