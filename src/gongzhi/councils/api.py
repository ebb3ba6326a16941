"""Council endpoints of the JSON API (mounted at /api/v1/councils/): platforms, meetings, decisions
and 三重一大 matters. POSTs that create take an ``Idempotency-Key``."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from gongzhi.core.apischema import ERRORS
from gongzhi.core.idempotency import idempotent
from gongzhi.core.validation import Limit

from . import procedure as P
from . import services as S
from .models import Council, Decision, Matter, Meeting

PREFIX = "councils"
router = Router(tags=["councils"])


class MeetingIn(Schema):
    title: str
    held_on: str = Field(..., description="YYYY-MM-DD (the district's day)")
    present: list[int] = Field(default_factory=list, description="ids of the members present")
    agenda: list[str] = Field(default_factory=list, description="record keys from GET …/<code>/agenda")
    topics: list[str] = Field(default_factory=list, description="other topics")
    minutes: str


class DecisionIn(Schema):
    title: str
    votes_for: int
    votes_against: int = 0
    votes_abstain: int = 0
    effect: str = Field("none", description="none / plan_goal / pool_need")
    params: dict = Field(
        default_factory=dict,
        description="plan_goal: lead_unit, due_on, budget; pool_need: kind, quantity, priority, grid",
    )
    agenda_item: int | None = None


class MatterIn(Schema):
    council: str
    kind: str = Field(..., description="major_decision / important_appointment / major_project / large_spending")
    title: str
    subject_type: str = Field(..., description="alliance_fund / pool_need / plan_goal / other")
    subject_ref: str = ""
    amount: str | None = None
    description: str = ""


class ConsultIn(Schema):
    note: str
    consulted: int
    version: int | None = None


class DecideIn(Schema):
    meeting: str
    votes_for: int
    votes_against: int = 0
    votes_abstain: int = 0
    version: int | None = None


class PublishIn(Schema):
    note: str = ""
    version: int | None = None


def council_out(c: Council, full: bool = False) -> dict:
    d = {
        "id": c.pk,
        "code": c.code,
        "name": c.name,
        "level": c.level,
        "region": c.region.code,
        "host": {"code": c.host.code, "name": c.host.name},
        "quorum": f"{c.quorum_num}/{c.quorum_den}",
        "status": c.status,
        "url": c.get_absolute_url(),
    }
    if full:
        d["members"] = [
            {
                "id": m.pk,
                "role": m.role,
                "unit": m.unit.code if m.unit else None,
                "name": m.unit.name if m.unit else (m.person.name if m.person else ""),
                "active": m.active,
            }
            for m in c.members.select_related("unit", "person").order_by("id")
        ]
        d["meetings"] = [{"id": m.pk, "code": m.code, "held_on": m.held_on} for m in c.meetings.all()[:50]]
    return d


def decision_out(d: Decision) -> dict:
    return {
        "id": d.pk,
        "code": d.code,
        "title": d.title,
        "votes_for": d.votes_for,
        "votes_against": d.votes_against,
        "votes_abstain": d.votes_abstain,
        "outcome": d.outcome,
        "effect": d.effect,
        "effect_type": d.effect_type,
        "effect_ref": d.effect_ref,
    }


def meeting_out(m: Meeting) -> dict:
    return {
        "id": m.pk,
        "code": m.code,
        "council": m.council.code,
        "title": m.title,
        "held_on": m.held_on,
        "members": m.members_total,
        "present": m.present,
        "quorum_met": m.quorum_met,
        "agenda": [
            {"id": a.pk, "order": a.order, "source": a.source, "ref": a.ref, "title": a.title, "count": a.count}
            for a in m.agenda.all()
        ],
        "minutes": m.minutes,
        "decisions": [decision_out(d) for d in m.decisions.all()],
        "url": m.get_absolute_url(),
    }


def matter_out(m: Matter) -> dict:
    return {
        "id": m.pk,
        "code": m.code,
        "kind": m.kind,
        "title": m.title,
        "council": m.council.code,
        "region": m.region.code,
        "subject_type": m.subject_type,
        "subject_ref": m.subject_ref,
        "amount": str(m.amount) if m.amount is not None else None,
        "remaining": str(P.remaining(m)) if m.amount is not None else None,
        "consultation_required": m.consultation_required,
        "status": m.status,
        "approved": m.approved,
        "decision": m.decision.code if m.decision else None,
        "steps": [{"kind": s.kind, "at": s.at, "note": s.note, "data": s.data} for s in m.steps.all()],
        "version": m.version,
        "url": m.get_absolute_url(),
    }


@router.get("/", response={200: list[dict]})
def list_councils(request: HttpRequest, level: str | None = None, limit: Limit = 100) -> list[dict]:
    qs = S.visible_councils(request.user)
    if level:
        qs = qs.filter(level=level)
    return [council_out(c) for c in qs[: max(1, min(limit, 500))]]


@router.get("/matters", response={200: list[dict]})
def list_matters(request: HttpRequest, status: str | None = None, limit: Limit = 100) -> list[dict]:
    qs = S.visible_matters(request.user)
    if status:
        qs = qs.filter(status=status)
    return [matter_out(m) for m in qs[: max(1, min(limit, 500))]]


@router.post("/matters", response={201: dict, **ERRORS})
@idempotent
def propose(request: HttpRequest, data: MatterIn) -> tuple[int, Any]:
    council = S.get_council_by_code(request.user, data.council)
    m = P.propose(
        request.user,
        council,
        kind=data.kind,
        title=data.title,
        subject_type=data.subject_type,
        subject_ref=data.subject_ref,
        amount=data.amount,
        description=data.description,
    )
    return 201, matter_out(m)


@router.get("/matters/{code}", response={200: dict, **ERRORS})
def get_matter(request: HttpRequest, code: str) -> tuple[int, Any]:
    return 200, matter_out(S.get_matter(request.user, code=code))


@router.post("/matters/{code}/consultation", response={200: dict, **ERRORS})
def consult(request: HttpRequest, code: str, data: ConsultIn) -> tuple[int, Any]:
    m = P.consult(
        request.user,
        S.get_matter(request.user, code=code),
        note=data.note,
        consulted=data.consulted,
        version=data.version,
    )
    return 200, matter_out(m)


@router.post("/matters/{code}/decision", response={200: dict, **ERRORS})
def decide(request: HttpRequest, code: str, data: DecideIn) -> tuple[int, Any]:
    matter = S.get_matter(request.user, code=code)
    meeting = S.visible_meetings(request.user).filter(code=data.meeting).first()
    if meeting is None:
        from gongzhi.core.errors import DomainError

        raise DomainError(f"没有编号为{data.meeting}的会议", field="meeting")
    m = P.decide(
        request.user,
        matter,
        meeting=meeting,
        votes_for=data.votes_for,
        votes_against=data.votes_against,
        votes_abstain=data.votes_abstain,
        version=data.version,
    )
    return 200, matter_out(m)


@router.post("/matters/{code}/publication", response={200: dict, **ERRORS})
def publish(request: HttpRequest, code: str, data: PublishIn) -> tuple[int, Any]:
    m = P.publish(request.user, S.get_matter(request.user, code=code), note=data.note, version=data.version)
    return 200, matter_out(m)


@router.get("/meetings/{mid}", response={200: dict, **ERRORS})
def get_meeting(request: HttpRequest, mid: int) -> tuple[int, Any]:
    return 200, meeting_out(S.get_meeting(request.user, mid))


@router.post("/meetings/{mid}/decisions", response={201: dict, **ERRORS})
@idempotent
def record_decision(request: HttpRequest, mid: int, data: DecisionIn) -> tuple[int, Any]:
    meeting = S.get_meeting(request.user, mid)
    item = meeting.agenda.filter(pk=data.agenda_item).first() if data.agenda_item else None
    d = S.record_decision(
        request.user,
        meeting,
        title=data.title,
        votes_for=data.votes_for,
        votes_against=data.votes_against,
        votes_abstain=data.votes_abstain,
        effect=data.effect,
        params=data.params,
        agenda_item=item,
    )
    return 201, decision_out(d)


@router.get("/{code}", response={200: dict, **ERRORS})
def get_council(request: HttpRequest, code: str) -> tuple[int, Any]:
    return 200, council_out(S.get_council_by_code(request.user, code), full=True)


@router.get("/{code}/agenda", response={200: list[dict], **ERRORS})
def agenda(request: HttpRequest, code: str) -> tuple[int, Any]:
    return 200, S.agenda_candidates(S.get_council_by_code(request.user, code))


@router.post("/{code}/meetings", response={201: dict, **ERRORS})
@idempotent
def hold_meeting(request: HttpRequest, code: str, data: MeetingIn) -> tuple[int, Any]:
    council = S.get_council_by_code(request.user, code)
    m = S.hold_meeting(
        request.user,
        council,
        title=data.title,
        held_on=data.held_on,
        present=data.present,
        agenda=data.agenda,
        topics=data.topics,
        minutes=data.minutes,
    )
    return 201, meeting_out(m)
