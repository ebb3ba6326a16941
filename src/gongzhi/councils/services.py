"""Council use cases (seed 002, 融合平台): set up a platform, add members, hold a meeting (agenda drawn
from the records, attendance, quorum, minutes published), record a decision by vote whose effect is
made through the owning app's services — a plan goal (``plans.services.create_goal``) or a pool need
(``resources.services.raise_need_once``). Each runs in one transaction, checks :mod:`.perms`,
validates, writes and emits a public event. The 三重一大 procedure is in :mod:`.procedure`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.events import emit
from gongzhi.core.models import Region
from gongzhi.org import permissions as perm
from gongzhi.org.models import Grid, Person, Unit

from . import contracts as C
from . import perms
from .contracts import CouncilsError
from .models import AgendaItem, Attendance, Council, Decision, Level, Matter, Meeting, Member

MAX_AGENDA = 30
CANDIDATES_DAYS = 90


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _text(value: Any, field: str, message: str, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(message, field=field)
    if len(value) > max_length:
        raise DomainError(f"内容过长：最多{max_length}字", field=field)
    return value


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except ValueError:
            raise DomainError(f"日期格式不正确：{value}（应为YYYY-MM-DD）", field=field) from None
    return value


def _count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 10000:
        raise DomainError("票数须为0–10000的整数", field=field)
    return value


# ----------------------------------------------------------------- reading


def visible_councils(user: Any) -> Any:
    return perm.scope(user, Council.objects.select_related("region", "host"), perm.VIEW)


def get_council(user: Any, pk: Any) -> Council:
    c = visible_councils(user).filter(pk=pk).first()
    if c is None:
        raise NotFound("议事平台不存在或不在您的管辖范围内", field="council")
    return c


def get_council_by_code(user: Any, code: str) -> Council:
    c = visible_councils(user).filter(code=code).first()
    if c is None:
        raise NotFound(f"议事平台{code}不存在或不在您的管辖范围内", field="council")
    return c


def visible_meetings(user: Any) -> Any:
    return perm.scope(user, Meeting.objects.select_related("council", "council__region"), perm.VIEW, "council__region")


def get_meeting(user: Any, pk: Any) -> Meeting:
    m = visible_meetings(user).filter(pk=pk).first()
    if m is None:
        raise NotFound("会议不存在或不在您的管辖范围内", field="meeting")
    return m


def visible_matters(user: Any) -> Any:
    return perm.scope(user, Matter.objects.select_related("council", "region", "decision"), perm.VIEW)


def get_matter(user: Any, pk: Any = None, code: str | None = None) -> Matter:
    qs = visible_matters(user)
    m = qs.filter(code=code).first() if code is not None else qs.filter(pk=pk).first()
    if m is None:
        raise NotFound("三重一大事项不存在或不在您的管辖范围内", field="matter")
    return m


def voting_members(council: Council) -> Any:
    return council.members.filter(active=True).exclude(role=Member.Role.OBSERVER)


def quorum_needed(council: Council, total: int) -> int:
    """The least number present for a quorum: ``quorum_num/quorum_den`` of the members due, rounded up."""
    return -(-total * council.quorum_num // council.quorum_den)


# ----------------------------------------------------------------- platforms and members


def _council_code(level: str, region: Region) -> str:
    prefix = {
        Level.STREET_JOINT: "LXH",
        Level.COMMUNITY_COGOV: "GZ",
        Level.RESIDENTS: "JWH",
        Level.OWNERS: "YWH",
        Level.PROPERTY: "HSWY",
    }[Level(level)]
    base = f"{prefix}-{region.code}"
    n = 1
    code = base
    while Council.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


@transaction.atomic
def establish(
    actor: Any, *, name: str, level: str, region: Region, host: Unit, quorum: tuple[int, int] = (2, 3)
) -> Council:
    """Set up a platform: the street joint meeting at a street or township, the others at a community."""
    perms.require(actor, perms.MANAGE, region)
    name = _text(name, "name", "请填写平台名称", 120)
    if level not in Level.values:
        raise DomainError(f"未知的平台层级：{level}；可选 {', '.join(Level.values)}", field="level")
    want = Region.Level.STREET if level == Level.STREET_JOINT else Region.Level.COMMUNITY
    if region.level != want:
        raise DomainError(
            "街镇党建联席会设在街道(乡镇)一级" if level == Level.STREET_JOINT else "社区共治平台设在社区(村)一级",
            field="region",
        )
    if host is None or not region.path.startswith(host.region.path) and not host.region.path.startswith(region.path):
        raise DomainError("召集单位须在本区域", field="host")
    num, den = quorum
    if not (isinstance(num, int) and isinstance(den, int) and 0 < num <= den <= 100):
        raise DomainError("到会比例须为0到1之间的分数（如2/3）", field="quorum")
    c = Council.objects.create(
        code=_council_code(level, region),
        name=name,
        level=level,
        region=region,
        host=host,
        quorum_num=num,
        quorum_den=den,
    )
    emit(
        C.ESTABLISHED,
        aggregate_type="council",
        aggregate_id=c.code,
        region=region,
        actor=actor,
        payload={"council": c.code, "name": c.name, "level": level, "region": region.code, "host": host.code},
    )
    return c


@transaction.atomic
def add_member(
    actor: Any,
    council: Council,
    *,
    unit: Unit | None = None,
    person: Person | None = None,
    role: str = Member.Role.MEMBER,
    joined_on: Any = None,
) -> Member:
    """A unit of the area (or a unit above it, e.g. a district department stationed there), or a person
    of the area (the property company's party-building instructor: role ``instructor``)."""
    perms.require(actor, perms.MANAGE, council.region)
    if (unit is None) == (person is None):
        raise DomainError("成员须为一个单位或一个人", field="unit")
    if role not in Member.Role.values:
        raise DomainError(f"未知的成员角色：{role}", field="role")
    if role == Member.Role.INSTRUCTOR and person is None:
        raise DomainError("党建指导员须为个人", field="person")
    path = council.region.path
    if unit is not None:
        up = unit.region.path
        if not (up.startswith(path) or path.startswith(up)):
            raise DomainError(f"{unit.name}不在{council.region.name}，也不是其上级单位", field="unit")
        dup = council.members.filter(unit=unit, active=True).exists()
    else:
        assert person is not None
        if not person.region.path.startswith(path) and not path.startswith(person.region.path):
            raise DomainError(f"该人员不在{council.region.name}", field="person")
        dup = council.members.filter(person=person, active=True).exists()
    if dup:
        raise DomainError("已是本平台成员", field="unit" if unit else "person", code=CoreError.DUPLICATE)
    m = Member.objects.create(
        council=council,
        unit=unit,
        person=person,
        role=role,
        joined_on=_date(joined_on, "joined_on") if joined_on else timezone.localdate(),
    )
    payload: dict = {"council": council.code, "role": role, "unit": unit.code if unit else None}
    if person is not None:
        payload["personal"] = {"name": person.name, "person_id": person.pk}
    emit(
        C.MEMBER_ADDED,
        aggregate_type="council",
        aggregate_id=council.code,
        region=council.region,
        actor=actor,
        payload=payload,
    )
    return m


# ----------------------------------------------------------------- agenda from the records


def agenda_candidates(council: Council, *, today: dt.date | None = None, limit: int = 5) -> list[dict]:
    """Items a meeting may take up, drawn from the records of the platform's area: residents' requests
    of the last 90 days by category and community (most first), alliances' need lists, tallied
    consultation votes, and this platform's matters waiting for its decision. Each has a ``key``
    (``source:ref``) that :func:`hold_meeting` accepts."""
    from gongzhi.alliances.models import ListItem
    from gongzhi.cases.models import ServiceRequest
    from gongzhi.consult.models import FormalVote

    today = today or timezone.localdate()
    path = council.region.path
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=CANDIDATES_DAYS), dt.time()))
    out: list[dict] = []
    rows = (
        ServiceRequest.objects.filter(region__path__startswith=path, created_at__gte=since, category__isnull=False)
        .values("category__code", "category__name", "region__code", "region__name")
        .annotate(n=Count("id"))
        .order_by("-n", "category__code", "region__code")[:limit]
    )
    for r in rows:
        out.append(
            {
                "source": AgendaItem.Source.REQUESTS,
                "ref": f"{r['category__code']}@{r['region__code']}",
                "title": f"{r['region__name']}：{r['category__name']}诉求",
                "count": r["n"],
            }
        )
    for li in (
        ListItem.objects.filter(
            kind=ListItem.Kind.NEED, alliance__region__path__startswith=path, year__gte=today.year - 1
        )
        .select_related("alliance")
        .order_by("-year", "id")[:limit]
    ):
        out.append(
            {
                "source": AgendaItem.Source.ALLIANCE_NEED,
                "ref": str(li.pk),
                "title": f"{li.alliance.name}需求：{li.title}",
                "count": None,
            }
        )
    for v in FormalVote.objects.filter(region__path__startswith=path, status=FormalVote.Status.TALLIED).order_by(
        "-tallied_at", "-id"
    )[:limit]:
        out.append(
            {
                "source": AgendaItem.Source.CONSULTATION,
                "ref": str(v.pk),
                "title": f"协商表决结果：{v.title}",
                "count": v.electorate_size or None,
            }
        )
    for m in council.matters.filter(status__in=[Matter.Status.PROPOSED, Matter.Status.CONSULTED]).order_by(
        "proposed_at"
    ):
        out.append({"source": AgendaItem.Source.MATTER, "ref": m.code, "title": f"三重一大：{m.title}", "count": None})
    for c in out:
        c["key"] = f"{c['source']}:{c['ref']}"
    return out


def _agenda_item(council: Council, key: str) -> dict:
    """Resolve one ``source:ref`` key against the records (titles come from the record, not the form)."""
    from gongzhi.alliances.models import ListItem
    from gongzhi.cases.models import ServiceRequest
    from gongzhi.consult.models import FormalVote
    from gongzhi.org.models import MatterCategory

    source, _sep, ref = (key or "").partition(":")
    path = council.region.path
    bad = DomainError(f"议题{key}不是本平台区域内的记录", field="agenda")
    if source == AgendaItem.Source.REQUESTS:
        cat_code, _s, region_code = ref.partition("@")
        cat = MatterCategory.objects.filter(code=cat_code).first()
        region = Region.objects.filter(code=region_code, path__startswith=path).first()
        if cat is None or region is None:
            raise bad
        n = ServiceRequest.objects.filter(category=cat, region__path__startswith=region.path).count()
        return {"source": source, "ref": ref, "title": f"{region.name}：{cat.name}诉求", "count": n}
    if source == AgendaItem.Source.ALLIANCE_NEED:
        li = (
            ListItem.objects.filter(
                pk=int(ref) if ref.isdigit() else 0, kind=ListItem.Kind.NEED, alliance__region__path__startswith=path
            )
            .select_related("alliance")
            .first()
        )
        if li is None:
            raise bad
        return {"source": source, "ref": ref, "title": f"{li.alliance.name}需求：{li.title}", "count": None}
    if source == AgendaItem.Source.CONSULTATION:
        v = FormalVote.objects.filter(pk=int(ref) if ref.isdigit() else 0, region__path__startswith=path).first()
        if v is None:
            raise bad
        return {"source": source, "ref": ref, "title": f"协商表决结果：{v.title}", "count": v.electorate_size or None}
    if source == AgendaItem.Source.MATTER:
        m = council.matters.filter(code=ref).first()
        if m is None:
            raise bad
        return {"source": source, "ref": ref, "title": f"三重一大：{m.title}", "count": None}
    raise DomainError(f"未知的议题来源：{key}", field="agenda")


def _meeting_code(council: Council, held_on: dt.date) -> str:
    base = f"{council.code}-{held_on:%Y%m%d}"
    n = Meeting.objects.filter(code__startswith=base).count() + 1
    while Meeting.objects.filter(code=f"{base}-{n}").exists():
        n += 1
    return f"{base}-{n}"


@transaction.atomic
def hold_meeting(
    actor: Any,
    council: Council,
    *,
    title: str,
    held_on: Any,
    present: Any,
    agenda: Any = (),
    topics: Any = (),
    minutes: str,
) -> Meeting:
    """Record a held meeting: attendance of each voting member (``present``: member ids), the quorum
    (``quorum_num/quorum_den`` of the members due), the agenda (record keys from
    :func:`agenda_candidates` and free ``topics``), the minutes; published as a public event (the
    minutes as a commitment)."""
    perms.require(actor, perms.MANAGE, council.region)
    if council.status != Council.Status.ACTIVE:
        raise DomainError("该议事平台已撤销", field="council", code=CoreError.INVALID_STATE)
    title = _text(title, "title", "请填写会议名称", 120)
    held_on = _date(held_on, "held_on")
    if held_on > timezone.localdate():
        raise DomainError("召开日期不能晚于今天（请在会后记录）", field="held_on")
    minutes = _text(minutes, "minutes", "请填写会议纪要", 20000)
    Council.objects.select_for_update(of=("self",), no_key=True).filter(pk=council.pk).first()  # one code at a time
    members = list(voting_members(council))
    if not members:
        raise DomainError("本平台还没有成员", field="present", code=CoreError.INVALID_STATE)
    ids = {m.pk for m in members}
    try:
        chosen = {int(p) for p in present or ()}
    except (TypeError, ValueError):
        raise DomainError("到会成员须为成员编号", field="present") from None
    unknown = chosen - ids
    if unknown:
        raise DomainError(f"不是本平台的表决成员：{sorted(unknown)[:5]}", field="present")
    items = [_agenda_item(council, k) for k in dict.fromkeys(agenda or ())]
    for t in topics or ():
        t = _text(t, "topics", "议题不能为空", 200, required=False)
        if t:
            items.append({"source": AgendaItem.Source.OTHER, "ref": "", "title": t, "count": None})
    if not items:
        raise DomainError("请至少列一项议题", field="agenda")
    if len(items) > MAX_AGENDA:
        raise DomainError(f"议题过多（最多{MAX_AGENDA}项）", field="agenda")
    total = len(members)
    n_present = len(chosen)
    meeting = Meeting.objects.create(
        council=council,
        code=_meeting_code(council, held_on),
        title=title,
        held_on=held_on,
        members_total=total,
        present=n_present,
        quorum_met=n_present >= quorum_needed(council, total),
        minutes=minutes,
        recorded_by=_user(actor),
    )
    Attendance.objects.bulk_create([Attendance(meeting=meeting, member=m, present=m.pk in chosen) for m in members])
    AgendaItem.objects.bulk_create(
        [
            AgendaItem(
                meeting=meeting, order=i, source=it["source"], ref=it["ref"], title=it["title"][:200], count=it["count"]
            )
            for i, it in enumerate(items, start=1)
        ]
    )
    emit(
        C.MEETING_HELD,
        aggregate_type="council",
        aggregate_id=council.code,
        region=council.region,
        actor=actor,
        payload={
            "council": council.code,
            "meeting": meeting.code,
            "held_on": held_on.isoformat(),
            "members": total,
            "present": n_present,
            "quorum": meeting.quorum_met,
            "agenda": [it["source"] for it in items],
            "title": title,
            "minutes": minutes,
        },
    )
    return meeting


# ----------------------------------------------------------------- decisions and their effects


def _unit(code: Any, field: str) -> Unit:
    if isinstance(code, Unit):
        return code
    u = Unit.objects.filter(code=str(code or "").strip()).select_related("region").first()
    if u is None:
        raise DomainError(f"没有编码为{code}的单位", field=field)
    return u


def _goal_params(meeting: Meeting, params: dict) -> dict:
    from .procedure import money

    lead = _unit(params.get("lead_unit"), "lead_unit")
    due_on = _date(params.get("due_on"), "due_on") if params.get("due_on") else None
    if due_on is None:
        raise DomainError("请填写完成时限", field="due_on")
    if due_on < meeting.held_on:
        raise DomainError("完成时限不能早于会议日期", field="due_on")
    budget = money(params.get("budget"), "budget", required=False)
    return {"lead_unit": lead.code, "due_on": due_on.isoformat(), "budget": str(budget) if budget else None}


def _need_params(council: Council, params: dict) -> dict:
    from gongzhi.resources.models import Kind, Priority

    kind = params.get("kind") or ""
    if kind not in Kind.values:
        raise DomainError(f"未知的需求类别：{kind}；可选 {', '.join(Kind.values)}", field="kind")
    q = params.get("quantity")
    if isinstance(q, bool) or not isinstance(q, int) or q < 1 or q > 10**9:
        raise DomainError("数量须为正整数", field="quantity")
    priority = params.get("priority") or "basic"
    if priority not in ("emergency", "basic", "development"):
        raise DomainError("优先级须为 emergency / basic / development", field="priority")
    grids = Grid.objects.filter(region__path__startswith=council.region.path)
    code = (params.get("grid") or "").strip()
    grid = grids.filter(code=code).first() if code else grids.order_by("code").first()
    if grid is None:
        raise DomainError(f"{council.region.name}范围内没有网格{code}", field="grid")
    _ = Priority
    return {"kind": kind, "quantity": q, "priority": priority, "grid": grid.code}


@transaction.atomic
def record_decision(
    actor: Any,
    meeting: Meeting,
    *,
    title: str,
    votes_for: int,
    votes_against: int = 0,
    votes_abstain: int = 0,
    effect: str = Decision.Effect.NONE,
    params: dict | None = None,
    agenda_item: AgendaItem | None = None,
) -> Decision:
    """A decision by vote at a meeting that reached its quorum: passed when more than half of the
    members due (应到) vote for. A passed decision makes its effect through the owning app: a plan goal
    (``effect="plan_goal"``, params ``lead_unit``, ``due_on``, optional ``budget``) or a pool need
    (``effect="pool_need"``, params ``kind``, ``quantity``, optional ``priority``, ``grid``)."""
    council = meeting.council
    perms.require(actor, perms.MANAGE, council.region)
    Meeting.objects.select_for_update(of=("self",), no_key=True).filter(pk=meeting.pk).first()  # one code at a time
    if not meeting.quorum_met:
        raise DomainError(
            f"本次会议实到{meeting.present}人，未达到法定人数（应到{meeting.members_total}人的"
            f"{council.quorum_num}/{council.quorum_den}），不能作出决定",
            field="meeting",
            code=CouncilsError.NO_QUORUM,
        )
    title = _text(title, "title", "请填写决定事项", 200)
    vf, va, vb = (
        _count(votes_for, "votes_for"),
        _count(votes_against, "votes_against"),
        _count(votes_abstain, "votes_abstain"),
    )
    if vf + va + vb > meeting.present:
        raise DomainError(f"票数合计{vf + va + vb}超过实到人数{meeting.present}", field="votes_for")
    if effect not in Decision.Effect.values:
        raise DomainError(f"未知的决定去向：{effect}", field="effect")
    if agenda_item is not None and agenda_item.meeting_id != meeting.pk:
        raise DomainError("议题不属于本次会议", field="agenda_item")
    params = dict(params or {})
    if effect == Decision.Effect.PLAN_GOAL:
        params = _goal_params(meeting, params)
    elif effect == Decision.Effect.POOL_NEED:
        params = _need_params(council, params)
    passed = vf * 2 > meeting.members_total
    n = meeting.decisions.count() + 1
    d = Decision.objects.create(
        meeting=meeting,
        agenda_item=agenda_item,
        code=f"{meeting.code}-D{n}",
        title=title,
        votes_for=vf,
        votes_against=va,
        votes_abstain=vb,
        outcome=Decision.Outcome.PASSED if passed else Decision.Outcome.REJECTED,
        effect=effect,
        params=params,
    )
    if passed and effect == Decision.Effect.PLAN_GOAL:
        from gongzhi.plans import services as plans

        goal = plans.create_goal(
            actor,
            title=title,
            source_kind="directive",
            lead_unit=_unit(params["lead_unit"], "lead_unit"),
            starts_on=meeting.held_on,
            due_on=params["due_on"],
            region=council.region,
            description=f"{council.name}{meeting.held_on:%Y-%m-%d}会议决定（{d.code}）",
            directive_ref=d.code,
            directive_issuer=council.host,
            budget=params.get("budget"),
        )
        d.effect_type, d.effect_ref = "plan_goal", str(goal.pk)
    elif passed and effect == Decision.Effect.POOL_NEED:
        from gongzhi.resources import services as pool

        grid = Grid.objects.get(code=params["grid"])
        need, _created = pool.raise_need_once(
            actor,
            source="direct",
            source_ref=f"council:{d.code}",
            title=title[:120],
            kind=params["kind"],
            quantity=params["quantity"],
            priority=params["priority"],
            lon=grid.centroid_lon,
            lat=grid.centroid_lat,
        )
        d.effect_type, d.effect_ref = "pool_need", str(need.pk)
    elif effect == Decision.Effect.MATTER:
        d.effect_type, d.effect_ref = "matter", str(params.get("matter") or "")
    if d.effect_ref:
        d.save(update_fields=["effect_type", "effect_ref"])
    emit(
        C.DECISION_RECORDED,
        aggregate_type="council",
        aggregate_id=council.code,
        region=council.region,
        actor=actor,
        payload={
            "council": council.code,
            "meeting": meeting.code,
            "decision": d.code,
            "votes_for": vf,
            "votes_against": va,
            "votes_abstain": vb,
            "outcome": d.outcome,
            "effect": effect,
            "effect_type": d.effect_type,
            "effect_ref": d.effect_ref,
            "title": title,
        },
    )
    return d
