"""Tasks: decomposition of a goal, progress (manual or read from the records), completion with evidence.

Part of :mod:`gongzhi.plans.services`.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from gongzhi.core.errors import DomainError
from gongzhi.core.events import emit
from gongzhi.org.models import Unit

from .. import contracts as C
from .. import indicators
from .. import perms as P
from .. import status as S
from ..models import (
    Goal,
    Link,
    ProgressUpdate,
    SupervisionFlag,
    Task,
)
from .common import MAX_TREE_DEPTH, _bump, _date, _now, _number, _task_payload, _text, _today, _user
from .reading import _require_act
from .records import _link
from .supervision import _auto_resolve

# ----------------------------------------------------------------- tasks


def _refresh_value(task: Task, on: dt.date, actor, note: str = "") -> ProgressUpdate | None:
    """Read a computable indicator; record a reading when the value changed."""
    value = indicators.compute(task, on)
    if value is None or value == task.current_value:
        return None
    progress = S.indicator_progress(task.baseline, task.target, value)
    Task.objects.filter(pk=task.pk).update(current_value=value, current_at=_now(), progress=progress)
    task.current_value, task.current_at, task.progress = value, _now(), progress
    return ProgressUpdate.objects.create(
        task=task,
        source=ProgressUpdate.Source.COMPUTED,
        value=value,
        progress=progress,
        note=note or "指标数据自动计算",
        at=_now(),
        reported_by=_user(actor),
    )


@transaction.atomic
def add_task(
    actor,
    goal: Goal,
    *,
    title: str,
    unit: Unit | None,
    deadline,
    quality_standard: str,
    indicator_name: str,
    target,
    baseline=0,
    indicator_unit: str = "",
    indicator_source: str = "",
    indicator_params: dict | None = None,
    weight: int = 1,
    parent: Task | None = None,
) -> Task:
    """Decompose a goal: one task with a responsible unit, a deadline, a quality standard and an indicator."""
    P.require(actor, P.MANAGE, goal)
    if goal.state != Goal.State.ACTIVE:
        raise DomainError(f"目标已{goal.get_state_display()}，不能再分解任务", field="goal")
    title = _text(title, "title", "请填写任务名称", 200)
    if unit is None:
        raise DomainError("请指定责任单位：每项任务都要落实到一个责任单位", field="unit")
    deadline = _date(deadline, "deadline", "请填写完成时限：每项任务都要有明确的截止日期")
    if deadline < goal.starts_on:
        raise DomainError(f"完成时限不能早于目标开始日期{goal.starts_on}", field="deadline")
    if deadline > goal.due_on:
        raise DomainError(f"任务时限不能晚于目标完成时限{goal.due_on}；如需延期请先调整目标", field="deadline")
    quality_standard = _text(quality_standard, "quality_standard", "请填写质量标准：完成到什么程度才算合格", 300)
    indicator_name = _text(indicator_name, "indicator_name", "请填写可量化的指标名称", 100)
    target = _number(target, "target", "请填写指标目标值")
    baseline = _number(baseline if baseline not in (None, "") else 0, "baseline", "请填写基线值")
    if target == baseline:
        raise DomainError("目标值与基线值相同，无法衡量进度", field="target")
    try:
        weight = int(weight or 1)
    except (TypeError, ValueError):
        raise DomainError("权重应为正整数", field="weight") from None
    if not 1 <= weight <= 100:
        raise DomainError("权重应在1到100之间", field="weight")
    indicators.validate(indicator_source or "", indicator_params or {})
    if parent is not None:
        if parent.goal_id != goal.pk:
            raise DomainError("上级任务不属于这个目标", field="parent")
        depth, p = 1, parent
        while p.parent_id:
            depth, p = depth + 1, p.parent
        if depth >= MAX_TREE_DEPTH:
            raise DomainError(f"任务最多分解{MAX_TREE_DEPTH}级", field="parent")
        if deadline > parent.deadline:
            raise DomainError(f"子任务时限不能晚于上级任务时限{parent.deadline}", field="deadline")
        if parent.state != Task.State.OPEN:
            raise DomainError("上级任务已结束，不能再分解", field="parent")
    if not indicator_unit and indicator_source:
        indicator_unit = indicators.REGISTRY[indicator_source].unit
    task = Task.objects.create(
        goal=goal,
        parent=parent,
        title=title,
        unit=unit,
        region=unit.region,
        deadline=deadline,
        quality_standard=quality_standard,
        weight=weight,
        indicator_name=indicator_name,
        indicator_unit=(indicator_unit or "")[:20],
        baseline=baseline,
        target=target,
        indicator_source=indicator_source or "",
        indicator_params=indicator_params or {},
    )
    _refresh_value(task, _today(), actor)
    emit(
        C.TASK_ASSIGNED,
        aggregate_type="plan_task",
        aggregate_id=task.pk,
        region=task.region,
        actor=actor,
        payload={**_task_payload(task), "quality_standard": quality_standard, "parent": parent.pk if parent else None},
    )
    return task


@transaction.atomic
def report_progress(
    actor, task: Task, *, value=None, progress=None, note: str = "", version: int | None = None
) -> ProgressUpdate:
    """A manual progress report by the responsible unit: an indicator value, or a progress % when the
    indicator is counted elsewhere.  A computable indicator is read from the records instead."""
    _require_act(actor, task)
    if task.state != Task.State.OPEN:
        raise DomainError(f"任务已{task.get_state_display()}，不能再报告进度", field="state")
    note = (note or "").strip()[:300]
    if task.indicator_source:
        if value not in (None, "") or progress not in (None, ""):
            raise DomainError("该指标由业务数据自动计算，不能手工填报数值；可只填写进展说明", field="value")
        if not note:
            raise DomainError("请填写进展说明", field="note")
        _refresh_value(task, _today(), actor)
        new_value, new_progress = task.current_value, task.progress
    elif value not in (None, ""):
        new_value = _number(value, "value", "请填写指标当前值")
        new_progress = S.indicator_progress(task.baseline, task.target, new_value)
    elif progress not in (None, ""):
        new_value = task.current_value
        new_progress = _number(progress, "progress", "请填写进度")
        if not 0 <= new_progress <= 100:
            raise DomainError("进度应在0到100之间", field="progress")
    else:
        raise DomainError("请填写指标当前值或进度百分比", field="value")
    _bump(Task, task, version, current_value=new_value, current_at=_now(), progress=new_progress)
    upd = ProgressUpdate.objects.create(
        task=task,
        source=ProgressUpdate.Source.MANUAL,
        value=new_value,
        progress=new_progress,
        note=note,
        reported_by=_user(actor),
        reporter_unit=P.acting_unit(actor, task.unit),
        at=_now(),
    )
    emit(
        C.PROGRESS_REPORTED,
        aggregate_type="plan_task",
        aggregate_id=task.pk,
        region=task.region,
        actor=actor,
        payload={"goal": task.goal_id, "value": new_value, "progress": new_progress, "note": note},
    )
    return upd


@transaction.atomic
def complete_task(
    actor, task: Task, *, evidence_kind: str, evidence_id, note: str = "", version: int | None = None
) -> Task:
    """Mark a task done with evidence: a link to the operational record that shows it (a resolved
    request, a held meeting, a completed alliance task, …)."""
    _require_act(actor, task)
    if task.state != Task.State.OPEN:
        raise DomainError(f"任务已{task.get_state_display()}", field="state")
    if task.children.filter(state=Task.State.OPEN).exists():
        raise DomainError("还有未完成的子任务，子任务全部完成后本任务自动完成", field="state")
    if not evidence_kind or evidence_id in (None, ""):
        raise DomainError("请提供完成佐证：选择一条业务记录（诉求、会议、联合体任务等）并填写编号", field="evidence_id")
    _bump(Task, task, version, state=Task.State.DONE, done_on=_today(), progress=100.0)
    try:
        link = _link(actor, task.goal, task, evidence_kind, evidence_id, Link.Purpose.EVIDENCE)
    except DomainError as e:
        e.field = "evidence_kind" if e.field == "kind" else "evidence_id"
        raise
    ProgressUpdate.objects.create(
        task=task,
        source=ProgressUpdate.Source.MANUAL,
        value=task.current_value,
        progress=100.0,
        note=(note or "任务完成")[:300],
        reported_by=_user(actor),
        reporter_unit=P.acting_unit(actor, task.unit),
        at=_now(),
    )
    _auto_resolve(task, (SupervisionFlag.Kind.OVERDUE, SupervisionFlag.Kind.OFF_TRACK), "任务已完成")
    emit(
        C.TASK_DONE,
        aggregate_type="plan_task",
        aggregate_id=task.pk,
        region=task.region,
        actor=actor,
        payload={
            **_task_payload(task),
            "done_on": task.done_on.isoformat(),
            "on_time": task.done_on <= task.deadline,
            "evidence": {"kind": link.kind, "id": link.object_id, "label": link.label},
        },
    )
    _complete_parents(actor, task)
    return task


def _complete_parents(actor, task: Task) -> None:
    parent = task.parent
    while parent is not None and parent.state == Task.State.OPEN:
        if parent.children.exclude(state__in=(Task.State.DONE, Task.State.CANCELLED)).exists():
            return
        _bump(Task, parent, None, state=Task.State.DONE, done_on=_today(), progress=100.0)
        _auto_resolve(parent, (SupervisionFlag.Kind.OVERDUE, SupervisionFlag.Kind.OFF_TRACK), "子任务全部完成")
        emit(
            C.TASK_DONE,
            aggregate_type="plan_task",
            aggregate_id=parent.pk,
            region=parent.region,
            actor=actor,
            payload={
                **_task_payload(parent),
                "done_on": parent.done_on.isoformat(),
                "on_time": parent.done_on <= parent.deadline,
                "evidence": "subtasks",
            },
        )
        parent = parent.parent
