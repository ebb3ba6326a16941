"""Plan use cases: goals from their sources, decomposition into tasks, progress, completion with
evidence, feedback, supervision flags (raised by people and by the periodic check), adjustments
with their history, links to operational records, closing a goal.

Each use case is one transaction: check permissions (:mod:`.perms`), validate, write, emit a
``plans.*`` event.  Decisions and adjustments are public events (they reach the transparency ledger);
a refused request writes nothing.  Updates of a task or goal use its ``version`` column and raise
:class:`Conflict` when someone else changed it first.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.events import emit
from gongzhi.org.models import Unit

from . import contracts as C
from . import indicators
from . import perms as P
from . import status as S
from .models import (
    Adjustment,
    Feedback,
    Goal,
    Link,
    ProgressUpdate,
    SourceKind,
    SupervisionFlag,
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
    return {"title": goal.title, "source_kind": goal.source_kind, "lead_unit": goal.lead_unit.code,
            "due_on": goal.due_on.isoformat()}


def _task_payload(task: Task) -> dict:
    return {"goal": task.goal_id, "title": task.title, "unit": task.unit.code, "deadline": task.deadline.isoformat(),
            "indicator": task.indicator_name, "target": task.target}


# ----------------------------------------------------------------- reading


def visible_goals(user):
    """Goals of the user's region subtree, and goals above it with a task in the subtree or of the user's units."""
    qs = Goal.objects.select_related("region", "lead_unit")
    if P.perm.is_system(user):
        return qs
    own = P.scope(user, Goal.objects.all()).values("pk")
    via_tasks = P.scope(user, Task.objects.all()).values("goal_id")
    acted = P.tasks_acted_for(user, Task.objects.all()).values("goal_id")
    return qs.filter(Q(pk__in=own) | Q(pk__in=via_tasks) | Q(pk__in=acted))


def visible_tasks(user):
    return P.scope(user, Task.objects.select_related("goal", "unit", "region"))


def get_goal(user, pk) -> Goal:
    g = visible_goals(user).filter(pk=pk).first()
    if g is None:
        raise NotFound("目标不存在或不在您的管辖范围内")
    return g


def get_task(user, pk) -> Task:
    t = Task.objects.select_related("goal", "unit", "region").filter(pk=pk).first()
    if t is None or not (P.allowed(user, P.VIEW, t) or P.acts_for(user, t.unit)):
        raise NotFound("任务不存在或不在您的管辖范围内")
    return t


def inbox(user):
    """Open tasks of the units the user acts for, due soonest first."""
    return P.tasks_acted_for(user, Task.objects.filter(state=Task.State.OPEN, goal__state=Goal.State.ACTIVE)
                             .select_related("goal", "unit")).order_by("deadline", "id")


def can_manage(user, goal) -> bool:
    return P.allowed(user, P.MANAGE, goal)


def can_act(user, task) -> bool:
    return P.acts_for(user, task.unit) or P.allowed(user, P.MANAGE, task.goal)


def _require_act(user, task) -> None:
    if P.allowed(user, P.MANAGE, task.goal):
        return
    P.require_acts_for(user, task)


# ----------------------------------------------------------------- linked records


def resolve_record(kind: str, object_id) -> dict:
    """{"label", "url", "region"} of an operational record; NotFound if it does not exist."""
    from django.urls import NoReverseMatch, reverse

    try:
        oid = int(object_id)
    except (TypeError, ValueError):
        raise DomainError(f"记录编号应为数字：{object_id}", field="object_id") from None
    label = url = region = None
    if kind == Link.Kind.REQUEST:
        from gongzhi.cases.models import ServiceRequest

        r = ServiceRequest.objects.filter(pk=oid).select_related("region").first()
        if r:
            label, region = f"{r.number} {r.description[:40]}（{r.get_state_display()}）", r.region
            url = ("cases:detail", [r.number])
    elif kind == Link.Kind.VOTE:
        from gongzhi.consult.models import FormalVote

        v = FormalVote.objects.filter(pk=oid).select_related("region").first()
        if v:
            label, region, url = f"{v.title}（{v.get_status_display()}）", v.region, ("consult:vote", [v.pk])
    elif kind == Link.Kind.FOLLOW_UP:
        from gongzhi.consult.models import FollowUp

        f = FollowUp.objects.filter(pk=oid).select_related("region").first()
        if f:
            label, region = f"{f.title}（{f.get_status_display()}）", f.region
            url = ("consult:vote", [f.vote_id]) if f.vote_id else None
    elif kind == Link.Kind.MEETING:
        from gongzhi.alliances.models import Meeting

        m = Meeting.objects.filter(pk=oid).select_related("alliance", "alliance__region").first()
        if m:
            when = m.held_on.isoformat() if m.held_on else "未召开"
            label, region = f"{m.alliance.name} {m.get_kind_display()} {when}", m.alliance.region
            url = ("alliances:detail", [m.alliance.code])
    elif kind == Link.Kind.ALLIANCE_TASK:
        from gongzhi.alliances.models import Task as AllianceTask

        t = AllianceTask.objects.filter(pk=oid).select_related("alliance", "alliance__region", "item").first()
        if t:
            state = f"完成于{t.completed_on}" if t.completed_on else f"时限{t.deadline}"
            label, region = f"{t.alliance.name}：{t.post or t.item.title}（{state}）", t.alliance.region
            url = ("alliances:detail", [t.alliance.code])
    elif kind == Link.Kind.ACTIVITY:
        from gongzhi.alliances.models import Activity

        a = Activity.objects.filter(pk=oid).select_related("alliance", "alliance__region").first()
        if a:
            label, region = f"{a.alliance.name}：{a.title}（{a.held_on}）", a.alliance.region
            url = ("alliances:detail", [a.alliance.code])
    else:
        raise DomainError(f"未知的记录类型：{kind}，可选：{'、'.join(Link.Kind.values)}", field="kind")
    if label is None:
        raise NotFound(f"没有编号为{oid}的{Link.Kind(kind).label}记录", field="object_id")
    href = None
    if url:
        try:
            href = reverse(url[0], args=url[1])
        except NoReverseMatch:
            href = None
    return {"label": label[:200], "url": href, "region": region}


def record_id(kind: str, raw) -> int:
    """A record's id from what a user types: the id, or a request's number (e.g. R20260101-0001)."""
    raw = str(raw if raw is not None else "").strip()
    if not raw:
        raise DomainError("请填写记录编号", field="object_id")
    if kind == Link.Kind.REQUEST:  # request numbers may be all digits: the number first, then the id
        from gongzhi.cases.models import ServiceRequest

        pk = ServiceRequest.objects.filter(number=raw).values_list("pk", flat=True).first()
        if pk is not None:
            return pk
        if not raw.isdigit():
            raise NotFound(f"没有编号为{raw}的诉求", field="object_id")
    if raw.isdigit():
        return int(raw)
    raise DomainError(f"记录编号应为数字：{raw}", field="object_id")


def _link(actor, goal, task, kind, object_id, purpose=Link.Purpose.RELATED) -> Link:
    object_id = record_id(kind, object_id)
    rec = resolve_record(kind, object_id)
    existing = Link.objects.filter(goal=goal, task=task, kind=kind, object_id=int(object_id), purpose=purpose).first()
    if existing:
        return existing
    return Link.objects.create(goal=goal, task=task, kind=kind, object_id=int(object_id), label=rec["label"],
                               purpose=purpose, added_by=_user(actor), added_at=_now())


@transaction.atomic
def link_record(actor, goal: Goal, *, kind: str, object_id, task: Task | None = None) -> Link:
    """Link a request, vote, meeting, … to a goal (or one of its tasks)."""
    if task is not None:
        if task.goal_id != goal.pk:
            raise DomainError("该任务不属于这个目标", field="task")
        _require_act(actor, task)
    else:
        P.require(actor, P.MANAGE, goal)
    link = _link(actor, goal, task, kind, object_id)
    emit(C.RECORD_LINKED, aggregate_type="plan_goal", aggregate_id=goal.pk, region=goal.region, actor=actor,
         payload={"kind": kind, "object_id": link.object_id, "task": task.pk if task else None})
    return link


# ----------------------------------------------------------------- goals


@transaction.atomic
def create_goal(actor, *, title: str, source_kind: str, lead_unit: Unit | None, starts_on, due_on,
                region=None, description: str = "", alliance_goal=None, follow_up=None, directive_ref: str = "",
                directive_issuer: Unit | None = None) -> Goal:
    """A goal from its source: an approved alliance goal, a consultation decision (a passed vote's
    follow-up) or a directive from above (document number and issuing unit)."""
    title = _text(title, "title", "请填写目标名称", 200)
    if source_kind not in SourceKind.values:
        raise DomainError("请选择目标来源：党建联合体目标、议事协商决定或上级部署", field="source_kind")
    if source_kind == SourceKind.ALLIANCE:
        if alliance_goal is None:
            raise DomainError("请选择来源的党建联合体目标", field="alliance_goal")
        if alliance_goal.status != "approved":
            raise DomainError(f"联合体目标“{alliance_goal.title}”尚未经上级党组织批准，不能立项分解",
                              field="alliance_goal")
        region = region or alliance_goal.alliance.region
        follow_up, directive_ref, directive_issuer = None, "", None
    elif source_kind == SourceKind.CONSULTATION:
        if follow_up is None:
            raise DomainError("请选择来源的议事协商决定（表决通过后的落实事项）", field="follow_up")
        region = region or follow_up.region
        alliance_goal, directive_ref, directive_issuer = None, "", None
    else:
        directive_ref = _text(directive_ref, "directive_ref", "请填写上级部署的文件文号", 80)
        if directive_issuer is None:
            raise DomainError("请选择部署单位", field="directive_issuer")
        alliance_goal = follow_up = None
    if region is None:
        raise DomainError("请选择目标所在区域", field="region")
    if source_kind == SourceKind.DIRECTIVE and not region.path.startswith(directive_issuer.region.path):
        raise DomainError(f"部署单位{directive_issuer.name}不是{region.name}的上级，不能作为上级部署的来源",
                          field="directive_issuer")
    P.require(actor, P.MANAGE, region)
    if lead_unit is None:
        raise DomainError("请指定牵头单位", field="lead_unit")
    starts_on = _date(starts_on, "starts_on", "请填写开始日期")
    due_on = _date(due_on, "due_on", "请填写完成时限")
    if due_on < starts_on:
        raise DomainError("完成时限不能早于开始日期", field="due_on")
    goal = Goal.objects.create(
        title=title, description=(description or "").strip(), source_kind=source_kind, alliance_goal=alliance_goal,
        follow_up=follow_up, directive_ref=directive_ref, directive_issuer=directive_issuer, region=region,
        lead_unit=lead_unit, starts_on=starts_on, due_on=due_on, created_by=_user(actor))
    if follow_up is not None:
        _link(actor, goal, None, Link.Kind.FOLLOW_UP, follow_up.pk)
        if follow_up.vote_id:
            _link(actor, goal, None, Link.Kind.VOTE, follow_up.vote_id)
    payload = _goal_payload(goal)
    payload.update({"alliance_goal": alliance_goal.pk if alliance_goal else None,
                    "follow_up": follow_up.pk if follow_up else None, "directive_ref": directive_ref})
    emit(C.GOAL_CREATED, aggregate_type="plan_goal", aggregate_id=goal.pk, region=region, actor=actor,
         payload=payload)
    return goal


@transaction.atomic
def close_goal(actor, goal: Goal, *, version: int | None = None, cancel: bool = False, reason: str = "") -> Goal:
    P.require(actor, P.MANAGE, goal)
    if goal.state != Goal.State.ACTIVE:
        raise DomainError(f"目标已{goal.get_state_display()}，不能再关闭", field="state")
    if cancel:
        reason = _text(reason, "reason", "撤销目标须说明理由", 300)
        _bump(Goal, goal, version, state=Goal.State.CANCELLED, closed_on=_today())
        goal.tasks.filter(state=Task.State.OPEN).update(state=Task.State.CANCELLED, version=F("version") + 1)
        kind = C.GOAL_CANCELLED
    else:
        open_tasks = list(goal.tasks.filter(state=Task.State.OPEN).values_list("title", flat=True)[:5])
        if open_tasks:
            raise DomainError(f"还有未完成的任务：{'、'.join(open_tasks)}；请先完成或经调整撤销", field="state")
        if not goal.tasks.filter(state=Task.State.DONE).exists():
            raise DomainError("目标没有已完成的任务，不能作为完成关闭", field="state")
        _bump(Goal, goal, version, state=Goal.State.CLOSED, closed_on=_today())
        kind = C.GOAL_CLOSED
    emit(kind, aggregate_type="plan_goal", aggregate_id=goal.pk, region=goal.region, actor=actor,
         payload={**_goal_payload(goal), "reason": reason})
    return goal


# ----------------------------------------------------------------- tasks


def _refresh_value(task: Task, on: dt.date, actor, note: str = "") -> ProgressUpdate | None:
    """Read a computable indicator; record a reading when the value changed."""
    value = indicators.compute(task, on)
    if value is None or value == task.current_value:
        return None
    progress = S.indicator_progress(task.baseline, task.target, value)
    Task.objects.filter(pk=task.pk).update(current_value=value, current_at=_now(), progress=progress)
    task.current_value, task.current_at, task.progress = value, _now(), progress
    return ProgressUpdate.objects.create(task=task, source=ProgressUpdate.Source.COMPUTED, value=value,
                                         progress=progress, note=note or "指标数据自动计算", at=_now(),
                                         reported_by=_user(actor))


@transaction.atomic
def add_task(actor, goal: Goal, *, title: str, unit: Unit | None, deadline, quality_standard: str,
             indicator_name: str, target, baseline=0, indicator_unit: str = "", indicator_source: str = "",
             indicator_params: dict | None = None, weight: int = 1, parent: Task | None = None) -> Task:
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
        goal=goal, parent=parent, title=title, unit=unit, region=unit.region, deadline=deadline,
        quality_standard=quality_standard, weight=weight, indicator_name=indicator_name,
        indicator_unit=(indicator_unit or "")[:20], baseline=baseline, target=target,
        indicator_source=indicator_source or "", indicator_params=indicator_params or {})
    _refresh_value(task, _today(), actor)
    emit(C.TASK_ASSIGNED, aggregate_type="plan_task", aggregate_id=task.pk, region=task.region, actor=actor,
         payload={**_task_payload(task), "quality_standard": quality_standard, "parent": parent.pk if parent else None})
    return task


@transaction.atomic
def report_progress(actor, task: Task, *, value=None, progress=None, note: str = "",
                    version: int | None = None) -> ProgressUpdate:
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
        task=task, source=ProgressUpdate.Source.MANUAL, value=new_value, progress=new_progress, note=note,
        reported_by=_user(actor), reporter_unit=P.acting_unit(actor, task.unit), at=_now())
    emit(C.PROGRESS_REPORTED, aggregate_type="plan_task", aggregate_id=task.pk, region=task.region,
         actor=actor, payload={"goal": task.goal_id, "value": new_value, "progress": new_progress, "note": note})
    return upd


@transaction.atomic
def complete_task(actor, task: Task, *, evidence_kind: str, evidence_id, note: str = "",
                  version: int | None = None) -> Task:
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
    ProgressUpdate.objects.create(task=task, source=ProgressUpdate.Source.MANUAL, value=task.current_value,
                                  progress=100.0, note=(note or "任务完成")[:300], reported_by=_user(actor),
                                  reporter_unit=P.acting_unit(actor, task.unit), at=_now())
    _auto_resolve(task, (SupervisionFlag.Kind.OVERDUE, SupervisionFlag.Kind.OFF_TRACK), "任务已完成")
    emit(C.TASK_DONE, aggregate_type="plan_task", aggregate_id=task.pk, region=task.region, actor=actor,
         payload={**_task_payload(task), "done_on": task.done_on.isoformat(), "on_time": task.done_on <= task.deadline,
                  "evidence": {"kind": link.kind, "id": link.object_id, "label": link.label}})
    _complete_parents(actor, task)
    return task


def _complete_parents(actor, task: Task) -> None:
    parent = task.parent
    while parent is not None and parent.state == Task.State.OPEN:
        if parent.children.exclude(state__in=(Task.State.DONE, Task.State.CANCELLED)).exists():
            return
        _bump(Task, parent, None, state=Task.State.DONE, done_on=_today(), progress=100.0)
        _auto_resolve(parent, (SupervisionFlag.Kind.OVERDUE, SupervisionFlag.Kind.OFF_TRACK), "子任务全部完成")
        emit(C.TASK_DONE, aggregate_type="plan_task", aggregate_id=parent.pk, region=parent.region,
             actor=actor, payload={**_task_payload(parent), "done_on": parent.done_on.isoformat(),
                                   "on_time": parent.done_on <= parent.deadline, "evidence": "subtasks"})
        parent = parent.parent


# ----------------------------------------------------------------- feedback


@transaction.atomic
def add_feedback(actor, goal: Goal, *, source: str, text: str, rating: str = "", task: Task | None = None,
                 unit: Unit | None = None) -> Feedback:
    """Feedback from a resident (recorded by staff or the resident) or from a unit."""
    if not visible_goals(actor).filter(pk=goal.pk).exists():
        raise Forbidden(f"无权对{goal.region.name}的目标提出反馈：不在您的管辖范围内")
    if source not in Feedback.Source.values:
        raise DomainError("请选择反馈方：居民或单位", field="source")
    text = _text(text, "text", "请填写反馈内容", 500)
    if rating and rating not in Feedback.Rating.values:
        raise DomainError("评价应为满意、基本满意或不满意", field="rating")
    if source == Feedback.Source.UNIT and unit is None:
        raise DomainError("单位反馈请注明反馈单位", field="unit")
    if task is not None and task.goal_id != goal.pk:
        raise DomainError("该任务不属于这个目标", field="task")
    fb = Feedback.objects.create(goal=goal, task=task, source=source, unit=unit if source == "unit" else None,
                                 rating=rating or "", text=text, by=_user(actor), at=_now())
    emit(C.FEEDBACK_RECEIVED, aggregate_type="plan_goal", aggregate_id=goal.pk, region=goal.region,
         actor=actor, payload={"source": source, "rating": rating, "task": task.pk if task else None,
                               "unit": unit.code if unit and source == "unit" else None})
    return fb


# ----------------------------------------------------------------- supervision


def _raise(task: Task, kind: str, detail: str, actor) -> SupervisionFlag | None:
    if SupervisionFlag.objects.filter(task=task, kind=kind, resolved_at__isnull=True).exists():
        return None
    flag = SupervisionFlag.objects.create(task=task, kind=kind, detail=detail[:300], raised_at=_now(),
                                          raised_by=_user(actor))
    emit(C.FLAG_RAISED, aggregate_type="plan_task", aggregate_id=task.pk, region=task.region, actor=actor,
         payload={"goal": task.goal_id, "kind": kind, "detail": flag.detail, "unit": task.unit.code})
    return flag


def _auto_resolve(task: Task, kinds, resolution: str) -> int:
    n = 0
    for flag in SupervisionFlag.objects.filter(task=task, kind__in=kinds, resolved_at__isnull=True):
        flag.resolved_at, flag.resolution = _now(), resolution
        flag.save(update_fields=["resolved_at", "resolution"])
        emit(C.FLAG_RESOLVED, aggregate_type="plan_task", aggregate_id=task.pk, region=task.region,
             payload={"kind": flag.kind, "resolution": resolution, "auto": True})
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
        resolved_at=_now(), resolved_by=_user(actor), resolution=resolution)
    if n == 0:
        raise Conflict("该督办事项已被他人解除", field="resolution")
    flag.refresh_from_db()
    emit(C.FLAG_RESOLVED, aggregate_type="plan_task", aggregate_id=flag.task_id, region=flag.task.region,
         actor=actor, payload={"kind": flag.kind, "resolution": resolution, "auto": False})
    return flag


def check(actor, *, on: dt.date | None = None, region=None) -> dict[str, int]:
    """The periodic check (``gongzhi plans check``): read computable indicators, flag overdue and
    off-track tasks, lift off-track flags of tasks back on track.  One transaction per goal."""
    if not P.perm.is_system(actor):
        region = region or P.perm.home_region(actor)
        if region is None:
            raise Forbidden("无权督办目标任务")
        P.require(actor, P.SUPERVISE, region)
    on = on or _today()
    out = {"goals": 0, "tasks": 0, "readings": 0, "overdue": 0, "off_track": 0, "back_on_track": 0}
    goals = Goal.objects.filter(state=Goal.State.ACTIVE).select_related("region")
    if region is not None:
        goals = goals.filter(region__path__startswith=region.path)
    for goal in goals.iterator():
        with transaction.atomic():
            out["goals"] += 1
            tasks = list(goal.tasks.filter(state=Task.State.OPEN).select_related("unit", "region", "goal"))
            for t in tasks:
                out["tasks"] += 1
                if t.indicator_source and _refresh_value(t, on, actor):
                    out["readings"] += 1
            prog = S.tree_progress(list(goal.tasks.exclude(state=Task.State.CANCELLED)))
            for t in tasks:
                t.progress = prog.get(t.pk, t.progress)
                if S.is_overdue(t, on):
                    days = (on - t.deadline).days
                    if _raise(t, SupervisionFlag.Kind.OVERDUE, f"已超过完成时限{t.deadline}共{days}天，进度{t.progress:g}%",
                              actor):
                        out["overdue"] += 1
                elif S.is_off_track(t, goal.starts_on, on):
                    exp = S.expected_progress(goal.starts_on, t.deadline, on)
                    if _raise(t, SupervisionFlag.Kind.OFF_TRACK,
                              f"进度{t.progress:g}%，按时间应达{exp:g}%（容差{S.OFF_TRACK_TOLERANCE:g}个百分点）", actor):
                        out["off_track"] += 1
                else:
                    out["back_on_track"] += _auto_resolve(t, (SupervisionFlag.Kind.OFF_TRACK,), "进度已恢复正常")
    return out


# ----------------------------------------------------------------- adjustments

ADJUSTABLE = {"deadline", "title", "quality_standard", "target", "indicator_name", "unit"}


def _changes(task: Task, kind: str, *, deadline=None, title=None, quality_standard=None, target=None,
             indicator_name=None, unit: Unit | None = None) -> dict:
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
            ch["quality_standard"] = [task.quality_standard,
                                      _text(quality_standard, "quality_standard", "请填写质量标准", 300)]
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
    adj = Adjustment.objects.create(task=task, kind=kind, changes=ch, reason=reason, requested_by=_user(actor),
                                    requested_at=_now())
    emit(C.ADJUSTMENT_REQUESTED, aggregate_type="plan_task", aggregate_id=task.pk, region=task.region,
         actor=actor, payload={"goal": task.goal_id, "kind": kind, "changes": ch, "reason": reason})
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
        status=Adjustment.Status.APPROVED if approve else Adjustment.Status.REJECTED, decided_by=_user(actor),
        decided_at=_now(), decision_note=note)
    if n == 0:
        raise Conflict("该调整申请已被他人审批", field="status")
    if approve:
        _apply(task, adj.changes, None)
    adj.refresh_from_db()
    emit(C.ADJUSTMENT_APPROVED if approve else C.ADJUSTMENT_REJECTED, aggregate_type="plan_task",
         aggregate_id=task.pk, region=task.region, actor=actor,
         payload={"goal": task.goal_id, "kind": adj.kind, "changes": adj.changes, "reason": adj.reason, "note": note})
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
    adj = Adjustment.objects.create(task=task, kind=kind, changes=ch, reason=reason, status=Adjustment.Status.APPROVED,
                                    requested_by=_user(actor), requested_at=now, decided_by=_user(actor),
                                    decided_at=now, decision_note="直接调整")
    if kind == Adjustment.Kind.CANCEL:
        Adjustment.objects.filter(task=task, status=Adjustment.Status.REQUESTED).update(
            status=Adjustment.Status.REJECTED, decided_at=now, decision_note="任务已撤销")
        _auto_resolve(task, SupervisionFlag.Kind.values, "任务已撤销")
    emit(C.TASK_ADJUSTED, aggregate_type="plan_task", aggregate_id=task.pk, region=task.region, actor=actor,
         payload={"goal": task.goal_id, "kind": kind, "changes": ch, "reason": reason})
    return adj


# ----------------------------------------------------------------- history


def timeline(goal: Goal) -> list[dict]:
    """Every dated record of the goal, oldest first: creation, tasks, progress, feedback, flags, adjustments."""
    items: list[dict] = [{"at": goal.created_at, "kind": "goal", "label": "目标立项", "text": goal.title, "task": None}]
    tasks = {t.pk: t for t in goal.tasks.all()}
    for t in tasks.values():
        items.append({"at": t.created_at, "kind": "task", "label": "分解任务",
                      "text": f"{t.title}（责任单位：{t.unit.name}，时限{t.deadline}）", "task": t})
    for u in ProgressUpdate.objects.filter(task__goal=goal).select_related("task", "reporter_unit", "reported_by"):
        who = u.reporter_unit.name if u.reporter_unit else (u.get_source_display())
        val = f"{u.value:g}{u.task.indicator_unit}，" if u.value is not None else ""
        items.append({"at": u.at, "kind": "progress", "label": "进度报告",
                      "text": f"{u.task.title}：{val}进度{u.progress:g}%（{who}）{u.note}", "task": u.task})
    for f in goal.feedback.select_related("unit", "task"):
        src = f.unit.name if f.unit else f.get_source_display()
        items.append({"at": f.at, "kind": "feedback", "label": "反馈",
                      "text": f"{src}：{f.text}" + (f"（{f.get_rating_display()}）" if f.rating else ""), "task": f.task})
    for fl in SupervisionFlag.objects.filter(task__goal=goal).select_related("task"):
        items.append({"at": fl.raised_at, "kind": "flag", "label": f"督办：{fl.get_kind_display()}",
                      "text": f"{fl.task.title}：{fl.detail}", "task": fl.task})
        if fl.resolved_at:
            items.append({"at": fl.resolved_at, "kind": "flag_resolved", "label": "督办解除",
                          "text": f"{fl.task.title}：{fl.resolution}", "task": fl.task})
    for a in Adjustment.objects.filter(task__goal=goal).select_related("task"):
        ch = "；".join(f"{k}：{o} → {n}" for k, (o, n) in a.changes.items())
        items.append({"at": a.requested_at, "kind": "adjustment", "label": f"{a.get_kind_display()}（{a.get_status_display()}）",
                      "text": f"{a.task.title}：{ch}。理由：{a.reason}", "task": a.task})
    items.sort(key=lambda i: i["at"])
    return items
