"""The three lists (resources, needs, projects) agreed at the kick-off, claims that become tasks,
resource supplies and suggestions.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from gongzhi.core.errors import Conflict, DomainError
from gongzhi.core.events import emit
from gongzhi.org.models import Unit

from .. import contracts
from .. import permissions as ap
from ..contracts import AllianceError
from ..models import Alliance, ListItem, Meeting, ResourceSupply, Suggestion, Task
from .common import _alliance_ref, _require_active, _require_member, _text, _today


@transaction.atomic
def add_list_item(
    alliance: Alliance,
    *,
    year: int,
    kind: str,
    title: str,
    unit: Unit,
    detail: str = "",
    posts: int = 1,
    meets: ListItem | None = None,
    actor,
) -> ListItem:
    ap.require(actor, ap.APPLY, unit, alliance)
    _require_active(alliance)
    _require_member(alliance, unit)
    if kind not in ListItem.Kind.values:
        raise DomainError("清单必须是资源清单、需求清单或项目清单", field="kind")
    if not isinstance(posts, int) or posts < 1:
        raise DomainError("可认领岗位数至少为1", field="posts")
    if meets is not None:
        if kind != ListItem.Kind.RESOURCE or meets.kind != ListItem.Kind.NEED or meets.alliance_id != alliance.pk:
            raise DomainError("只有资源清单事项可以对接本联合体需求清单中的需求", field="meets")
    if ListItem.objects.filter(alliance=alliance, year=year, agreed_at__isnull=False).exists():
        raise DomainError(
            f"{year}年三张清单已在启动会议定；新增事项请在年度启动会记录前提出，或于次年启动会议定",
            field="year",
            code=AllianceError.LISTS_AGREED,
        )
    return ListItem.objects.create(
        alliance=alliance,
        year=year,
        kind=kind,
        title=_text(title, "title", "事项", 200),
        detail=_text(detail, "detail", "说明", 300, False),
        unit=unit,
        posts=posts,
        meets=meets,
    )


@transaction.atomic
def agree_lists(alliance: Alliance, year: int, *, actor) -> int:
    """At the annual kick-off the alliance agrees its resource, need and project lists."""
    ap.require(actor, ap.MANAGE, alliance)
    kickoff = Meeting.objects.filter(
        alliance=alliance, year=year, kind=Meeting.Kind.KICKOFF, held_on__isnull=False
    ).first()
    if kickoff is None:
        raise DomainError(f"三张清单须在{year}年启动会上议定：请先记录启动会", code=AllianceError.NO_KICKOFF)
    items = ListItem.objects.filter(alliance=alliance, year=year, agreed_at__isnull=True)
    kinds = set(items.values_list("kind", flat=True)) | set(
        ListItem.objects.filter(alliance=alliance, year=year).values_list("kind", flat=True)
    )
    missing = [str(label) for value, label in ListItem.Kind.choices if value not in kinds]
    if missing:
        raise DomainError(f"三张清单须齐全，尚缺：{'、'.join(missing)}", code=AllianceError.LISTS_INCOMPLETE)
    n = items.update(agreed_at=kickoff)
    emit(
        contracts.LISTS_AGREED,
        aggregate_type="alliance",
        aggregate_id=alliance.code,
        region=alliance.region,
        actor=actor,
        payload={
            **_alliance_ref(alliance),
            "year": year,
            "counts": {
                k: ListItem.objects.filter(alliance=alliance, year=year, kind=k).count() for k in ListItem.Kind.values
            },
        },
    )
    return n


@transaction.atomic
def claim(
    item: ListItem, unit: Unit, *, owner_name: str, deadline: dt.date, post: str = "", actor, on: dt.date | None = None
) -> Task:
    """A member claims a project (or a post in it); the claim becomes a task."""
    item = ListItem.objects.select_for_update(of=("self",), no_key=True).select_related("alliance").get(pk=item.pk)
    alliance = item.alliance
    ap.require(actor, ap.APPLY, unit, alliance)
    _require_active(alliance)
    _require_member(alliance, unit)
    if item.kind != ListItem.Kind.PROJECT:
        raise DomainError("只能认领项目清单中的项目或岗位", field="item")
    if item.agreed_at_id is None:
        raise DomainError("项目尚未在启动会上议定，暂不能认领", field="item", code=AllianceError.NOT_AGREED)
    taken = item.tasks.count()
    if taken >= item.posts:
        raise DomainError(f"该项目的{item.posts}个岗位均已被认领", field="item", code=AllianceError.POSTS_FULL)
    on = _today(on)
    if not isinstance(deadline, dt.date) or deadline < on:
        raise DomainError("完成时限不能早于认领日期", field="deadline")
    task = Task.objects.create(
        alliance=alliance,
        item=item,
        post=_text(post, "post", "岗位", 100, False),
        owner_unit=unit,
        owner_name=_text(owner_name, "owner_name", "责任人", 40),
        claimed_on=on,
        deadline=deadline,
    )
    emit(
        contracts.TASK_CLAIMED,
        aggregate_type="alliance",
        aggregate_id=alliance.code,
        region=alliance.region,
        actor=actor,
        payload={
            **_alliance_ref(alliance),
            "project": item.title,
            "unit": unit.code,
            "deadline": deadline.isoformat(),
            "personal": {"owner_name": task.owner_name},
        },
    )
    return task


@transaction.atomic
def complete_task(task: Task, *, note: str, completed_on: dt.date | None = None, actor) -> Task:
    ap.require(actor, ap.APPLY, task.owner_unit, task.alliance)
    task = Task.objects.select_for_update(of=("self",), no_key=True).get(pk=task.pk)
    if task.completed_on is not None:
        raise Conflict(f"该任务已于{task.completed_on}记录完成")
    completed_on = _today(completed_on)
    if completed_on < task.claimed_on:
        raise DomainError("完成日期不能早于认领日期", field="completed_on")
    if completed_on > timezone.localdate():
        raise DomainError("完成日期不能晚于今天", field="completed_on")
    task.completion_note = _text(note, "note", "完成情况", 300)
    task.completed_on = completed_on
    task.save()
    emit(
        contracts.TASK_COMPLETED,
        aggregate_type="alliance",
        aggregate_id=task.alliance.code,
        region=task.alliance.region,
        actor=actor,
        payload={
            **_alliance_ref(task.alliance),
            "project": task.item.title,
            "unit": task.owner_unit.code,
            "on_time": task.on_time,
        },
    )
    return task


@transaction.atomic
def supply_resource(
    alliance: Alliance, unit: Unit, *, description: str, on: dt.date | None = None, item: ListItem | None = None, actor
) -> ResourceSupply:
    ap.require(actor, ap.APPLY, unit, alliance)
    _require_active(alliance)
    _require_member(alliance, unit)
    if item is not None and (item.alliance_id != alliance.pk or item.kind == ListItem.Kind.PROJECT):
        raise DomainError("供给须对应本联合体的资源或需求清单事项", field="item")
    on = _today(on)
    if on > timezone.localdate():
        raise DomainError("供给日期不能晚于今天", field="supplied_on")
    return ResourceSupply.objects.create(
        alliance=alliance,
        unit=unit,
        item=item,
        supplied_on=on,
        description=_text(description, "description", "供给内容", 200),
    )


@transaction.atomic
def add_suggestion(
    alliance: Alliance, unit: Unit, *, text: str, on: dt.date | None = None, meeting: Meeting | None = None, actor
) -> Suggestion:
    ap.require(actor, ap.APPLY, unit, alliance)
    _require_active(alliance)
    _require_member(alliance, unit)
    return Suggestion.objects.create(
        alliance=alliance, unit=unit, text=_text(text, "text", "建议内容", 300), made_on=_today(on), meeting=meeting
    )


@transaction.atomic
def adopt_suggestion(suggestion: Suggestion, *, actor) -> Suggestion:
    ap.require(actor, ap.MANAGE, suggestion.alliance)
    suggestion.adopted = True
    suggestion.save(update_fields=["adopted"])
    return suggestion
