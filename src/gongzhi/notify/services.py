"""Notifications: the only code that changes the notify app's rows.

* :func:`plan_for_events` (the outbox subscriber, ``SYSTEM``): the messages an event calls for, one per
  recipient and channel, keyed by (event id, recipient, channel), so a redelivered event plans nothing
  twice; held for a digest, deferred past quiet hours, skipped for an opted-out recipient, as their
  preferences say (emergencies excepted); the burden meter's item for a message that asks a worker to act.
* :func:`send_due` (the worker): claims due messages one by one (a compare-and-set on status and
  attempts), sends each through its channel's transport, and records sent, or a retry with exponential
  backoff (timeouts, 5xx, rate limits), or failed. The key travels with the message to the provider.
* :func:`send_digests` (periodic): one message per recipient and channel for what was held.
* :func:`set_preference`, :func:`send_test`, :func:`rate_by_link` (a resident's rating through the
  one-time link, recorded as the reporter's by cases' own service).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import DomainError, Forbidden, NotFound
from gongzhi.core.models import Region
from gongzhi.org import permissions as perm

from . import conf, recipients, texts
from .channels import Outgoing, SendError, backend
from .contracts import NotifyError
from .models import Channel, Message, Preference, RatingLink

log = logging.getLogger("gongzhi.notify")

#: The events this app listens to (the subscriber asks the outbox for these only).
EVENT_TYPES = frozenset(
    {
        "cases.request.accept",
        "cases.request.dispatch",
        "cases.request.resolve",
        "cases.request.reopen",
        "cases.request.escalate",
        "consult.topic_created",
        "alerts.raised",
        "resources.need_raised",
    }
)

LEASE = dt.timedelta(minutes=5)  # a claimed message not recorded by then is offered again
MAX_BACKOFF = dt.timedelta(hours=1)
RATING_SALT = "gongzhi.notify.rating"


# --- preferences and quiet hours ---------------------------------------------------------------------


def _parse_quiet(text: str) -> tuple[dt.time, dt.time] | None:
    if not text or "-" not in text:
        return None
    a, b = text.split("-", 1)
    return dt.time.fromisoformat(a.strip()), dt.time.fromisoformat(b.strip())


def quiet_hours(pref: Preference | None) -> tuple[dt.time, dt.time] | None:
    if pref is not None and pref.quiet_start is not None and pref.quiet_end is not None:
        if pref.quiet_start == pref.quiet_end:
            return None  # no quiet hours
        return pref.quiet_start, pref.quiet_end
    return _parse_quiet(conf.get("GONGZHI_NOTIFY_QUIET"))


def quiet_until(pref: Preference | None, at: dt.datetime) -> dt.datetime | None:
    """When ``at`` falls in the quiet hours (district time), their end; else None."""
    q = quiet_hours(pref)
    if q is None:
        return None
    start, end = q
    local = timezone.localtime(at)
    t = local.time()
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, end), timezone.get_current_timezone())


def channels_for(rcpt: recipients.Recipient) -> list[str]:
    pref = rcpt.preference
    wanted = list(pref.channels) if pref is not None and pref.channels else []
    if not wanted:
        wanted = ["sms"] if "sms" in rcpt.addresses else ["email"]
    return [c for c in wanted if c in Channel.values and rcpt.addresses.get(c)]


@transaction.atomic
def set_preference(
    actor: Any,
    user: Any,
    *,
    channels: Iterable[str] | None = None,
    quiet_start: dt.time | None = None,
    quiet_end: dt.time | None = None,
    digest: bool | None = None,
    opted_out: bool | None = None,
    language: str | None = None,
    wechat_openid: str | None = None,
) -> Preference:
    """A user's own notification preferences (only the user themselves, or the system)."""
    if not (perm.is_system(actor) or (getattr(actor, "is_authenticated", False) and actor.pk == user.pk)):
        raise Forbidden("只能修改自己的通知偏好")
    given = (channels, quiet_start, quiet_end, digest, opted_out, language, wechat_openid)
    if all(v is None for v in given):  # nothing to change: nothing written
        return Preference.objects.filter(user=user).first() or Preference(user=user)
    pref, _ = Preference.objects.select_for_update().get_or_create(user=user)
    if channels is not None:
        chosen = [c for c in dict.fromkeys(channels)]
        bad = [c for c in chosen if c not in Channel.values]
        if bad:
            raise DomainError(f"未知的通知渠道：{'、'.join(bad)}", field="channels", code=CoreError.INVALID)
        pref.channels = chosen
    if (quiet_start is None) != (quiet_end is None):
        raise DomainError("免打扰时段需同时填写开始和结束时间", field="quiet_start", code=CoreError.INVALID)
    if quiet_start is not None:
        pref.quiet_start, pref.quiet_end = quiet_start, quiet_end
    if digest is not None:
        pref.digest = digest
    if opted_out is not None:
        pref.opted_out = opted_out
    if language is not None:
        if language not in ("zh-hans", "en"):
            raise DomainError("不支持的语言", field="language", code=CoreError.INVALID)
        pref.language = language
    if wechat_openid is not None:
        openid = wechat_openid.strip()
        if len(openid) > 64:
            raise DomainError("微信 OpenID 过长", field="wechat_openid", code=CoreError.INVALID)
        pref.wechat_openid = openid
    pref.save()
    return pref


# --- planning: events to messages --------------------------------------------------------------------


def _base_url() -> str:
    return conf.get("GONGZHI_NOTIFY_BASE_URL").rstrip("/")


def rating_token(link: RatingLink) -> str:
    return signing.Signer(salt=RATING_SALT).sign(str(link.pk))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def rating_link(req: Any, event_id: Any, *, at: dt.datetime | None = None) -> tuple[RatingLink, str]:
    """The request's rating link for this event (one per event: a redelivery finds the same one)."""
    at = at or timezone.now()
    link = RatingLink.objects.filter(request=req, event_id=event_id).first()
    if link is None:
        link = RatingLink.objects.create(
            request=req,
            event_id=event_id,
            token_hash="",
            created_at=at,
            expires_at=at + dt.timedelta(days=conf.get("GONGZHI_NOTIFY_RATING_DAYS")),
        )
    token = rating_token(link)
    if link.token_hash != _token_hash(token):
        link.token_hash = _token_hash(token)
        link.save(update_fields=["token_hash"])
    return link, token


def _request_rules(event: Any) -> list[tuple[str, list, dict, bool, Any]]:
    from gongzhi.cases.models import ServiceRequest, SlaClass, Transition

    p = event.payload or {}
    number = p.get("number") or event.aggregate_id
    req = (
        ServiceRequest.objects.filter(number=number)
        .select_related("category", "handling_unit", "reporter_user", "region")
        .first()
    )
    if req is None:
        return []
    emergency = req.sla == SlaClass.EMERGENCY
    base = {"number": req.number}
    kind = event.type.removeprefix("cases.request.")
    if kind == "accept":
        return [("request_accepted", recipients.reporter(req), base, False, None)]
    if kind == "resolve":
        _link, token = rating_link(req, event.event_id, at=event.occurred_at)
        url = _base_url() + reverse("notify:rate", args=[token])
        return [("request_resolved", recipients.reporter(req), {**base, "url": url}, False, None)]
    unit = recipients.unit_by_code(p.get("unit"))
    if kind == "dispatch":
        due = timezone.localtime(req.due_at).strftime("%Y-%m-%d %H:%M") if req.due_at else "—"
        params = {
            **base,
            "category": req.category.name if req.category else "—",
            "unit": p.get("unit_name") or (unit.name if unit else "—"),
            "due": due,
        }
        return [("request_dispatched", recipients.unit_staff([unit]), params, emergency, unit)]
    if kind == "reopen":
        return [("request_reopened", recipients.unit_staff([unit]), base, emergency, unit)]
    if kind == "escalate":
        below = (
            Transition.objects.filter(request=req, unit__isnull=False)
            .exclude(unit=unit)
            .select_related("unit")
            .order_by("-id")
            .first()
        )
        staff = recipients.unit_staff([unit, below.unit if below else None])
        return [("request_overdue", staff, {**base, "unit": p.get("unit_name") or "—"}, emergency, unit)]
    return []


def _need_rules(event: Any) -> list[tuple[str, list, dict, bool, Any]]:
    """A pool need asking for certificates: the active volunteers of its street whose valid certificates
    meet every requirement (field → minimum level)."""
    from gongzhi.resources.models import PoolNeed
    from gongzhi.volunteers.models import Certificate, Field, Volunteer

    need = PoolNeed.objects.filter(pk=event.aggregate_id).select_related("region").first()
    if need is None or not need.certificates:
        return []
    region = need.region
    area = region.ancestor_at(Region.Level.STREET) or region
    day = timezone.localdate()
    vols = list(
        Volunteer.objects.filter(region__path__startswith=area.path, status=Volunteer.Status.ACTIVE)
        .select_related("person", "person__user")
        .order_by("id")
    )
    certs: dict[int, list] = defaultdict(list)
    for c in Certificate.objects.filter(volunteer__in=vols, revoked=False, expires_on__gte=day):
        certs[c.volunteer_id].append(c)
    wanted = {str(f): int(lv) for f, lv in need.certificates.items()}
    fit = [
        v.person
        for v in vols
        if all(any(c.field == f and c.level >= lv and c.valid_on(day) for c in certs[v.pk]) for f, lv in wanted.items())
    ]
    labels = dict(Field.choices)
    fields = "、".join(str(labels.get(f, f)) for f in wanted)
    params = {"title": need.title, "field": fields}
    return [("volunteer_task", recipients.people(fit), params, need.priority == 0, None)]  # priority 0: 应急


def rules(event: Any) -> list[tuple[str, list, dict, bool, Any]]:
    """(template, recipients, params, emergency, unit) for each message group ``event`` calls for."""
    if event.type.startswith("cases.request."):
        return _request_rules(event)
    region = Region.objects.filter(pk=event.region_id).first() if event.region_id else None
    p = event.payload or {}
    if event.type == "consult.topic_created":
        return [("consult_opened", recipients.residents(region), {"title": p.get("title", "")}, False, None)]
    if event.type == "resources.need_raised":
        return _need_rules(event)
    if event.type == "alerts.raised":
        params = {
            "region": region.name if region else "—",
            "kind": p.get("kind", ""),
            "observed": p.get("observed", ""),
            "expected": round(float(p.get("expected") or 0), 1),
        }
        return [("alert_raised", recipients.command_on_duty(region), params, True, None)]
    return []


def _messages(
    base: str, groups: list[tuple[str, list, dict, bool, Any]], *, event_id: Any, region_id: Any, now: dt.datetime
) -> tuple[list[Message], list[dict]]:
    """The messages (keys ``<base>:<recipient>:<channel>``) and burden rows for ``groups`` as
    preferences say: opted out (emergencies excepted), held for a digest, deferred past quiet hours."""
    objs: list[Message] = []
    burden_rows: list[dict] = []
    for code, rcpts, params, emergency_flag, unit in groups:
        tpl = texts.TEMPLATES[code]
        emergency = emergency_flag or tpl.emergency
        for r in rcpts:
            pref = r.preference
            if pref is not None and pref.opted_out and not emergency:
                continue
            chans = channels_for(r)
            for ch in chans:
                held = pref is not None and pref.digest and not emergency
                objs.append(
                    Message(
                        key=f"{base}:{r.key}:{ch}",
                        event_id=event_id,
                        recipient=r.key,
                        user=r.user,
                        channel=ch,
                        address=r.addresses[ch],
                        template=code,
                        params=params,
                        language=(pref.language if pref is not None else "zh-hans"),
                        emergency=emergency,
                        asks_action=tpl.asks_action,
                        status=Message.Status.HELD if held else Message.Status.QUEUED,
                        next_attempt_at=None if emergency else quiet_until(pref, now),
                        created_at=now,
                        region_id=region_id,
                    )
                )
            if chans and tpl.asks_action and r.person is not None and (r.unit or unit) is not None:
                burden_rows.append(
                    {
                        "key": "notify_action",
                        "ref": f"notify:{base}:{r.key}",
                        "unit": r.unit or unit,
                        "worker": r.person,
                        "on": timezone.localtime(now).date(),
                        "at": None,
                    }
                )
    return objs, burden_rows


def _save(objs: list[Message]) -> int:
    have = set(Message.objects.filter(key__in=[m.key for m in objs]).values_list("key", flat=True))
    new = [m for m in objs if m.key not in have]
    Message.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def plan_for_events(actor: Any, events: Iterable[Any], *, now: dt.datetime | None = None) -> int:
    """The messages ``events`` call for (idempotent by key). Returns how many were planned."""
    if not perm.is_system(actor):
        raise Forbidden("只有系统可以按事件生成通知")
    now = now or timezone.now()
    made = 0
    burden_rows: list[dict] = []
    for event in events:
        try:
            with transaction.atomic():
                objs, rows = _messages(
                    event.event_id.hex, rules(event), event_id=event.event_id, region_id=event.region_id, now=now
                )
                made += _save(objs)
                burden_rows += rows
        except Exception:  # one event's bad data never stalls the others' messages (nor the outbox)
            log.exception("notify: no messages planned for event %s (%s)", event.event_id, event.type)
    if burden_rows:
        _count_burden(burden_rows)
    return made


def plan_meetings_due(actor: Any, *, today: dt.date | None = None, days: int = 3) -> int:
    """Required alliance meetings (1142) not yet held whose due date is within ``days``: a reminder to the
    lead unit's staff, once per meeting and due date (the key). Daily job ``notify.meetings_due``."""
    from gongzhi.alliances.models import Meeting

    if not perm.is_system(actor):
        raise Forbidden("只有系统可以生成会议提醒")
    today = today or timezone.localdate()
    now = timezone.now()
    made = 0
    burden_rows: list[dict] = []
    due_meetings = (
        Meeting.objects.filter(
            required=True, held_on__isnull=True, due_on__gte=today, due_on__lte=today + dt.timedelta(days=days)
        )
        .select_related("alliance__lead_unit", "alliance__region")
        .order_by("due_on", "id")
    )
    for m in due_meetings:
        lead = m.alliance.lead_unit
        if lead is None or m.due_on is None:
            continue
        params = {"alliance": m.alliance.name, "kind": str(m.get_kind_display()), "due": m.due_on.isoformat()}
        groups: list[tuple[str, list, dict, bool, Any]] = [
            ("meeting_due", recipients.unit_staff([lead]), params, False, lead)
        ]
        with transaction.atomic():
            objs, rows = _messages(
                f"m{m.pk}-{m.due_on:%Y%m%d}", groups, event_id=None, region_id=m.alliance.region_id, now=now
            )
            made += _save(objs)
            burden_rows += rows
    if burden_rows:
        _count_burden(burden_rows)
    return made


def _count_burden(rows: list[dict]) -> None:
    """Messages that ask a worker to act are the platform's demands too (burden meter, key notify_action)."""
    try:
        from gongzhi.burden.platform import STANDARD
        from gongzhi.burden.services import record_platform_items

        if "notify_action" in STANDARD:
            with transaction.atomic():
                record_platform_items(SYSTEM, rows)
    except Exception:  # the meter never stops a message; its own backfill does not cover these
        log.exception("notify: burden items not recorded for %d messages", len(rows))


# --- delivery ----------------------------------------------------------------------------------------


def backoff(attempts: int) -> dt.timedelta:
    """The wait before retry ``attempts`` + 1: the base, doubling, at most an hour."""
    base = conf.get("GONGZHI_NOTIFY_BACKOFF_SECONDS")
    return min(dt.timedelta(seconds=base * 2 ** max(0, attempts - 1)), MAX_BACKOFF)


def outgoing(m: Message) -> Outgoing:
    subject, text = texts.render(m.template, m.params, m.language)
    return Outgoing(
        key=m.key,
        channel=m.channel,
        address=m.address,
        template=m.template,
        params=dict(m.params),
        subject=subject,
        text=text,
        url=str(m.params.get("url", "")),
        language=m.language,
    )


def _claim(m: Message, now: dt.datetime) -> bool:
    return bool(
        Message.objects.filter(pk=m.pk, status=m.status, attempts=m.attempts).update(
            status=Message.Status.SENDING, attempts=m.attempts + 1, next_attempt_at=now + LEASE
        )
    )


def deliver(m: Message, *, now: dt.datetime | None = None) -> str:
    """Send one claimed-or-due message; its new status. A message another sender claimed first is left."""
    now = now or timezone.now()
    if m.status not in (Message.Status.QUEUED, Message.Status.SENDING):
        return m.status
    if not _claim(m, now):
        return "skipped"
    attempts = m.attempts + 1
    try:
        provider_id = backend(m.channel).send(outgoing(m))
    except SendError as exc:
        failed = not exc.transient or attempts >= conf.get("GONGZHI_NOTIFY_MAX_ATTEMPTS")
        Message.objects.filter(pk=m.pk, status=Message.Status.SENDING, attempts=attempts).update(
            status=Message.Status.FAILED if failed else Message.Status.QUEUED,
            next_attempt_at=None if failed else now + backoff(attempts),
            last_error=str(exc)[:300],
        )
        log.warning("notify %s: %s (attempt %d%s)", m.key, exc, attempts, ", given up" if failed else "")
        return Message.Status.FAILED if failed else Message.Status.QUEUED
    Message.objects.filter(pk=m.pk, attempts=attempts).update(
        status=Message.Status.SENT,
        sent_at=timezone.now(),
        provider_id=provider_id[:100],
        last_error="",
        next_attempt_at=None,
    )
    return Message.Status.SENT


def due(now: dt.datetime, limit: int = 200) -> Any:
    return Message.objects.filter(
        Q(status=Message.Status.QUEUED, next_attempt_at__isnull=True)
        | Q(status__in=[Message.Status.QUEUED, Message.Status.SENDING], next_attempt_at__lte=now)
    ).order_by("next_attempt_at", "id")[:limit]


def send_due(actor: Any, *, now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Send every message that is due (queued and past its quiet hours or backoff). Provider calls happen
    outside any transaction; each outcome is one conditional update."""
    if not perm.is_system(actor):
        raise Forbidden("只有系统可以发送通知")
    now = now or timezone.now()
    counts: dict[str, int] = defaultdict(int)
    for m in list(due(now, limit)):
        counts[deliver(m, now=now)] += 1
    return dict(counts)


@transaction.atomic
def send_digests(actor: Any, *, now: dt.datetime | None = None) -> int:
    """One digest per recipient and channel for the messages held for it; returns how many were made."""
    if not perm.is_system(actor):
        raise Forbidden("只有系统可以汇总通知")
    now = now or timezone.now()
    held = list(Message.objects.select_for_update().filter(status=Message.Status.HELD).order_by("id"))
    groups: dict[tuple[str, str], list[Message]] = defaultdict(list)
    for m in held:
        groups[(m.recipient, m.channel)].append(m)
    made = 0
    for (rcpt, channel), parts in groups.items():
        first = parts[0]
        pref = Preference.objects.filter(user_id=first.user_id).first() if first.user_id else None
        lines = "；".join(texts.render(m.template, m.params, m.language)[1] for m in parts[:10])
        digest = Message.objects.create(
            key=f"d{first.pk}:{rcpt}:{channel}",
            recipient=rcpt,
            user_id=first.user_id,
            channel=channel,
            address=parts[-1].address,
            template="digest",
            params={"count": len(parts), "lines": lines},
            language=first.language,
            asks_action=any(m.asks_action for m in parts),
            status=Message.Status.QUEUED,
            next_attempt_at=quiet_until(pref, now),
            created_at=now,
            region_id=first.region_id,
        )
        Message.objects.filter(pk__in=[m.pk for m in parts]).update(status=Message.Status.DIGESTED, digest=digest)
        made += 1
    return made


def send_test(actor: Any, channel: str, address: str) -> Message:
    """A test message through ``channel``'s configured transport (operators: ``gongzhi notify test``)."""
    if not perm.is_system(actor):
        raise Forbidden("只有系统可以发送测试通知")
    if channel not in Channel.values:
        raise DomainError(f"未知的通知渠道：{channel}", field="channel", code=CoreError.INVALID)
    if not address.strip():
        raise DomainError("请填写收件地址", field="address", code=NotifyError.NO_ADDRESS)
    now = timezone.now()
    m = Message.objects.create(
        key=f"t{int(now.timestamp() * 1000)}:{channel}",
        recipient="test",
        channel=channel,
        address=address.strip(),
        template="test",
        params={"channel": channel},
        created_at=now,
    )
    deliver(m, now=now)
    m.refresh_from_db()
    return m


# --- the rating link ---------------------------------------------------------------------------------


def link_for_token(token: str, *, now: dt.datetime | None = None, for_update: bool = False) -> RatingLink:
    """The rating link ``token`` stands for; refused when it is not ours, used, or expired."""
    try:
        pk = int(signing.Signer(salt=RATING_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        raise NotFound("评价链接无效", field="token", code=NotifyError.LINK_INVALID) from None
    qs = RatingLink.objects.select_related("request", "request__category", "request__handling_unit")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    link = qs.filter(pk=pk).first()
    if link is None or not hmac.compare_digest(link.token_hash, _token_hash(token)):
        raise NotFound("评价链接无效", field="token", code=NotifyError.LINK_INVALID)
    if link.used_at is not None:
        raise DomainError("此评价链接已使用过", field="token", code=NotifyError.LINK_USED)
    if link.expires_at <= (now or timezone.now()):
        raise DomainError("此评价链接已过期", field="token", code=NotifyError.LINK_EXPIRED)
    return link


@transaction.atomic
def rate_by_link(actor: Any, token: str, *, rating: str, fixed: bool, comment: str = "") -> Any:
    """The resident rates through the link (no log-in): recorded as the reporter's rating by cases'
    own service (the request's receipt token speaks for them); the link is then used up."""
    from django.contrib.auth.models import AnonymousUser

    from gongzhi.cases import services as cases

    link = link_for_token(token, for_update=True)
    # The link speaks for the reporter whoever holds it (a staff member logged in on the same browser too):
    # cases records a rating through the receipt token without a log-in as the reporter's.
    req = cases.confirm(
        AnonymousUser(), link.request, rating=rating, fixed=fixed, comment=comment, token=link.request.token
    )
    RatingLink.objects.filter(pk=link.pk).update(used_at=timezone.now())
    return req
