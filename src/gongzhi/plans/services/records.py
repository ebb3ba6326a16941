"""Links from goals and tasks to the operational records that show the work (requests, votes, meetings, …).

Part of :mod:`gongzhi.plans.services`.
"""

from __future__ import annotations

from django.db import transaction

from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.events import emit

from .. import contracts as C
from .. import perms as P
from ..models import (
    Goal,
    Link,
    Task,
)
from .common import _now, _user
from .reading import _require_act

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
    return Link.objects.create(
        goal=goal,
        task=task,
        kind=kind,
        object_id=int(object_id),
        label=rec["label"],
        purpose=purpose,
        added_by=_user(actor),
        added_at=_now(),
    )


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
    emit(
        C.RECORD_LINKED,
        aggregate_type="plan_goal",
        aggregate_id=goal.pk,
        region=goal.region,
        actor=actor,
        payload={"kind": kind, "object_id": link.object_id, "task": task.pk if task else None},
    )
    return link
