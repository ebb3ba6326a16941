"""Adjustments of a task (deadline, scope, unit, cancellation): requested and decided, or made at once,
with their history.

Part of :mod:`gongzhi.plans.services`.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from gongzhi.core.errors import Conflict, DomainError
from gongzhi.core.events import emit
from gongzhi.org.models import Unit

from .. import contracts as C
from .. import perms as P
from .. import status as S
from ..models import (
    Adjustment,
    SupervisionFlag,
    Task,
)
from .common import _bump, _date, _now, _number, _text, _today, _user
from .reading import _require_act
from .supervision import _auto_resolve

# ----------------------------------------------------------------- adjustments

ADJUSTABLE = {"deadline", "title", "quality_standard", "target", "indicator_name", "unit"}


def _changes(
    task: Task,
    kind: str,
    *,
    deadline=None,
    title=None,
    quality_standard=None,
    target=None,
    indicator_name=None,
    unit: Unit | None = None,
) -> dict:
    ch: dict = {}
    if kind == Adjustment.Kind.DEADLINE:
        new = _date(deadline, "deadline", "请填写新的完成时限")
        if new == task.deadline:
            raise DomainError("新的完成时限与原时限相同", field="deadline")
        if new > task.goal.due_on:
            raise DomainError(f"新时限不能晚于目标完成时限{task.goal.due_on}", field="deadline")
        if new < task.goal.starts_on:
            raise DomainError(f"新时限不能早于目标开始日期{task.goal.starts_on}", field="deadline")
        ch["deadline"] = [task.deadline.isoformat(), new.isoformat()]
    elif kind == Adjustment.Kind.SCOPE:
        if title not in (None, "") and title.strip() != task.title:
            ch["title"] = [task.title, _text(title, "title", "请填写任务名称", 200)]
        if quality_standard not in (None, "") and quality_standard.strip() != task.quality_standard:
            ch["quality_standard"] = [
                task.quality_standard,
                _text(quality_standard, "quality_standard", "请填写质量标准", 300),
            ]
        if indicator_name not in (None, "") and indicator_name.strip() != task.indicator_name:
            ch["indicator_name"] = [task.indicator_name, _text(indicator_name, "indicator_name", "请填写指标", 100)]
        if target not in (None, ""):
            t = _number(target, "target", "请填写目标值")
            if t == task.baseline:
                raise DomainError("目标值与基线值相同，无法衡量进度", field="target")
            if t != task.target:
                ch["target"] = [task.target, t]
        if not ch:
            raise DomainError("请填写要调整的内容（任务名称、质量标准、指标或目标值）", field="title")
    elif kind == Adjustment.Kind.UNIT:
        if unit is None:
            raise DomainError("请指定新的责任单位", field="unit")
        if unit.pk == task.unit_id:
            raise DomainError("新的责任单位与原单位相同", field="unit")
        ch["unit"] = [task.unit.code, unit.code]
    elif kind == Adjustment.Kind.CANCEL:
        ch["state"] = [task.state, Task.State.CANCELLED]
    else:
        raise DomainError("调整类型应为时限、任务内容、责任单位或撤销", field="kind")
    return ch


def _apply(task: Task, changes: dict, version: int | None) -> None:
    fields: dict = {}
    for name, (old, new) in changes.items():
        current = getattr(task, name) if name != "unit" else task.unit.code
        if isinstance(current, dt.date):
            current = current.isoformat()
        if current != old:
            raise Conflict(f"任务的“{name}”在申请调整后已改变（现为{current}），请重新申请", field=name)
        if name == "deadline":
            fields["deadline"] = dt.date.fromisoformat(new)
        elif name == "unit":
            u = Unit.objects.get(code=new)
            fields["unit"], fields["region"] = u, u.region
        else:
            fields[name] = new
    if "target" in fields and not task.indicator_source and task.current_value is not None:
        fields["progress"] = S.indicator_progress(task.baseline, fields["target"], task.current_value)
    _bump(Task, task, version, **fields)
    if "deadline" in fields and fields["deadline"] >= _today():
        _auto_resolve(task, (SupervisionFlag.Kind.OVERDUE,), f"完成时限经批准调整为{fields['deadline']}")


@transaction.atomic
def request_adjustment(actor, task: Task, *, kind: str, reason: str, **new) -> Adjustment:
    """The responsible unit asks for a new deadline, re-scoping, another unit or cancellation."""
    _require_act(actor, task)
    if task.state != Task.State.OPEN:
        raise DomainError(f"任务已{task.get_state_display()}，不能申请调整", field="state")
    reason = _text(reason, "reason", "请说明调整理由", 300)
    if Adjustment.objects.filter(task=task, status=Adjustment.Status.REQUESTED).exists():
        raise Conflict("该任务已有待审批的调整申请，请等待审批结果", field="kind")
    ch = _changes(task, kind, **new)
    adj = Adjustment.objects.create(
        task=task, kind=kind, changes=ch, reason=reason, requested_by=_user(actor), requested_at=_now()
    )
    emit(
        C.ADJUSTMENT_REQUESTED,
        aggregate_type="plan_task",
        aggregate_id=task.pk,
        region=task.region,
        actor=actor,
        payload={"goal": task.goal_id, "kind": kind, "changes": ch, "reason": reason},
    )
    return adj


@transaction.atomic
def decide_adjustment(actor, adj: Adjustment, *, approve: bool, note: str = "") -> Adjustment:
    task = adj.task
    P.require(actor, P.MANAGE, task.goal)
    if adj.status != Adjustment.Status.REQUESTED:
        raise Conflict(f"该调整申请已{adj.get_status_display()}", field="status")
    if approve and task.state != Task.State.OPEN:
        raise DomainError(f"任务已{task.get_state_display()}，该调整申请不能再批准", field="status")
    note = (note or "").strip()[:300]
    if not approve and not note:
        raise DomainError("不批准请说明理由", field="note")
    n = Adjustment.objects.filter(pk=adj.pk, status=Adjustment.Status.REQUESTED).update(
        status=Adjustment.Status.APPROVED if approve else Adjustment.Status.REJECTED,
        decided_by=_user(actor),
        decided_at=_now(),
        decision_note=note,
    )
    if n == 0:
        raise Conflict("该调整申请已被他人审批", field="status")
    if approve:
        _apply(task, adj.changes, None)
    adj.refresh_from_db()
    emit(
        C.ADJUSTMENT_APPROVED if approve else C.ADJUSTMENT_REJECTED,
        aggregate_type="plan_task",
        aggregate_id=task.pk,
        region=task.region,
        actor=actor,
        payload={"goal": task.goal_id, "kind": adj.kind, "changes": adj.changes, "reason": adj.reason, "note": note},
    )
    return adj


@transaction.atomic
def adjust_task(actor, task: Task, *, kind: str, reason: str, version: int | None = None, **new) -> Adjustment:
    """A planner's adjustment, in force at once; recorded with old → new and the reason."""
    P.require(actor, P.MANAGE, task.goal)
    if task.state != Task.State.OPEN:
        raise DomainError(f"任务已{task.get_state_display()}，不能调整", field="state")
    reason = _text(reason, "reason", "请说明调整理由", 300)
    ch = _changes(task, kind, **new)
    _apply(task, ch, version)
    now = _now()
    adj = Adjustment.objects.create(
        task=task,
        kind=kind,
        changes=ch,
        reason=reason,
        status=Adjustment.Status.APPROVED,
        requested_by=_user(actor),
        requested_at=now,
        decided_by=_user(actor),
        decided_at=now,
        decision_note="直接调整",
    )
    if kind == Adjustment.Kind.CANCEL:
        Adjustment.objects.filter(task=task, status=Adjustment.Status.REQUESTED).update(
            status=Adjustment.Status.REJECTED, decided_at=now, decision_note="任务已撤销"
        )
        _auto_resolve(task, SupervisionFlag.Kind.values, "任务已撤销")
    emit(
        C.TASK_ADJUSTED,
        aggregate_type="plan_task",
        aggregate_id=task.pk,
        region=task.region,
        actor=actor,
        payload={"goal": task.goal_id, "kind": kind, "changes": ch, "reason": reason},
    )
    return adj
