"""What each role has to do, for its home page (issue 19 item 1).

Read-only: every section is counted from the records of the module that owns the work, and links to
the page where that work is done (the grid inbox, the dispatch desk, the department's inbox, the
reporter's own requests). A user with several roles gets the sections of each; a log-in without a
platform role is a resident. Nothing here is typed in or stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.org import permissions as perm
from gongzhi.org.kinds import StaffRoleKind as R

#: How many items a section lists before its "all" link.
FIRST = 6
#: Meetings due within this many days are on a cadre's list.
MEETINGS_AHEAD = dt.timedelta(days=14)


@dataclass
class Row:
    text: str
    url: str
    note: str = ""
    urgent: bool = False


@dataclass
class Section:
    key: str
    title: object
    count: int
    url: str
    rows: list[Row] = field(default_factory=list)
    empty: object = ""

    @property
    def urgent(self) -> int:
        return sum(1 for r in self.rows if r.urgent)


def _requests_rows(qs: Any, now: dt.datetime) -> list[Row]:
    from gongzhi.cases.sla import flags

    rows = []
    for r in qs.select_related("category")[:FIRST]:
        overdue = r.due_at is not None and r.due_at < now
        note = _("已超期") if overdue else ""
        if not overdue and flags(r, now)["due_soon"]:
            note = _("即将到期")
        rows.append(
            Row(
                f"{r.number} · {r.category.name if r.category else ''}",
                reverse("cases:detail", args=[r.number]),
                str(note),
                overdue,
            )
        )
    return rows


def grid_worker(user: Any, now: dt.datetime) -> list[Section]:
    from gongzhi.cases.models import OPEN_STATES, Bypass, State
    from gongzhi.cases.views_common import grid_requests, worker_grid_ids

    mine = grid_requests(user, worker_grid_ids(user))  # the grid inbox's requests
    open_ = mine.filter(state__in=OPEN_STATES).order_by("due_at", "created_at")
    follow = mine.filter(state=State.RESOLVED).order_by("resolved_at")
    unfiled = Bypass.objects.filter(worker=user, filed_at__isnull=True)
    inbox = reverse("cases:grid_inbox")
    return [
        Section(
            "grid_open",
            _("我的待办诉求（按紧急程度）"),
            open_.count(),
            inbox,
            _requests_rows(open_, now),
            _("网格内没有待办诉求。"),
        ),
        _patrols_due(user),
        Section(
            "grid_follow", _("待回访"), follow.count(), inbox, _requests_rows(follow, now), _("没有待回访的诉求。")
        ),
        Section(
            "grid_bypass",
            _("待补录的先行处置"),
            unfiled.count(),
            inbox,
            [Row(str(b.grid) if b.grid_id else "", inbox, "", True) for b in unfiled.select_related("grid")[:FIRST]],
            _("没有待补录的先行处置。"),
        ),
    ]


def _patrols_due(user: Any) -> Section:
    """The grid worker's grids due for a patrol today or overdue (``patrols.services.due_for``)."""
    from gongzhi.patrols import services as patrols

    due = patrols.due_for(user)
    url = reverse("patrols:index")
    rows = [
        Row(
            f"{d.grid.name}（{d.grid.code}）",
            reverse("patrols:new") + f"?grid={d.grid.code}",
            str(_("超期%(n)d天") % {"n": d.overdue_days} if d.overdue_days > 0 else _("今天")),
            d.overdue_days > 0,
        )
        for d in due[:FIRST]
    ]
    return Section("grid_patrol", _("该巡查的网格"), len(due), url, rows, _("今天没有该巡查的网格。"))


def cadre(user: Any, now: dt.datetime) -> list[Section]:
    from gongzhi.alliances.models import Meeting
    from gongzhi.cases import perms as cperms
    from gongzhi.cases.models import OPEN_STATES
    from gongzhi.cases.views_common import WAITING_STATES, desk_requests

    out = []
    if cperms.can(user, cperms.DISPATCH):
        scoped = desk_requests(user)  # the dispatch desk's requests
        waiting = scoped.filter(state__in=WAITING_STATES).order_by("due_at", "created_at")
        overdue = scoped.filter(state__in=OPEN_STATES, due_at__lt=now).order_by("due_at")
        desk = reverse("cases:desk")
        out += [
            Section(
                "desk_waiting",
                _("待派单"),
                waiting.count(),
                desk,
                _requests_rows(waiting, now),
                _("没有待派单的诉求。"),
            ),
            Section(
                "desk_overdue",
                _("已超期诉求"),
                overdue.count(),
                desk,
                _requests_rows(overdue, now),
                _("没有超期诉求。"),
            ),
        ]
    if perm.allowed(user, "view_alliance"):
        due = (
            perm.scope(user, Meeting.objects.all(), "view_alliance", region_field="alliance__region")
            .filter(held_on__isnull=True, due_on__isnull=False, due_on__lte=(now + MEETINGS_AHEAD).date())
            .select_related("alliance")
            .order_by("due_on")
        )
        today = timezone.localdate(now)
        out.append(
            Section(
                "meetings_due",
                _("待召开的会议"),
                due.count(),
                reverse("alliances:index"),
                [
                    Row(
                        f"{m.alliance.name} · {m.get_kind_display()}",
                        reverse("alliances:detail", args=[m.alliance.code]),
                        m.due_on.isoformat() if m.due_on else "",
                        m.due_on is not None and m.due_on < today,
                    )
                    for m in due[:FIRST]
                ],
                _("近期没有待召开的会议。"),
            )
        )
    return out


def department(user: Any, now: dt.datetime) -> list[Section]:
    from gongzhi.cases.models import OPEN_STATES
    from gongzhi.cases.views_common import dept_requests, dept_summonses

    open_ = dept_requests(user).filter(state__in=OPEN_STATES).order_by("due_at")  # the department's inbox
    summonses = dept_summonses(user)
    inbox = reverse("cases:dept_inbox")
    return [
        Section(
            "dept_summons",
            _("吹哨待报到"),
            summonses.count(),
            inbox,
            [
                Row(
                    s.whistle.request.number,
                    reverse("cases:detail", args=[s.whistle.request.number]),
                    str(_("已超期")) if s.ack_due < now else "",
                    s.ack_due < now,
                )
                for s in summonses[:FIRST]
            ],
            _("没有待报到的吹哨。"),
        ),
        Section(
            "dept_open",
            _("本部门承办的诉求"),
            open_.count(),
            inbox,
            _requests_rows(open_, now),
            _("没有承办中的诉求。"),
        ),
    ]


def auditor(user: Any, now: dt.datetime) -> list[Section]:
    from gongzhi.plans.models import SupervisionFlag

    flags = perm.scope(user, SupervisionFlag.objects.filter(resolved_at__isnull=True), region_field="task__region")
    return [
        Section(
            "flags_open",
            _("未解除的督办事项"),
            flags.count(),
            reverse("plans:index"),
            [
                Row(f.task.title, reverse("plans:task", args=[f.task_id]), f.get_kind_display(), True)
                for f in flags.select_related("task")[:FIRST]
            ],
            _("没有未解除的督办事项。"),
        )
    ]


def resident(user: Any, now: dt.datetime) -> list[Section]:
    from gongzhi.cases.models import OPEN_STATES, ServiceRequest, State
    from gongzhi.org.models import Person
    from gongzhi.volunteers.models import ServiceRecord

    mine = ServiceRequest.objects.filter(reporter_user=user)
    waiting = mine.filter(Q(state__in=OPEN_STATES) | Q(state=State.RESOLVED)).order_by("-created_at")
    rows = [
        Row(
            f"{r.number} · {r.get_state_display()}",
            reverse("cases:detail", args=[r.number]),
            str(_("请评价")) if r.state == State.RESOLVED else "",
            r.state == State.RESOLVED,
        )
        for r in waiting[:FIRST]
    ]
    person = Person.objects.filter(user=user).select_related("region").first()
    topics = open_topics(person.region if person else None, now)
    records = ServiceRecord.objects.filter(volunteer__person__user=user, status=ServiceRecord.Status.CLAIMED)
    return [
        Section("my_requests", _("我的诉求"), waiting.count(), reverse("cases:mine"), rows, _("您没有办理中的诉求。")),
        Section(
            "open_topics",
            _("正在征求意见的议题"),
            len(topics),
            reverse("consult:index"),
            [Row(t.title, reverse("consult:topic", args=[t.pk]), str(p.get_kind_display())) for t, p in topics[:FIRST]],
            _("您所在社区暂无正在进行的议题。"),
        ),
        Section(
            "my_service",
            _("我的志愿服务（待确认）"),
            records.count(),
            reverse("volunteers:index"),
            [Row(r.title, reverse("volunteers:index"), r.date.isoformat()) for r in records.order_by("-date")[:FIRST]],
            _("没有待确认的志愿服务记录。"),
        ),
    ]


def open_topics(region: Any, now: dt.datetime) -> list:
    """Topics in a phase now, of ``region``, its ancestors and (for ``None``, the public landing) everywhere."""
    from gongzhi.consult.models import Phase

    phases = Phase.objects.filter(starts_at__lte=now, ends_at__gt=now).select_related("topic", "topic__region")
    if region is not None:
        ancestors = [region.path[: i + 1] for i, ch in enumerate(region.path) if ch == "/" and i > 0]
        phases = phases.filter(topic__region__path__in=ancestors or [region.path])
    return [(p.topic, p) for p in phases.order_by("ends_at")[:50]]


def sections(user: Any, now: dt.datetime | None = None) -> list[Section]:
    """The home page's to-do sections for ``user``, by the roles it holds."""
    now = now or timezone.now()
    roles = {r.role for r in perm._roles(user)}
    out: list[Section] = []
    if R.GRID_WORKER in roles:
        out += grid_worker(user, now)
    if roles & {R.DISTRICT_ADMIN, R.STREET_CADRE, R.COMMUNITY_CADRE} or perm.is_system(user):
        out += cadre(user, now)
    if R.DEPARTMENT_STAFF in roles:
        out += department(user, now)
    if R.AUDITOR in roles:
        out += auditor(user, now)
    if not roles and not perm.is_system(user):
        out += resident(user, now)
    unique: dict[str, Section] = {}
    for s in out:
        unique.setdefault(s.key, s)
    return list(unique.values())
