"""Consult endpoints of the JSON API (mounted at /api/v1/consult/)."""

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from gongzhi.core.apischema import ERRORS
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.idempotency import idempotent
from gongzhi.core.models import Region
from gongzhi.org.models import Unit

from . import permissions as cperm
from . import services, votes
from .models import FormalVote, Statement, Topic

PREFIX = "consult"
router = Router(tags=["consult"])


def _topic(request, pk) -> Topic:
    t = cperm.visible(request.user, Topic.objects.select_related("region"), "region").filter(pk=pk).first()
    if t is None:
        raise NotFound("没有这个议题", field="topic")
    return t


def _vote(request, pk) -> FormalVote:
    v = cperm.visible(request.user, FormalVote.objects.select_related("region"), "region").filter(pk=pk).first()
    if v is None:
        raise NotFound("没有这个表决", field="vote")
    return v


def topic_out(t: Topic) -> dict:
    cur = services.current_phase(t)
    return {
        "id": t.pk,
        "title": t.title,
        "description": t.description,
        "scope": t.scope,
        "region": t.region.code,
        "source": t.source,
        "current_phase": cur.kind if cur else None,
        "phases": [
            {"kind": p.kind, "starts_at": p.starts_at.isoformat(), "ends_at": p.ends_at.isoformat(), "rules": p.rules}
            for p in t.phases.all()
        ],
    }


def statement_out(s: Statement) -> dict:
    return {"id": s.pk, "text": s.text, "status": s.status, "moderation_reason": s.moderation_reason}


def vote_out(v: FormalVote) -> dict:
    return {
        "id": v.pk,
        "title": v.title,
        "region": v.region.code,
        "electorate": v.electorate,
        "method": v.method,
        "preset": v.preset,
        "max_choices": v.max_choices,
        "opens_at": v.opens_at.isoformat(),
        "closes_at": v.closes_at.isoformat(),
        "status": v.status,
        "electorate_size": v.electorate_size,
        "options": [{"id": o.pk, "label": o.label} for o in v.options.all()],
        "turnout": votes.turnout(v),
    }


@router.get("/topics")
def list_topics(request, region: str | None = None):
    qs = cperm.visible(request.user, Topic.objects.select_related("region"), "region")
    if region:
        qs = qs.filter(region__code=region)
    return [topic_out(t) for t in qs[:200]]


@router.get("/topics/{pk}", response={200: dict, **ERRORS})
def get_topic(request, pk: int):
    t = _topic(request, pk)
    out = topic_out(t)
    out["statements"] = [statement_out(s) for s in t.statements.filter(status="accepted")]
    return 200, out


@router.get("/topics/{pk}/next", response={200: dict, **ERRORS})
def next_statement(request, pk: int):
    st = services.next_statement(_topic(request, pk), request.user)
    return 200, {"statement": statement_out(st) if st else None}


class StatementIn(Schema):
    text: str


@router.post("/topics/{pk}/statements", response={201: dict, **ERRORS})
@idempotent
def submit_statement(request, pk: int, data: StatementIn):
    st = services.submit_statement(_topic(request, pk), request.user, data.text)
    return 201, statement_out(st)


class StatementVoteIn(Schema):
    value: int


@router.post("/statements/{pk}/votes", response={201: dict, **ERRORS})
@idempotent
def vote_on_statement(request, pk: int, data: StatementVoteIn):
    st = Statement.objects.filter(pk=pk).first()
    if st is None:
        raise NotFound("没有这个观点", field="statement")
    _topic(request, st.topic_id)
    v = services.cast_vote(st, request.user, data.value)
    return 201, {"statement": st.pk, "value": v.value}


class ModerateIn(Schema):
    accept: bool
    reason: str = ""


@router.post("/statements/{pk}/moderation", response={200: dict, **ERRORS})
@idempotent
def moderate(request, pk: int, data: ModerateIn):
    st = Statement.objects.filter(pk=pk).first()
    if st is None:
        raise NotFound("没有这个观点", field="statement")
    _topic(request, st.topic_id)
    return 200, statement_out(services.moderate_statement(st, request.user, accept=data.accept, reason=data.reason))


@router.get("/topics/{pk}/results", response={200: dict, **ERRORS})
def topic_results(request, pk: int):
    return 200, services.results_data(_topic(request, pk))


@router.get("/votes")
def list_votes(request, region: str | None = None):
    qs = cperm.visible(request.user, FormalVote.objects.select_related("region"), "region")
    if region:
        qs = qs.filter(region__code=region)
    return [vote_out(v) for v in qs[:200]]


@router.get("/votes/{pk}", response={200: dict, **ERRORS})
def get_vote(request, pk: int):
    return 200, vote_out(_vote(request, pk))


class VoteIn(Schema):
    title: str
    region: str
    electorate: str
    method: str
    options: list[str]
    opens_at: dt.datetime
    closes_at: dt.datetime
    preset: str = "simple_majority"
    rules: dict | None = None
    unit: str | None = None
    alliance_id: int | None = None
    max_choices: int | None = None
    topic: int | None = None
    description: str = ""


@router.post("/votes", response={201: dict, **ERRORS})
@idempotent
def create_vote(request, data: VoteIn):
    region = Region.objects.filter(code=data.region).first()
    if region is None:
        raise DomainError(f"没有区域编码 {data.region}", field="region")
    unit = None
    if data.unit:
        unit = Unit.objects.filter(code=data.unit).first()
        if unit is None:
            raise DomainError(f"没有单位编码 {data.unit}", field="unit")
    topic = _topic(request, data.topic) if data.topic else None
    v = votes.create_vote(
        title=data.title,
        region=region,
        electorate=data.electorate,
        method=data.method,
        options=data.options,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        preset=data.preset,
        rules=data.rules,
        unit=unit,
        alliance_id=data.alliance_id,
        max_choices=data.max_choices,
        topic=topic,
        description=data.description,
        actor=request.user,
    )
    return 201, vote_out(v)


class BallotIn(Schema):
    choices: list[int]
    elector: str | None = None  # officer entry: "p:<person id>" or "u:<unit id>"


@router.post("/votes/{pk}/ballots", response={201: dict, **ERRORS})
@idempotent
def cast_ballot(request, pk: int, data: BallotIn):
    v = _vote(request, pk)
    if data.elector:
        entry = votes.cast_ballot(v, data.choices, elector_key=data.elector, officer=request.user)
    else:
        entry = votes.cast_ballot(v, data.choices, voter=request.user)
    # The receipt is given once, here: the voter keeps it; after the close its ballot's leaf on the
    # public record is ballot:<receipt> (GET /ballots/<receipt>).
    return 201, {"vote": v.pk, "channel": entry.channel, "recorded": True, "receipt": entry.receipt}


@router.get("/ballots/{receipt}", auth=None, response={200: dict, **ERRORS}, summary="Verify my ballot by its receipt")
def ballot_receipt(request: HttpRequest, receipt: str) -> tuple[int, dict]:
    """Public: the ballot's leaf and its inclusion proof once published (see ``votes.check_receipt``)."""
    return 200, votes.check_receipt(receipt)


@router.get("/votes/{pk}/results", response={200: dict, **ERRORS})
def vote_results(request, pk: int):
    return 200, votes.results(_vote(request, pk))
