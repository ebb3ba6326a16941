"""Use cases of the request loop. The only code that changes a request:
one function per use case, one transaction each, each transition recorded
(who, when, why) and published as a domain event.

Concurrency: every change to a request is an ``UPDATE … WHERE version = v``;
of two people acting at once one wins and the other gets :class:`Conflict`.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import functools
import re
import threading

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError, Forbidden, IdempotencyMismatch, NotFound
from gongzhi.core import bulksql
from gongzhi.core.events import build_many, dispatch_after_commit, emit
from gongzhi.core.models import Event, Region
from gongzhi.org import responsibility
from gongzhi.org.kinds import SlaClass, UnitKind
from gongzhi.org.models import MatterCategory, Person, Unit

from . import attachments as attachments_mod
from . import contracts, perms, sla
from .contracts import CasesError
from .models import (
    OPEN_STATES,
    Attachment,
    Bypass,
    Channel,
    FollowUp,
    MediationCase,
    MediationParty,
    MediationSession,
    Rating,
    ServiceRequest,
    State,
    Summons,
    Transition,
    Whistle,
)

MAX_DESCRIPTION = 2000
# A category suggestion at or above this confidence may route a request on its own.
SUGGESTION_THRESHOLD = 0.6
# Intake waits at most this long for a classifier still being trained (None: wait; tests).
SUGGEST_TIMEOUT_S: float | None = 2.0
# A department summoned by a whistle must acknowledge (报到) within these hours.
WHISTLE_ACK_HOURS = {SlaClass.EMERGENCY: 1, SlaClass.UTILITIES: 4, SlaClass.GENERAL: 24, SlaClass.COMPLEX: 24}
# An emergency bypass must be filed within this many hours.
BYPASS_FILING_HOURS = 24
BYPASS_MAJOR_CLASSES = {"06"}  # basic livelihood (民生保障)

PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8}|\d{7,8})$")
ID_RE = re.compile(r"^\d{17}[\dXx]$")

ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({State.SUBMITTED}), State.ACCEPTED),
    "dispatch": (frozenset({State.ACCEPTED, State.RETURNED, State.REOPENED, State.ESCALATED}), State.DISPATCHED),
    "start": (frozenset({State.DISPATCHED}), State.IN_PROGRESS),
    "return": (frozenset({State.DISPATCHED, State.IN_PROGRESS}), State.RETURNED),
    "resolve": (frozenset({State.DISPATCHED, State.IN_PROGRESS}), State.RESOLVED),
    "confirm": (frozenset({State.RESOLVED}), State.CONFIRMED),
    "close": (frozenset({State.RESOLVED, State.CONFIRMED}), State.CLOSED),
    "reopen": (frozenset({State.RESOLVED, State.CONFIRMED, State.CLOSED}), State.REOPENED),
    "escalate": (frozenset({State.ACCEPTED, State.DISPATCHED, State.IN_PROGRESS, State.RETURNED, State.REOPENED,
                            State.ESCALATED}), State.ESCALATED),
    "merge": (frozenset({State.SUBMITTED, State.ACCEPTED, State.DISPATCHED, State.RETURNED}), State.MERGED),
    "not_ours": (frozenset({State.SUBMITTED, State.ACCEPTED, State.RETURNED}), State.NOT_OURS),
    "cancel": (frozenset({State.SUBMITTED, State.ACCEPTED}), State.CANCELLED),
}
ACTION_LABELS = {
    "submit": "提交", "accept": "受理", "dispatch": "派单", "start": "开始办理", "return": "回退", "resolve": "办结",
    "confirm": "评价", "close": "关闭", "reopen": "重办", "escalate": "升级", "merge": "合并", "not_ours": "非本级职责",
    "cancel": "撤销", "whistle": "吹哨", "report": "报到", "followup": "回访", "file_bypass": "事后备案",
}
REASON_REQUIRED = {"return", "escalate", "not_ours", "reopen", "merge"}


def now() -> dt.datetime:
    return timezone.now()


def actor_label(actor) -> str:
    if not getattr(actor, "is_authenticated", False):  # the system, or an anonymous resident
        return "系统"
    return actor.get_full_name() or actor.username


def get_request(number: str) -> ServiceRequest:
    req = (ServiceRequest.objects.select_related("category", "region", "grid", "handling_unit", "handling_unit__region",
                                                 "merged_into").filter(number=number).first())
    if req is None:
        raise NotFound(f"诉求{number}不存在", field="number")
    return req


def followers(req: ServiceRequest) -> list[str]:
    """Request numbers whose reporters follow ``req``: itself and every request merged into it."""
    return [req.number, *ServiceRequest.objects.filter(merged_into=req).values_list("number", flat=True)]


def _public_payload(req: ServiceRequest, **extra) -> dict:
    return {"number": req.number, "state": req.state, "category": req.category.code if req.category_id else None,
            "region": req.region.code, "grid": req.grid.code,
            "unit": req.handling_unit.code if req.handling_unit_id else None, **extra}


def _record(actor, req: ServiceRequest, action: str, from_state: str, to_state: str, *, reason: str = "",
            unit: Unit | None = None, at: dt.datetime | None = None, data: dict | None = None) -> Transition:
    """Write the transition row and its domain event."""
    t = Transition.objects.create(request=req, action=action, from_state=from_state, to_state=to_state,
                                  actor=actor if getattr(actor, "is_authenticated", False) else None,
                                  actor_label=actor_label(actor), unit=unit, reason=reason, at=at or now(),
                                  data=data or {})
    emit(contracts.REQUEST_EVENTS[action], aggregate_type="service_request", aggregate_id=req.number,
         payload=_public_payload(req, action=action, from_state=from_state, to_state=to_state, reason=reason,
                                 followers=followers(req) if req.has_followers else [req.number], **(data or {})),
         region=req.region, actor=actor)
    return t


def _move(actor, req: ServiceRequest, action: str, *, reason: str = "", expected_version: int | None = None,
          unit: Unit | None = None, data: dict | None = None, at: dt.datetime | None = None, **fields) -> None:
    """Apply a state transition (refused with the reason when not allowed from the current state)."""
    allowed_from, to_state = ACTIONS[action]
    if req.state not in allowed_from:
        ok = "、".join(str(State(s).label) for s in sorted(allowed_from))
        raise DomainError(f"诉求{req.number}当前为“{State(req.state).label}”，不能{ACTION_LABELS[action]}"
                          f"（只能在以下状态{ACTION_LABELS[action]}：{ok}）", code=CoreError.INVALID_STATE, field="action")
    reason = (reason or "").strip()
    if action in REASON_REQUIRED and not reason:
        raise DomainError(f"{ACTION_LABELS[action]}须说明原因", field="reason")
    version = req.version if expected_version is None else expected_version
    at = at or now()
    n = ServiceRequest.objects.filter(pk=req.pk, version=version, state=req.state).update(
        state=to_state, version=F("version") + 1, updated_at=at, **fields)
    if n == 0:
        raise Conflict(f"诉求{req.number}已被他人处理，请刷新后重试")
    from_state = req.state
    req.state, req.version, req.updated_at = to_state, version + 1, at
    for k, v in fields.items():
        setattr(req, k, v)
    _record(actor, req, action, from_state, to_state, reason=reason, unit=unit, at=at, data=data)


# ----------------------------------------------------------------- intake


def _validate_contact(phone: str, id_number: str) -> None:
    if phone and not PHONE_RE.match(phone):
        raise DomainError("联系电话格式不正确（手机11位，或带区号的固定电话）", field="reporter_phone")
    if id_number and not ID_RE.match(id_number):
        raise DomainError("身份证号应为18位（最后一位可为X）", field="reporter_id_number")


def _locate(lon, lat, grid_code):
    """(grid, lon, lat) from a grid code or a point; the grid (with its region) comes from the routing
    snapshot, so no query."""
    if grid_code:
        grid = responsibility.grid_by_code(grid_code)
        if grid is None:
            raise DomainError(f"网格{grid_code}不存在", field="grid", code=CoreError.INVALID)
        if lon is None or lat is None:
            lon, lat = grid.centroid_lon, grid.centroid_lat
        return grid, lon, lat
    if lon is None or lat is None:
        raise DomainError("请在地图上点选位置、填写经纬度或选择网格", field="location")
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise DomainError("经纬度须为数字", field="location") from None
    return responsibility.locate(lon, lat), lon, lat


def _category(code: str | None) -> MatterCategory | None:
    if not code:
        return None
    return responsibility.category(code)


# Request ids are taken from the table's sequence in blocks on PostgreSQL, so the number
# (date + id) is known before the insert. Elsewhere (SQLite) the id comes from the insert.
ID_BLOCK = 32
_ids_lock = threading.Lock()
_ids: collections.deque = collections.deque()
_ids_db: tuple | None = None


def _next_request_id() -> int | None:
    global _ids_db
    if connection.vendor != "postgresql":
        return None
    db = (connection.settings_dict.get("HOST"), connection.settings_dict.get("PORT"),
          connection.settings_dict.get("NAME"))
    with _ids_lock:
        if _ids_db != db:
            _ids.clear()
            _ids_db = db
        if not _ids:
            with connection.cursor() as cur:
                cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                            [ServiceRequest._meta.db_table, ID_BLOCK])
                _ids.extend(sorted(r[0] for r in cur.fetchall()))
        return _ids.popleft()


def _forget_ids() -> None:
    with _ids_lock:
        _ids.clear()


def _request_number(at: dt.datetime, pk: int) -> str:
    return f"{timezone.localtime(at):%y%m%d}{pk:07d}"


def _refuse_reused_key(submit_fn):
    """A key its author already used for a different request is refused (422) once ``submit`` has
    left its transaction block, so that a caller's transaction stays usable (nothing was written)."""

    @functools.wraps(submit_fn)
    def wrapper(*args, **kwargs):
        req, created = submit_fn(*args, **kwargs)
        if not created and getattr(req, "other_body", False):
            raise IdempotencyMismatch("该幂等键已用于另一条不同内容的诉求；新的诉求请使用新的幂等键",
                                      field="idempotency_key")
        return req, created

    return wrapper


@_refuse_reused_key
def submit(actor, *, description: str, channel: str = Channel.WEB, category: str | None = None, lon=None, lat=None,
           grid: str | None = None, address: str = "", reporter_name: str = "", reporter_phone: str = "",
           reporter_id_number: str = "", anonymous: bool = False, reporter_user=None,
           idempotency_key: str | None = None, at: dt.datetime | None = None, auto_route: bool = True,
           first_receiver: Unit | None = None, attachments=None,
           media_url: str = "") -> tuple[ServiceRequest, bool]:
    """Record a request. Returns ``(request, created)``; a retry with the same idempotency key returns the
    first request and ``created=False``. A request with a category (given, or suggested with enough
    confidence) is routed by the responsibility list at once."""
    # No pre-select for the idempotency key: the unique constraint on it decides (see the end).
    description = (description or "").strip()
    if not description:
        raise DomainError("请描述您的诉求", field="description")
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(f"诉求内容过长（最多{MAX_DESCRIPTION}字）", field="description")
    if channel not in Channel.values:
        raise DomainError(f"未知的渠道：{channel}", field="channel")
    if channel in (Channel.HOTLINE, Channel.GRID):
        if not perms.can(actor, perms.INTAKE):
            raise Forbidden("无权代为登记诉求")
    reporter_phone = (reporter_phone or "").strip().replace(" ", "")
    reporter_id_number = (reporter_id_number or "").strip().upper()
    if anonymous:
        reporter_name = reporter_phone = reporter_id_number = ""
    _validate_contact(reporter_phone, reporter_id_number)
    files = attachments_mod.check(attachments) if attachments else []
    media_url = attachments_mod.check_url(media_url)
    cat = _category(category)
    grid_obj, lon, lat = _locate(lon, lat, grid)
    suggestion, confidence = None, None
    if cat is None:
        from . import classify

        s = classify.suggest(description, timeout=SUGGEST_TIMEOUT_S)
        if s is not None:
            suggestion, confidence = s
            if confidence >= SUGGESTION_THRESHOLD:
                cat = suggestion
    at = at or now()
    if reporter_user is None and channel in (Channel.WEB,) and getattr(actor, "is_authenticated", False):
        reporter_user = actor
    decision = None
    if auto_route:
        from . import routing

        # An override (an incident declared for the area) takes every request there, categorised or not.
        decision = routing.override(cat, grid_obj, at)
        if decision is None and cat is not None:
            decision = routing.decide(cat.code, grid_obj, at=at, first_receiver=first_receiver)
    preallocate = True
    while True:
        req = ServiceRequest(
            number=ServiceRequest.new_token()[:20], token=ServiceRequest.new_token(), channel=channel,
            description=description, category=cat, suggested_category=suggestion,
            suggestion_confidence=confidence, region=grid_obj.region, grid=grid_obj, lon=lon, lat=lat,
            address=(address or "")[:200], anonymous=anonymous, reporter_name=(reporter_name or "")[:40],
            reporter_phone=reporter_phone, reporter_id_number=reporter_id_number, reporter_user=reporter_user,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            sla=cat.default_sla if cat else SlaClass.GENERAL, created_at=at, updated_at=at,
            idempotency_key=idempotency_key or None)
        if decision is not None:
            # Routed at intake: the request is written already dispatched; the three transitions
            # (submit, accept, dispatch) are recorded as usual.
            sla_class = stricter(decision.sla, cat.default_sla) if cat else decision.sla
            req.state = State.DISPATCHED
            req.version = 3
            req.handling_unit = decision.unit
            req.routing_reason = decision.explanation
            req.routing = decision.as_dict()
            req.sla, req.sla_started_at, req.due_at = sla_class, at, sla.due_at(sla_class, at)
        steps_data = {"channel": channel, "suggested": suggestion.code if suggestion else None,
                      "confidence": round(confidence, 3) if confidence is not None else None,
                      **({"attachments": len(files) + bool(media_url)} if files or media_url else {})}
        personal = {"name": req.reporter_name, "phone": reporter_phone, "id_number": reporter_id_number}
        req.pk = _next_request_id() if preallocate else None
        # PostgreSQL with an id from the block: the request, its transitions and its events go in one
        # statement, which writes nothing if the idempotency key (or the id) is taken. Being one
        # statement it needs no transaction of its own (inside a caller's, it is part of that one).
        one_statement = req.pk is not None
        with contextlib.nullcontext() if one_statement and not files and not media_url else \
                transaction.atomic(savepoint=False):
            if not one_statement:
                try:
                    with transaction.atomic():  # a taken key is an IntegrityError here
                        req.save(force_insert=True)
                except IntegrityError:
                    prior = _prior(idempotency_key, req, category_given=bool(category))
                    if prior is None:
                        raise
                    return prior, False
            # The number is the date and the id: known before the insert when the id comes from the block.
            req.number = _request_number(at, req.pk)
            transitions, events = _intake_records(actor, req, decision, steps_data=steps_data,
                                                  category_given=bool(category), confidence=confidence,
                                                  personal=personal)
            if one_statement:
                if not bulksql.insert_with_dependants(req, [transitions, events]):
                    prior = _prior(idempotency_key, req, category_given=bool(category))
                    if prior is not None:
                        return prior, False
                    # The id block went stale (the sequence was reset, e.g. by a bulk load): start afresh.
                    _forget_ids()
                    preallocate = False
                    continue
            else:
                ServiceRequest.objects.filter(pk=req.pk).update(number=req.number)
                Transition.objects.bulk_create(transitions)
                Event.objects.bulk_create(events)
            dispatch_after_commit()  # in autocommit (the one statement alone) it runs now: written already
            if files or media_url:
                stored = attachments_mod.store(files)
                try:
                    Attachment.objects.bulk_create(
                        [Attachment(request=req, stored_name=name, original_name=c.original_name,
                                    content_type=c.content_type, size=c.size, sha256=digest, uploaded_at=at)
                         for c, name, digest in stored]
                        + ([Attachment(request=req, url=media_url, uploaded_at=at)] if media_url else []))
                except BaseException:
                    attachments_mod.discard([name for _c, name, _d in stored])
                    raise
            req.has_followers = True
        return req, True


def _prior(idempotency_key: str | None, new: ServiceRequest | None = None, *,
           category_given: bool = False) -> ServiceRequest | None:
    """The request an earlier submission with this key created (a retry, or a racing twin). With
    ``new`` (the submission being made), a prior that differs from it is marked ``other_body``:
    ``submit`` then refuses it with 422, as a key replays its first request only for the same body."""
    if not idempotency_key:
        return None
    prior = ServiceRequest.objects.filter(idempotency_key=idempotency_key).first()
    if prior is not None and new is not None:
        prior.other_body = not _same_submission(prior, new, category_given)
    return prior


def _same_submission(prior: ServiceRequest, new: ServiceRequest, category_given: bool) -> bool:
    """Whether ``new`` repeats what filed ``prior``: the facts fixed at intake (text, place, contact,
    channel) and the category if one was given (compared with the category recorded at intake)."""
    fields = ("description", "channel", "grid_id", "lon", "lat", "address", "anonymous", "reporter_name",
              "reporter_phone", "reporter_id_number")
    if any(getattr(prior, f) != getattr(new, f) for f in fields):
        return False
    submitted = Event.objects.filter(aggregate_type="service_request", aggregate_id=prior.number,
                                     type=contracts.REQUEST_SUBMIT).values_list("payload", flat=True).first()
    intake = (submitted or {}).get("category", prior.category.code if prior.category_id else None)
    prior_given = intake is not None and prior.suggested_category_id is None
    if category_given != prior_given:
        return False
    return not category_given or intake == (new.category.code if new.category_id else None)


def _intake_records(actor, req: ServiceRequest, decision, *, steps_data: dict, category_given: bool,
                    confidence, personal: dict) -> tuple[list[Transition], list[Event]]:
    """The transitions of an intake (submit; accept and dispatch when routed at once) and their events."""
    from . import routing

    at = req.created_at
    who = actor if getattr(actor, "is_authenticated", False) else None
    steps = [("submit", "", State.SUBMITTED, who, actor_label(actor), None, "", steps_data)]
    if decision is not None:
        if decision.fallback == routing.OVERRIDE:
            note = decision.explanation
        elif category_given:
            note = "按权责清单自动派单"
        else:
            note = f"按分类建议（置信度{confidence:.0%}）自动派单"
        steps.append(("accept", State.SUBMITTED, State.ACCEPTED, None, "系统", None, note, {}))
        steps.append(("dispatch", State.ACCEPTED, State.DISPATCHED, None, "系统", decision.unit,
                      decision.explanation, {"unit_name": decision.unit.name}))
    transitions = [Transition(request=req, action=a, from_state=f, to_state=t, actor=u, actor_label=lab, unit=unit,
                              reason=why, at=at, data=data) for a, f, t, u, lab, unit, why, data in steps]
    req.has_followers = False
    batch = []
    for a, f, t, u, _lab, _unit, why, data in steps:
        payload = _public_payload(req, action=a, from_state=f, to_state=t, reason=why, followers=[req.number], **data)
        if a == "submit":
            payload["personal"] = personal
        batch.append((contracts.REQUEST_EVENTS[a], payload, u))
    events = build_many(batch, aggregate_type="service_request", aggregate_id=req.number, region=req.region,
                        schedule=False)
    return transitions, events


SLA_ORDER = [SlaClass.EMERGENCY, SlaClass.UTILITIES, SlaClass.GENERAL, SlaClass.COMPLEX]


def stricter(a: str, b: str) -> str:
    """The shorter of two SLA classes (a list line for a major class must not loosen an emergency category)."""
    return min(a, b, key=SLA_ORDER.index)


def _dispatch_to(actor, req, unit: Unit, reason: str, routing: dict, sla_class: str, *, at=None) -> None:
    at = at or now()
    fields = {"handling_unit": unit, "routing_reason": reason, "routing": routing}
    if req.sla_started_at is None or req.state == State.REOPENED:
        fields.update(sla=sla_class, sla_started_at=at, due_at=sla.due_at(sla_class, at), overdue_escalated_at=None)
    _move(actor, req, "dispatch", reason=reason, unit=unit, at=at, data={"unit_name": unit.name}, **fields)


def route(req: ServiceRequest, category: str | None = None):
    """The responsibility-list decision for a request (without changing it)."""
    cat = _category(category) if category else req.category
    if cat is None:
        raise DomainError("请先选择事项类别", field="category")
    return responsibility.resolve(cat.code, grid=req.grid)


# ----------------------------------------------------------------- dispatcher actions


def _load(req: ServiceRequest | str) -> ServiceRequest:
    return get_request(req) if isinstance(req, str) else req


@transaction.atomic
def accept(actor, req, *, expected_version=None, reason: str = "") -> ServiceRequest:
    req = _load(req)
    perms.require(actor, perms.DISPATCH, req)
    _move(actor, req, "accept", expected_version=expected_version, reason=reason)
    return req


@transaction.atomic
def dispatch(actor, req, *, category: str | None = None, unit: str | None = None, reason: str = "",
             expected_version=None) -> ServiceRequest:
    """Dispatch to the unit the responsibility list names (or, with ``unit``, to a unit chosen by hand)."""
    req = _load(req)
    perms.require(actor, perms.DISPATCH, req)
    if expected_version is not None and req.version != expected_version:
        raise Conflict(f"诉求{req.number}已被他人处理，请刷新后重试")
    cat = _category(category) if category else req.category
    if cat is None:
        raise DomainError("请先选择事项类别再派单", field="category")
    if cat.pk != req.category_id:
        ServiceRequest.objects.filter(pk=req.pk).update(category=cat)
        req.category = cat
    if req.state == State.SUBMITTED:
        _move(actor, req, "accept", reason="")
    if unit:
        target = Unit.objects.select_related("region").filter(code=unit, status=Unit.Status.ESTABLISHED).first()
        if target is None:
            raise DomainError(f"承办单位{unit}不存在或已撤销", field="unit")
        why = f"由{actor_label(actor)}人工指定{target.name}承办" + (f"：{reason}" if reason else "")
        _dispatch_to(actor, req, target, why, {"unit": {"code": target.code, "name": target.name},
                                               "manual": True}, cat.default_sla)
    else:
        d = responsibility.resolve(cat.code, grid=req.grid)
        why = d.explanation + (f"；{reason}" if reason else "")
        _dispatch_to(actor, req, d.unit, why, d.as_dict(), stricter(d.sla, cat.default_sla))
    return req


def _acting_unit(actor, req) -> Unit | None:
    for r in perms.roles(actor):
        if req.handling_unit_id and req.handling_unit.path.startswith(r.unit.path):
            return r.unit
    return None


@transaction.atomic
def start(actor, req, *, expected_version=None, note: str = "") -> ServiceRequest:
    req = _load(req)
    perms.require(actor, perms.HANDLE, req)
    _move(actor, req, "start", expected_version=expected_version, reason=note, unit=req.handling_unit)
    return req


@transaction.atomic
def return_to_dispatcher(actor, req, *, reason: str, expected_version=None) -> ServiceRequest:
    """回退: the handling unit sends the request back to the dispatcher, saying why."""
    req = _load(req)
    perms.require(actor, perms.HANDLE, req)
    _move(actor, req, "return", reason=reason, expected_version=expected_version, unit=req.handling_unit)
    return req


@transaction.atomic
def resolve(actor, req, *, resolution: str, expected_version=None) -> ServiceRequest:
    req = _load(req)
    perms.require(actor, perms.HANDLE, req)
    resolution = (resolution or "").strip()
    if not resolution:
        raise DomainError("请填写办理结果", field="resolution")
    at = now()
    _move(actor, req, "resolve", reason=resolution, expected_version=expected_version, unit=req.handling_unit,
          at=at, resolution=resolution, resolved_at=at,
          data={"on_time": bool(req.due_at is None or at <= req.due_at)})
    return req


def _may_speak_for_reporter(actor, req, token: str | None) -> bool:
    if token and token == req.token:
        return True
    if getattr(actor, "is_authenticated", False) and req.reporter_user_id == actor.pk:
        return True
    return perms.can(actor, perms.DISPATCH, req) or perms.can(actor, perms.INTAKE, req)


@transaction.atomic
def confirm(actor, req, *, rating: str, fixed: bool = True, comment: str = "", token: str | None = None,
            expected_version=None) -> ServiceRequest:
    """The resident rates the outcome; "not really fixed" reopens the request."""
    req = _load(req)
    if not _may_speak_for_reporter(actor, req, token):
        raise Forbidden("只有诉求人（或代为回访的工作人员）可以评价")
    if rating not in Rating.values:
        raise DomainError("请选择满意、基本满意或不满意", field="rating")
    _move(actor, req, "confirm", reason=comment, expected_version=expected_version, rating=rating, fixed=fixed,
          data={"rating": rating, "fixed": fixed})
    if not fixed:
        _move(actor, req, "reopen", reason=comment or "居民反映问题未解决", overdue_escalated_at=None)
    return req


@transaction.atomic
def record_followup(actor, req, *, fixed: bool, rating: str = "", note: str = "") -> FollowUp:
    """A follow-up visit (回访). "Not really fixed" reopens the request."""
    req = _load(req)
    if not (perms.can(actor, perms.DISPATCH, req) or perms.can(actor, perms.HANDLE, req)):
        raise Forbidden("无权回访此诉求")
    if req.state not in (State.RESOLVED, State.CONFIRMED, State.CLOSED):
        raise DomainError("只能回访已办结的诉求", code=CoreError.INVALID_STATE, field="action")
    if rating and rating not in Rating.values:
        raise DomainError("请选择满意、基本满意或不满意", field="rating")
    f = FollowUp.objects.create(request=req, by=actor if getattr(actor, "is_authenticated", False) else None,
                                at=now(), rating=rating, fixed=fixed, note=note)
    _record(actor, req, "followup", req.state, req.state, reason=note, at=f.at,
            data={"fixed": fixed, "rating": rating})
    if rating and not req.rating:
        ServiceRequest.objects.filter(pk=req.pk).update(rating=rating, fixed=fixed)
        req.refresh_from_db()
    if not fixed:
        _move(actor, req, "reopen", reason=note or "回访发现问题未解决", overdue_escalated_at=None,
              fixed=False)
    return f


@transaction.atomic
def reopen(actor, req, *, reason: str, token: str | None = None, expected_version=None) -> ServiceRequest:
    """重办: back to the dispatcher with a fresh time limit."""
    req = _load(req)
    if not _may_speak_for_reporter(actor, req, token):
        raise Forbidden("无权重办此诉求")
    _move(actor, req, "reopen", reason=reason, expected_version=expected_version, overdue_escalated_at=None)
    return req


@transaction.atomic
def close(actor, req, *, reason: str = "", expected_version=None) -> ServiceRequest:
    req = _load(req)
    perms.require(actor, perms.DISPATCH, req)
    _move(actor, req, "close", reason=reason, expected_version=expected_version)
    return req


@transaction.atomic
def cancel(actor, req, *, reason: str = "", token: str | None = None, expected_version=None) -> ServiceRequest:
    req = _load(req)
    if not _may_speak_for_reporter(actor, req, token):
        raise Forbidden("无权撤销此诉求")
    _move(actor, req, "cancel", reason=reason, expected_version=expected_version)
    return req


@transaction.atomic
def not_ours(actor, req, *, reason: str, expected_version=None) -> ServiceRequest:
    req = _load(req)
    perms.require(actor, perms.DISPATCH, req)
    _move(actor, req, "not_ours", reason=reason, expected_version=expected_version)
    return req


def level_above(unit: Unit, region: Region) -> Unit | None:
    """The handling unit one level up from ``unit`` (a department escalates to the district government)."""
    if unit.kind == UnitKind.DEPARTMENT:
        target = unit.region
        candidate = responsibility.handling_unit(target)
        if candidate is not None and candidate.pk != unit.pk:
            return candidate
        target = unit.region.parent
    else:
        target = unit.region.parent
    while target is not None:
        candidate = responsibility.handling_unit(target)
        if candidate is not None:
            return candidate
        target = target.parent
    return None


@transaction.atomic
def escalate(actor, req, *, reason: str, expected_version=None, auto: bool = False) -> ServiceRequest:
    req = _load(req)
    perms.require(actor, perms.DISPATCH, req)
    base = req.handling_unit
    if base is None:
        street = req.region.ancestor_at(Region.Level.STREET)
        base = responsibility.handling_unit(street) if street else None
        target = base
    else:
        target = level_above(base, req.region)
    if target is None:
        raise DomainError(f"诉求{req.number}已在最高层级，无法再升级", code=CasesError.TOP_LEVEL, field="action")
    fields = {"handling_unit": target, "escalation_level": req.escalation_level + 1,
              "routing_reason": f"由{base.name if base else '—'}升级至{target.name}：{reason}"}
    if auto:
        fields["overdue_escalated_at"] = now()
    _move(actor, req, "escalate", reason=reason, expected_version=expected_version, unit=target,
          data={"unit_name": target.name, "auto": auto}, **fields)
    return req


@transaction.atomic
def merge(actor, dup, primary, *, reason: str = "", expected_version=None) -> ServiceRequest:
    """Merge ``dup`` into ``primary``; the reporter of ``dup`` keeps getting ``primary``'s updates."""
    dup, primary = _load(dup), _load(primary)
    perms.require(actor, perms.DISPATCH, dup)
    perms.require(actor, perms.DISPATCH, primary)
    if dup.pk == primary.pk:
        raise DomainError("不能把诉求合并到它自己", field="primary")
    if primary.state in (State.MERGED, State.CANCELLED, State.NOT_OURS):
        raise DomainError(f"诉求{primary.number}为“{State(primary.state).label}”，不能作为合并目标", field="primary")
    if ServiceRequest.objects.filter(merged_into=dup).exists():
        ServiceRequest.objects.filter(merged_into=dup).update(merged_into=primary)
    _move(actor, dup, "merge", reason=reason or f"与{primary.number}重复", expected_version=expected_version,
          merged_into=primary, data={"into": primary.number})
    return dup


def effective(req: ServiceRequest) -> ServiceRequest:
    """The request whose progress a reporter sees: the one it was merged into, if any."""
    seen = set()
    while req.merged_into_id and req.pk not in seen:
        seen.add(req.pk)
        req = ServiceRequest.objects.select_related("merged_into", "handling_unit", "category").get(
            pk=req.merged_into_id)
    return req


# ----------------------------------------------------------------- whistle and report (吹哨报到)


@transaction.atomic
def blow_whistle(actor, req, *, departments: list[str], reason: str) -> Whistle:
    """The street summons the departments concerned; each must report within its time limit."""
    req = _load(req)
    perms.require(actor, perms.WHISTLE, req)
    if req.state not in OPEN_STATES:
        raise DomainError(f"诉求{req.number}当前为“{State(req.state).label}”，不能吹哨", code=CoreError.INVALID_STATE,
                          field="action")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("吹哨须说明事由", field="reason")
    codes = [c for c in dict.fromkeys(departments or []) if c]
    if not codes:
        raise DomainError("请选择至少一个需要报到的部门", field="departments")
    units = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in units]
    if missing:
        raise DomainError(f"部门不存在：{'、'.join(missing)}", field="departments")
    not_dept = [u.name for u in units.values() if u.kind != UnitKind.DEPARTMENT]
    if not_dept:
        raise DomainError(f"只能召集政府部门报到：{'、'.join(not_dept)}不是部门", field="departments")
    street = req.region.ancestor_at(Region.Level.STREET)
    at = now()
    w = Whistle.objects.create(request=req, street=street, blown_by=actor if getattr(actor, "is_authenticated",
                                                                                    False) else None,
                               blown_at=at, reason=reason)
    act_due = req.due_at or sla.due_at(req.sla, at)
    ack = dt.timedelta(hours=WHISTLE_ACK_HOURS.get(req.sla, 24))
    for c in codes:
        Summons.objects.create(whistle=w, department=units[c], ack_due=at + ack, act_due=max(act_due, at + ack))
    _record(actor, req, "whistle", req.state, req.state, reason=reason, at=at,
            data={"departments": codes, "street": street.code if street else None})
    return w


@transaction.atomic
def report(actor, summons_id: int, *, step: str, note: str = "", expected_version=None) -> Summons:
    """报到: a summoned department acknowledges (``step="acknowledge"``), then acts (``step="act"``)."""
    s = Summons.objects.select_related("whistle__request__region", "department").filter(pk=summons_id).first()
    if s is None:
        raise NotFound(f"召集记录{summons_id}不存在")
    if not perms.can(actor, perms.HANDLE, unit=s.department, region=s.department.region):
        raise Forbidden(f"只有{s.department.name}的工作人员可以报到")
    at = now()
    if step == "acknowledge":
        if s.acknowledged_at:
            raise DomainError(f"{s.department.name}已于{timezone.localtime(s.acknowledged_at):%m-%d %H:%M}报到",
                              code=CoreError.INVALID_STATE, field="step")
        fields = {"acknowledged_at": at}
    elif step == "act":
        if not s.acknowledged_at:
            raise DomainError("请先报到（确认接收），再反馈处置情况", code=CoreError.INVALID_STATE, field="step")
        if s.acted_at:
            raise DomainError("已反馈过处置情况", code=CoreError.INVALID_STATE, field="step")
        if not (note or "").strip():
            raise DomainError("请填写处置情况", field="note")
        fields = {"acted_at": at, "note": note.strip()}
    else:
        raise DomainError("step 须为 acknowledge 或 act", field="step")
    version = s.version if expected_version is None else expected_version
    if Summons.objects.filter(pk=s.pk, version=version).update(version=F("version") + 1, **fields) == 0:
        raise Conflict("报到记录已被他人更新，请刷新后重试")
    s.refresh_from_db()
    req = s.whistle.request
    late = at > (s.ack_due if step == "acknowledge" else s.act_due)
    _record(actor, req, "report", req.state, req.state, reason=note, unit=s.department, at=at,
            data={"department": s.department.code, "step": step, "late": late})
    return s


# ----------------------------------------------------------------- emergency bypass (事后备案)


@transaction.atomic
def start_bypass(actor, *, category: str, summary: str, lon=None, lat=None, grid: str | None = None) -> Bypass:
    """A grid worker acts at once in an emergency or basic-livelihood matter; the record is filed later."""
    cat = _category(category)
    if cat is None:
        raise DomainError("请选择事项类别", field="category")
    if not (cat.default_sla in (SlaClass.EMERGENCY, SlaClass.UTILITIES) or cat.code[:2] in BYPASS_MAJOR_CLASSES):
        raise DomainError(f"“{cat.name}”不是紧急或基本民生事项，请按正常程序上报", field="category",
                          code=CasesError.NOT_EMERGENCY)
    g, lon, lat = _locate(lon, lat, grid)
    if not perms.can(actor, perms.BYPASS, region=g.region) or not getattr(actor, "is_authenticated", False):
        raise Forbidden("只有本网格的网格员或社区干部可以紧急先行处置")
    if not (summary or "").strip():
        raise DomainError("请简要说明处置情况", field="summary")
    at = now()
    b = Bypass.objects.create(worker=actor, grid=g, region=g.region, category=cat, summary=summary.strip()[:200],
                              acted_at=at, filing_due=at + dt.timedelta(hours=BYPASS_FILING_HOURS))
    emit(contracts.BYPASS_STARTED, aggregate_type="bypass", aggregate_id=b.pk,
         payload={"grid": g.code, "category": cat.code, "filing_due": b.filing_due.isoformat()},
         region=g.region, actor=actor)
    return b


@transaction.atomic
def file_bypass(actor, bypass_id: int, *, description: str, resolution: str) -> ServiceRequest:
    """事后备案: the record of an emergency bypass, as a request resolved by the grid worker's community."""
    b = Bypass.objects.select_related("grid__region", "category").select_for_update(
        of=("self",), no_key=True).filter(pk=bypass_id).first()
    if b is None:
        raise NotFound(f"紧急处置记录{bypass_id}不存在")
    if not getattr(actor, "is_authenticated", False) or b.worker_id != actor.pk:
        raise Forbidden("只有当时处置的网格员可以备案")
    if b.filed_at:
        raise DomainError("该紧急处置已备案", code=CoreError.INVALID_STATE)
    if not (resolution or "").strip():
        raise DomainError("请填写处置结果", field="resolution")
    req, _ = submit(SYSTEM, description=description or b.summary, channel=Channel.BYPASS, category=b.category.code,
                    grid=b.grid.code, at=b.acted_at, auto_route=False)
    req.created_by = actor
    unit = responsibility.handling_unit(b.region) or responsibility.resolve(b.category.code, grid=b.grid).unit
    _move(SYSTEM, req, "accept", at=b.acted_at, reason="紧急先行处置")
    _move(SYSTEM, req, "dispatch", at=b.acted_at, unit=unit, reason="网格员紧急先行处置", handling_unit=unit,
          routing_reason="紧急先行处置（事后备案）", sla=SlaClass.EMERGENCY, sla_started_at=b.acted_at,
          due_at=sla.due_at(SlaClass.EMERGENCY, b.acted_at), created_by=actor)
    at = now()
    _move(actor, req, "resolve", reason=resolution.strip(), resolution=resolution.strip(), resolved_at=b.acted_at,
          unit=unit, data={"bypass": b.pk, "filed_late": at > b.filing_due})
    Bypass.objects.filter(pk=b.pk).update(filed_at=at, request=req)
    _record(actor, req, "file_bypass", req.state, req.state, reason="事后备案", at=at,
            data={"bypass": b.pk, "late": at > b.filing_due})
    return req


def flag_unfiled_bypasses(at: dt.datetime | None = None) -> int:
    """Flag to the street every bypass not filed within its window (once each)."""
    at = at or now()
    n = 0
    for b in Bypass.objects.filter(filed_at__isnull=True, flagged_at__isnull=True, filing_due__lt=at) \
            .select_related("region", "grid"):
        with transaction.atomic():
            if Bypass.objects.filter(pk=b.pk, flagged_at__isnull=True).update(flagged_at=at):
                street = b.region.ancestor_at(Region.Level.STREET)
                emit(contracts.BYPASS_UNFILED, aggregate_type="bypass", aggregate_id=b.pk,
                     payload={"grid": b.grid.code, "street": street.code if street else None,
                              "filing_due": b.filing_due.isoformat()}, region=street or b.region)
                n += 1
    return n


# ----------------------------------------------------------------- automatic escalation


def escalate_overdue(at: dt.datetime | None = None) -> int:
    """Escalate every open request past its due time to the level above (once per due time)."""
    at = at or now()
    n = 0
    ids = list(ServiceRequest.objects.filter(state__in=[State.ACCEPTED, State.DISPATCHED, State.IN_PROGRESS,
                                                        State.RETURNED, State.REOPENED],
                                             due_at__lt=at, overdue_escalated_at__isnull=True)
               .values_list("pk", flat=True))
    for pk in ids:
        req = ServiceRequest.objects.select_related("handling_unit__region", "region", "grid", "category").get(pk=pk)
        try:
            escalate(SYSTEM, req, reason=f"超过办理时限（{timezone.localtime(req.due_at):%Y-%m-%d %H:%M}）自动升级",
                     auto=True)
            n += 1
        except DomainError:
            ServiceRequest.objects.filter(pk=pk).update(overdue_escalated_at=at)
        except Conflict:
            continue
    return n


# ----------------------------------------------------------------- mediation (老马工作室)


def _person(pid) -> Person:
    p = Person.objects.filter(pk=pid).first()
    if p is None:
        raise DomainError(f"人员{pid}不存在", field="lead")
    return p


@transaction.atomic
def open_mediation(actor, *, region: Region, title: str, lead: int, volunteers: list[int] = (),
                   parties: list[dict] = (), request: ServiceRequest | None = None) -> MediationCase:
    if not perms.can(actor, perms.DISPATCH, region=region) and not perms.can(actor, perms.HANDLE, region=region):
        raise Forbidden(f"无权在{region.name}登记调解案件")
    if not (title or "").strip():
        raise DomainError("请填写纠纷事由", field="title")
    if len([p for p in parties if (p.get("name") or "").strip()]) < 2:
        raise DomainError("调解案件至少需要两方当事人", field="parties")
    case = MediationCase.objects.create(request=request, region=region, title=title.strip()[:120],
                                        lead=_person(lead), opened_at=now())
    if volunteers:
        case.volunteers.set([_person(v) for v in volunteers])
    for p in parties:
        if (p.get("name") or "").strip():
            MediationParty.objects.create(case=case, name=p["name"].strip()[:40], phone=p.get("phone", "")[:20],
                                          role=p.get("role", "")[:20])
    emit(contracts.MEDIATION_OPENED, aggregate_type="mediation", aggregate_id=case.pk,
         payload={"title": case.title, "region": region.code,
                  "personal": {"parties": [p.get("name") for p in parties]}}, region=region, actor=actor)
    return case


@transaction.atomic
def add_session(actor, case: MediationCase, *, at: dt.datetime, place: str = "", notes: str = "") -> MediationSession:
    if not perms.can(actor, perms.HANDLE, region=case.region):
        raise Forbidden("无权记录调解")
    if case.closed_at:
        raise DomainError("调解案件已结案", code=CoreError.INVALID_STATE)
    return MediationSession.objects.create(case=case, at=at, place=place, notes=notes)


@transaction.atomic
def close_mediation(actor, case: MediationCase, *, outcome: str, agreement: str = "",
                    expected_version=None) -> MediationCase:
    if not perms.can(actor, perms.HANDLE, region=case.region):
        raise Forbidden("无权结案")
    if outcome not in (MediationCase.Outcome.AGREEMENT, MediationCase.Outcome.PARTIAL, MediationCase.Outcome.FAILED):
        raise DomainError("调解结果须为达成协议、部分达成或调解不成", field="outcome")
    if outcome != MediationCase.Outcome.FAILED and not (agreement or "").strip():
        raise DomainError("达成协议时须填写协议内容", field="agreement")
    version = case.version if expected_version is None else expected_version
    if MediationCase.objects.filter(pk=case.pk, version=version, closed_at__isnull=True).update(
            version=F("version") + 1, outcome=outcome, agreement=agreement.strip(), closed_at=now()) == 0:
        raise Conflict("调解案件已被他人更新或已结案，请刷新后重试")
    case.refresh_from_db()
    emit(contracts.MEDIATION_CLOSED, aggregate_type="mediation", aggregate_id=case.pk,
         payload={"outcome": outcome, "region": case.region.code}, region=case.region, actor=actor)
    return case
