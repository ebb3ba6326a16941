"""The 1142 meetings: the year's required slots, sign-in, recording once (attendance, minutes,
decisions — never photos) and compliance per alliance and per street.
"""

from __future__ import annotations

import calendar
import datetime as dt
import secrets

from django.db import transaction

from gongzhi.core.errors import Conflict, DomainError
from gongzhi.core.events import emit
from gongzhi.org.models import Unit

from .. import contracts
from .. import permissions as ap
from ..contracts import AllianceError
from ..models import Alliance, AllianceMember, Attendance, ListItem, Meeting, Suggestion, Task
from .common import M, _alliance_ref, _require_active, _require_member, _text, _today

RECORD_GRACE_DAYS = 7  # a meeting recorded more than a week after it was held is a late record
KICKOFF_DAYS_AFTER_FOUNDING = 30  # the founding year's kick-off is due a month after establishment


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def required_schedule(year: int, established_on: dt.date | None = None) -> list[tuple[str, int, dt.date]]:
    """The year's required meetings (kind, period, due date): 1 kick-off at the start of the year,
    1 progress meeting a month, 4 quarterly scheduling meetings, 2 half-yearly summary meetings.
    In the founding year, periods that ended before the founding are not required and the kick-off is due
    a month after founding."""
    slots: list[tuple[str, int, dt.date]] = []
    kickoff_due = dt.date(year, 1, 31)
    if established_on and established_on.year == year and established_on > dt.date(year, 1, 1):
        kickoff_due = min(established_on + dt.timedelta(days=KICKOFF_DAYS_AFTER_FOUNDING), dt.date(year, 12, 31))
    slots.append((Meeting.Kind.KICKOFF, 0, kickoff_due))
    slots += [(Meeting.Kind.PROGRESS, m, _month_end(year, m)) for m in range(1, 13)]
    slots += [(Meeting.Kind.SCHEDULING, q, _month_end(year, 3 * q)) for q in range(1, 5)]
    slots += [(Meeting.Kind.SUMMARY, h, _month_end(year, 6 * h)) for h in (1, 2)]
    if established_on and established_on.year == year:
        slots = [s for s in slots if s[0] == Meeting.Kind.KICKOFF or s[2] >= established_on]
    return slots


def generate_meetings(alliance: Alliance, year: int) -> int:
    """Create the year's required meeting slots (idempotent). Returns how many were added."""
    if alliance.established_on is None or year < alliance.established_on.year:
        return 0
    existing = set(Meeting.objects.filter(alliance=alliance, year=year, required=True).values_list("kind", "period"))
    new = [
        Meeting(alliance=alliance, kind=k, year=year, period=p, due_on=due, required=True)
        for k, p, due in required_schedule(year, alliance.established_on)
        if (k, p) not in existing
    ]
    Meeting.objects.bulk_create(new)
    return len(new)


def supply_demand_pairs(alliance: Alliance, year: int) -> set[frozenset[int]]:
    """Member pairs with a direct supply–demand relation: a resource matched to a need, or a task
    claimed on another member's project."""
    pairs: set[frozenset[int]] = set()
    for a, b in ListItem.objects.filter(
        alliance=alliance, year=year, kind=ListItem.Kind.RESOURCE, meets__isnull=False
    ).values_list("unit_id", "meets__unit_id"):
        if a != b:
            pairs.add(frozenset((a, b)))
    for a, b in Task.objects.filter(alliance=alliance, item__year=year).values_list("owner_unit_id", "item__unit_id"):
        if a != b:
            pairs.add(frozenset((a, b)))
    return pairs


@transaction.atomic
def open_signin(meeting: Meeting, *, actor) -> str:
    """Give the meeting a sign-in code for members to sign in with."""
    ap.require(actor, ap.MANAGE, meeting.alliance)
    if meeting.is_recorded:
        raise Conflict("会议已记录，签到已结束")
    if not meeting.signin_code:
        meeting.signin_code = f"{secrets.randbelow(10**6):06d}"
        meeting.save(update_fields=["signin_code"])
    return meeting.signin_code


@transaction.atomic
def sign_in(meeting: Meeting, unit: Unit, *, code: str, attendee: str = "", actor) -> Attendance:
    ap.require(actor, ap.APPLY, unit, meeting.alliance)
    if meeting.is_recorded:
        raise Conflict("会议已记录，签到已结束")
    if not meeting.signin_code or (code or "").strip() != meeting.signin_code:
        raise DomainError("签到码不正确", field="code")
    _require_member(meeting.alliance, unit)
    att, _created = Attendance.objects.get_or_create(
        meeting=meeting,
        unit=unit,
        defaults={"method": Attendance.Method.CODE, "attendee": _text(attendee, "attendee", "出席人", 40, False)},
    )
    return att


@transaction.atomic
def record_meeting(
    meeting: Meeting | None = None,
    *,
    alliance: Alliance | None = None,
    kind: str | None = None,
    held_on: dt.date,
    topic: str = "",
    minutes: str,
    decisions: str = "",
    attendees: list[Unit] = (),
    suggestions: list[tuple[Unit, str]] = (),
    late_reason: str = "",
    actor,
    on: dt.date | None = None,
) -> Meeting:
    """Record a meeting once: attendance (sign-in code or list), minutes, decisions — never photos.
    Pass ``meeting`` to record a required slot, or ``alliance`` and ``kind`` for an extra meeting.
    A meeting held after its due date, or recorded more than a week after it was held, is flagged late."""
    if meeting is None:
        if alliance is None or kind not in Meeting.Kind.values:
            raise DomainError("请选择会议类型", field="kind")
        ap.require(actor, ap.MANAGE, alliance)
        _require_active(alliance)
        meeting = Meeting(alliance=alliance, kind=kind, year=held_on.year, required=False)
    else:
        ap.require(actor, ap.MANAGE, meeting.alliance)
        meeting = Meeting.objects.select_for_update(of=("self",), no_key=True).get(pk=meeting.pk)
        if meeting.is_recorded:
            raise Conflict(f"该会议已于{meeting.recorded_on}记录，每次会议只记录一次")
    alliance = meeting.alliance
    today = _today(on)
    if not isinstance(held_on, dt.date) or held_on > today:
        raise DomainError("召开日期不能晚于今天", field="held_on")
    if alliance.established_on and held_on < alliance.established_on:
        raise DomainError("召开日期不能早于联合体成立日期", field="held_on")
    if meeting.required and held_on.year != meeting.year:
        raise DomainError(f"该会议属于{meeting.year}年度，召开日期须在该年度内", field="held_on")
    minutes = _text(minutes, "minutes", "会议纪要", 20000)
    signed = {a.unit_id for a in meeting.attendance.all()} if meeting.pk else set()
    listed = list(dict.fromkeys(attendees))
    members = set(AllianceMember.objects.filter(alliance=alliance, status=M.ACTIVE).values_list("unit_id", flat=True))
    outsiders = [u.name for u in listed if u.pk not in members]
    if outsiders:
        raise DomainError(f"签到名单中的单位不是在册成员：{'、'.join(outsiders)}", field="attendees")
    present = signed | {u.pk for u in listed}
    if len(present) < 2:
        raise DomainError("会议至少须有两个成员单位签到（签到码或签到名单）", field="attendees")
    if meeting.kind == Meeting.Kind.PROGRESS:
        pairs = supply_demand_pairs(alliance, meeting.year)
        if pairs and not any(p <= present for p in pairs):
            names = dict(Unit.objects.filter(pk__in=set().union(*pairs)).values_list("pk", "name"))
            shown = "；".join("与".join(names[i] for i in sorted(p)) for p in list(pairs)[:5])
            raise DomainError(
                f"月度推进会须由有直接供需关系的成员单位参加，例如：{shown}",
                field="attendees",
                code=AllianceError.NO_SUPPLY_DEMAND,
            )
    meeting.held_on = held_on
    meeting.recorded_on = today
    meeting.recorded_by = actor if getattr(actor, "is_authenticated", False) else None
    meeting.topic = _text(topic, "topic", "议题", 200, False)
    meeting.minutes = minutes
    meeting.decisions = _text(decisions, "decisions", "议定事项", 20000, False)
    held_late = meeting.due_on is not None and held_on > meeting.due_on
    recorded_late = (today - held_on).days > RECORD_GRACE_DAYS
    meeting.late = held_late or recorded_late
    meeting.late_reason = _text(late_reason, "late_reason", "逾期说明", 200, False)
    meeting.save()
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, unit=u, method=Attendance.Method.LIST) for u in listed if u.pk not in signed]
    )
    for unit, text in suggestions:
        if unit.pk not in members:
            raise DomainError(f"{unit.name}不是在册成员，不能记录其建议", field="suggestions")
        Suggestion.objects.create(
            alliance=alliance, unit=unit, text=_text(text, "suggestions", "建议", 300), made_on=held_on, meeting=meeting
        )
    emit(
        contracts.MEETING_RECORDED,
        aggregate_type="alliance",
        aggregate_id=alliance.code,
        region=alliance.region,
        actor=actor,
        payload={
            **_alliance_ref(alliance),
            "kind": meeting.kind,
            "year": meeting.year,
            "period": meeting.period,
            "held_on": held_on.isoformat(),
            "late": meeting.late,
            "attendance": len(present),
        },
    )
    return meeting


def meeting_status(m: Meeting, today: dt.date) -> str:
    """done / late / missing / upcoming for a required meeting."""
    if m.held_on is not None:
        return "late" if m.late else "done"
    if m.due_on is not None and m.due_on < today:
        return "missing"
    return "upcoming"


STATUS_LABELS = {"done": "按时召开", "late": "逾期(已补记)", "missing": "缺失", "upcoming": "未到期"}


def compliance(alliance: Alliance, year: int, *, today: dt.date | None = None) -> dict:
    """Which required meetings of the year are done, late, missing or not yet due."""
    today = _today(today)
    rows = []
    counts = {"required": 0, "done": 0, "late": 0, "missing": 0, "upcoming": 0, "extra": 0}
    for m in Meeting.objects.filter(alliance=alliance, year=year).order_by("due_on", "held_on", "kind", "period"):
        if not m.required:
            counts["extra"] += 1
            continue
        s = meeting_status(m, today)
        counts["required"] += 1
        counts[s] += 1
        rows.append({"meeting": m, "status": s, "label": STATUS_LABELS[s]})
    due = counts["required"] - counts["upcoming"]
    counts["rate"] = round(100 * counts["done"] / due, 1) if due else None
    return {"alliance": alliance, "year": year, "rows": rows, "counts": counts}


def street_compliance(alliances, year: int, *, today: dt.date | None = None) -> list[dict]:
    """Per street: how many required meetings are due, done, late and missing across its alliances."""
    today = _today(today)
    out: dict[int, dict] = {}
    ms = Meeting.objects.filter(alliance__in=alliances, year=year, required=True).select_related("alliance__region")
    streets: dict[int, object] = {}
    for m in ms:
        region = m.alliance.region
        if region.pk not in streets:
            streets[region.pk] = region if region.level == "street" else region.ancestor_at("street")
        street = streets[region.pk]
        key = street.pk if street else 0
        row = out.setdefault(
            key, {"street": street, "alliances": set(), "done": 0, "late": 0, "missing": 0, "upcoming": 0}
        )
        row["alliances"].add(m.alliance_id)
        row[meeting_status(m, today)] += 1
    result = []
    for row in out.values():
        row["alliances"] = len(row["alliances"])
        due = row["done"] + row["late"] + row["missing"]
        row["rate"] = round(100 * row["done"] / due, 1) if due else None
        result.append(row)
    return sorted(result, key=lambda r: r["street"].code if r["street"] else "")
