"""Intake: recording a request (:func:`submit`), idempotent by key, routed at once when its category is
known (given, or suggested with enough confidence). On PostgreSQL the request, its transitions and
its events are written in one statement through :mod:`gongzhi.cases.fastwrite`; elsewhere through
the ORM (:func:`_write`), with the same result.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from gongzhi.core.errors import DomainError, Forbidden, IdempotencyMismatch
from gongzhi.core.events import build_many, dispatch_after_commit
from gongzhi.core.models import Event
from gongzhi.org import responsibility
from gongzhi.org.kinds import SlaClass
from gongzhi.org.models import Unit

from .. import attachments as attachments_mod
from .. import contracts, fastwrite, perms, sla
from ..models import Attachment, Channel, ServiceRequest, State, Transition
from .transitions import _category, _locate, _public_payload, actor_label, now, stricter

MAX_DESCRIPTION = 2000
# A category suggestion at or above this confidence may route a request on its own.
SUGGESTION_THRESHOLD = 0.6
# Intake waits at most this long for a classifier still being trained (None: wait; tests).
SUGGEST_TIMEOUT_S: float | None = 2.0

PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8}|\d{7,8})$")
ID_RE = re.compile(r"^\d{17}[\dXx]$")


def _validate_contact(phone: str, id_number: str) -> None:
    if phone and not PHONE_RE.match(phone):
        raise DomainError(gettext("联系电话格式不正确（手机11位，或带区号的固定电话）"), field="reporter_phone")
    if id_number and not ID_RE.match(id_number):
        raise DomainError(gettext("身份证号应为18位（最后一位可为X）"), field="reporter_id_number")


def _request_number(at: dt.datetime, pk: int) -> str:
    return f"{timezone.localtime(at):%y%m%d}{pk:07d}"


def _refuse_reused_key(submit_fn):
    """A key its author already used for a different request is refused (422) once ``submit`` has
    left its transaction block, so that a caller's transaction stays usable (nothing was written)."""

    @functools.wraps(submit_fn)
    def wrapper(*args, **kwargs):
        req, created = submit_fn(*args, **kwargs)
        if not created and getattr(req, "other_body", False):
            raise IdempotencyMismatch(
                "该幂等键已用于另一条不同内容的诉求；新的诉求请使用新的幂等键", field="idempotency_key"
            )
        return req, created

    return wrapper


@_refuse_reused_key
def submit(
    actor,
    *,
    description: str,
    channel: str = Channel.WEB,
    category: str | None = None,
    lon=None,
    lat=None,
    grid: str | None = None,
    address: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_id_number: str = "",
    anonymous: bool = False,
    reporter_user=None,
    idempotency_key: str | None = None,
    at: dt.datetime | None = None,
    auto_route: bool = True,
    first_receiver: Unit | None = None,
    attachments=None,
    media_url: str = "",
) -> tuple[ServiceRequest, bool]:
    """Record a request. Returns ``(request, created)``; a retry with the same idempotency key returns the
    first request and ``created=False``. A request with a category (given, or suggested with enough
    confidence) is routed by the responsibility list at once."""
    # No pre-select for the idempotency key: the unique constraint on it decides (see the end).
    description = (description or "").strip()
    if not description:
        raise DomainError(gettext("请描述您的诉求"), field="description")
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(
            gettext("诉求内容过长（最多%(MAX_DESCRIPTION)s字）") % {"MAX_DESCRIPTION": MAX_DESCRIPTION},
            field="description",
        )
    if channel not in Channel.values:
        raise DomainError(gettext("未知的渠道：%(channel)s") % {"channel": channel}, field="channel")
    if channel in (Channel.HOTLINE, Channel.GRID):
        if not perms.can(actor, perms.INTAKE):
            raise Forbidden(gettext("无权代为登记诉求"))
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
        from .. import classify

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
        from .. import routing

        # An override (an incident declared for the area) takes every request there, categorised or not.
        decision = routing.override(cat, grid_obj, at)
        if decision is None and cat is not None:
            decision = routing.decide(cat.code, grid_obj, at=at, first_receiver=first_receiver)
            # The power list: a unit lacking a power the matter needs is not assigned at intake; the request
            # waits for the dispatcher, whose dispatch names the missing power (services.pushdown).
            if (
                decision is not None
                and responsibility.needs_powers(cat)
                and responsibility.missing_powers(decision.unit, cat, grid_obj.region, timezone.localdate(at))
            ):
                decision = None
    steps_data = {
        "channel": channel,
        "suggested": suggestion.code if suggestion else None,
        "confidence": round(confidence, 3) if confidence is not None else None,
        **({"attachments": len(files) + bool(media_url)} if files or media_url else {}),
    }
    personal = {"name": (reporter_name or "")[:40], "phone": reporter_phone, "id_number": reporter_id_number}

    def new_request() -> ServiceRequest:
        req = ServiceRequest(
            number=ServiceRequest.new_token()[:20],
            token=ServiceRequest.new_token(),
            channel=channel,
            description=description,
            category=cat,
            suggested_category=suggestion,
            suggestion_confidence=confidence,
            region=grid_obj.region,
            grid=grid_obj,
            lon=lon,
            lat=lat,
            address=(address or "")[:200],
            anonymous=anonymous,
            reporter_name=(reporter_name or "")[:40],
            reporter_phone=reporter_phone,
            reporter_id_number=reporter_id_number,
            reporter_user=reporter_user,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            sla=cat.default_sla if cat else SlaClass.GENERAL,
            created_at=at,
            updated_at=at,
            idempotency_key=idempotency_key or None,
        )
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
        return req

    def records(req: ServiceRequest):
        # The number is the date and the id: known before the insert on the fast path.
        req.number = _request_number(at, req.pk)
        return _intake_records(
            actor,
            req,
            decision,
            steps_data=steps_data,
            category_given=bool(category),
            confidence=confidence,
            personal=personal,
        )

    def prior(req: ServiceRequest) -> ServiceRequest | None:
        return _prior(idempotency_key, req, category_given=bool(category))

    with transaction.atomic(savepoint=False) if files or media_url else contextlib.nullcontext():
        written = fastwrite.write_intake(new_request(), records, prior)
        if written is None:
            written = _write(new_request(), records, prior)
        req, created = written
        if not created:
            return req, False
        dispatch_after_commit()  # in autocommit (the one statement alone) it runs now: written already
        if files or media_url:
            stored = attachments_mod.store(files)
            try:
                Attachment.objects.bulk_create(
                    [
                        Attachment(
                            request=req,
                            stored_name=name,
                            original_name=c.original_name,
                            content_type=c.content_type,
                            size=c.size,
                            sha256=digest,
                            uploaded_at=at,
                        )
                        for c, name, digest in stored
                    ]
                    + ([Attachment(request=req, url=media_url, uploaded_at=at)] if media_url else [])
                )
            except BaseException:
                attachments_mod.discard([name for _c, name, _d in stored])
                raise
        req.has_followers = True
    return req, True


@transaction.atomic(savepoint=False)
def _write(req: ServiceRequest, records, prior) -> tuple[ServiceRequest, bool]:
    """The ORM write of an intake (SQLite, or when the fast path does not apply): the insert (a taken
    idempotency key is an IntegrityError, answered with the earlier request), then its records."""
    try:
        with transaction.atomic():
            req.save(force_insert=True)
    except IntegrityError:
        earlier = prior(req)
        if earlier is None:
            raise
        return earlier, False
    transitions, events = records(req)
    ServiceRequest.objects.filter(pk=req.pk).update(number=req.number)
    Transition.objects.bulk_create(transitions)
    Event.objects.bulk_create(events)
    return req, True


def _prior(
    idempotency_key: str | None, new: ServiceRequest | None = None, *, category_given: bool = False
) -> ServiceRequest | None:
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
    fields = (
        "description",
        "channel",
        "grid_id",
        "lon",
        "lat",
        "address",
        "anonymous",
        "reporter_name",
        "reporter_phone",
        "reporter_id_number",
    )
    if any(getattr(prior, f) != getattr(new, f) for f in fields):
        return False
    submitted = (
        Event.objects.filter(aggregate_type="service_request", aggregate_id=prior.number, type=contracts.REQUEST_SUBMIT)
        .values_list("payload", flat=True)
        .first()
    )
    intake = (submitted or {}).get("category", prior.category.code if prior.category_id else None)
    prior_given = intake is not None and prior.suggested_category_id is None
    if category_given != prior_given:
        return False
    return not category_given or intake == (new.category.code if new.category_id else None)


def _intake_records(
    actor, req: ServiceRequest, decision, *, steps_data: dict, category_given: bool, confidence, personal: dict
) -> tuple[list[Transition], list[Event]]:
    """The transitions of an intake (submit; accept and dispatch when routed at once) and their events."""
    from .. import routing

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
        steps.append(
            (
                "dispatch",
                State.ACCEPTED,
                State.DISPATCHED,
                None,
                "系统",
                decision.unit,
                decision.explanation,
                {"unit_name": decision.unit.name},
            )
        )
    transitions = [
        Transition(
            request=req,
            action=a,
            from_state=f,
            to_state=t,
            actor=u,
            actor_label=lab,
            unit=unit,
            reason=why,
            at=at,
            data=data,
        )
        for a, f, t, u, lab, unit, why, data in steps
    ]
    req.has_followers = False
    batch = []
    for a, f, t, u, _lab, _unit, why, data in steps:
        payload = _public_payload(req, action=a, from_state=f, to_state=t, reason=why, followers=[req.number], **data)
        if a == "submit":
            payload["personal"] = personal
        batch.append((contracts.REQUEST_EVENTS[a], payload, u))
    events = build_many(
        batch, aggregate_type="service_request", aggregate_id=req.number, region=req.region, schedule=False
    )
    return transitions, events
