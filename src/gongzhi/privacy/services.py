"""Use cases of the privacy module: the purge of expired personal data, and the exports of a
person's own data (by themself, or by staff at their written request).

The purge goes kind by kind (:mod:`.retention`), in batches of ids; each batch is one transaction
that changes the rows and emits ``privacy.purged`` (kind, action, rows, cutoff, days: counts only,
so the purge itself is on the public record).  Doing a batch again finds nothing: an anonymised
record carries :data:`~.retention.MARKER` and is not selected again."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction
from django.db.models import Case, F, Max, Q, Value, When
from django.db.models.functions import Round
from django.utils import timezone

from gongzhi.core import audit
from gongzhi.core.errors import DomainError, Forbidden, NotFound
from gongzhi.core.events import emit
from gongzhi.org import permissions

from . import contracts, export, perms, retention
from .retention import MARKER

log = logging.getLogger("gongzhi.privacy")

BATCH = 500


def _blank_or_marker(field: str):
    """An update expression: '' stays '', any other text becomes the marker."""
    return Case(When(**{field: ""}, then=Value("")), default=Value(MARKER))


def _scrub_payload(event_type: str, payload: dict) -> dict:
    """An outbox event's payload with its personal part dropped and every field that is not a declared
    structured field (reasons, titles, text) replaced by the marker — the same rule as the public record."""
    from gongzhi.ledger import public_fields

    allowed = public_fields.allowed_fields(event_type) or frozenset()
    out = {}
    for key, value in payload.items():
        if key == "personal":
            continue
        out[key] = value if key in allowed and public_fields.is_structured(value) else MARKER
    return out


def _forget(aggregate_type: str, ids: list[str]) -> None:
    """Scrub the outbox events of these records and forget the salts of their public-record entries."""
    from gongzhi.core.models import Event
    from gongzhi.ledger.models import Leaf

    changed = []
    for ev in Event.objects.filter(aggregate_type=aggregate_type, aggregate_id__in=ids).only("seq", "type", "payload"):
        new = _scrub_payload(ev.type, ev.payload or {})
        if new != ev.payload:
            ev.payload = new
            changed.append(ev)
    Event.objects.bulk_update(changed, ["payload"], batch_size=500)
    # The entries themselves (and so every hash, checkpoint and proof) stay as they are.
    Leaf.objects.filter(record__in=[f"{aggregate_type}:{i}" for i in ids]).exclude(salts="{}").update(salts="{}")


# ----------------------------------------------------------------------------- the kinds


@dataclass(frozen=True)
class Handler:
    select: Callable  # (cutoff) -> queryset of the expired rows not yet purged; its pks are the batch
    apply: Callable  # (pks) -> rows changed


def _requests_due(cutoff):
    from gongzhi.cases.models import OPEN_STATES, ServiceRequest

    return (
        ServiceRequest.objects.exclude(state__in=OPEN_STATES).filter(updated_at__lt=cutoff).exclude(description=MARKER)
    )


def _anonymise_requests(pks) -> int:
    from gongzhi.cases import attachments
    from gongzhi.cases.models import Attachment, Bypass, FollowUp, ServiceRequest, Summons, Transition, Whistle

    numbers = list(ServiceRequest.objects.filter(pk__in=pks).values_list("number", flat=True))
    n = ServiceRequest.objects.filter(pk__in=pks).update(
        description=MARKER,
        address="",
        reporter_name="",
        reporter_phone="",
        reporter_id_number="",
        reporter_user=None,
        resolution=_blank_or_marker("resolution"),
        lon=Round("lon", 3),
        lat=Round("lat", 3),
        version=F("version") + 1,
    )
    Transition.objects.filter(request_id__in=pks).exclude(reason="").update(reason=MARKER)
    FollowUp.objects.filter(request_id__in=pks).exclude(note="").update(note=MARKER)
    Whistle.objects.filter(request_id__in=pks).exclude(reason="").update(reason=MARKER)
    Summons.objects.filter(whistle__request_id__in=pks).exclude(note="").update(note=MARKER)
    bypasses = [str(pk) for pk in Bypass.objects.filter(request_id__in=pks).values_list("pk", flat=True)]
    Bypass.objects.filter(request_id__in=pks).update(summary=MARKER)
    files = [a for a in Attachment.objects.filter(request_id__in=pks).values_list("stored_name", flat=True) if a]
    Attachment.objects.filter(request_id__in=pks).delete()
    if files:  # only once the rows are gone for good
        transaction.on_commit(lambda: attachments.discard(files))
    _forget("service_request", numbers)
    if bypasses:
        _forget("bypass", bypasses)
    return n


def _mediations_due(cutoff):
    from gongzhi.cases.models import MediationCase

    return MediationCase.objects.filter(closed_at__lt=cutoff).exclude(title=MARKER)


def _anonymise_mediations(pks) -> int:
    from gongzhi.cases.models import MediationCase, MediationParty, MediationSession

    n = MediationCase.objects.filter(pk__in=pks).update(
        title=MARKER, agreement=_blank_or_marker("agreement"), version=F("version") + 1
    )
    MediationParty.objects.filter(case_id__in=pks).update(name=MARKER, phone="")
    MediationSession.objects.filter(case_id__in=pks).update(notes=_blank_or_marker("notes"), place="")
    _forget("mediation", [str(pk) for pk in pks])
    return n


def _deleter(label: str, clock: str, extra: Q | None = None):
    def select(cutoff):
        qs = apps.get_model(label).objects.filter(**{f"{clock}__lt": cutoff})
        return qs.filter(extra) if extra is not None else qs

    def apply(pks) -> int:
        return apps.get_model(label).objects.filter(pk__in=pks).delete()[0]

    return Handler(select, apply)


def _statements_due(cutoff):
    from gongzhi.consult.models import Statement, Topic

    ended = Topic.objects.annotate(last=Max("phases__ends_at")).filter(last__lt=cutoff).values("pk")
    return Statement.objects.filter(topic__in=ended, author__isnull=False)


def _unlink_authors(pks) -> int:
    from gongzhi.consult.models import Statement

    return Statement.objects.filter(pk__in=pks).update(author=None)


def _login_records():
    """django-axes' access and failure logs (when installed)."""

    def models():
        out = []
        for name, clock in (("AccessLog", "attempt_time"), ("AccessFailureLog", "attempt_time")):
            try:
                out.append((apps.get_model("axes", name), clock))
            except LookupError:
                pass
        return out

    # Two tables under one kind: pks are tagged with their table.
    class _Union:
        def __init__(self, cutoff):
            self.cutoff = cutoff

        def count(self):
            return sum(m.objects.filter(**{f"{c}__lt": self.cutoff}).count() for m, c in models())

        def batch(self, size):
            out = []
            for i, (m, c) in enumerate(models()):
                out += [
                    (i, pk)
                    for pk in m.objects.filter(**{f"{c}__lt": self.cutoff})
                    .order_by("pk")
                    .values_list("pk", flat=True)[: size - len(out)]
                ]
                if len(out) >= size:
                    break
            return out

    def apply(tagged) -> int:
        n = 0
        for i, (m, _c) in enumerate(models()):
            pks = [pk for j, pk in tagged if j == i]
            if pks:
                n += m.objects.filter(pk__in=pks).delete()[0]
        return n

    return Handler(_Union, apply)


HANDLERS: dict[str, Handler] = {
    "cases.request": Handler(_requests_due, _anonymise_requests),
    "cases.mediation": Handler(_mediations_due, _anonymise_mediations),
    "core.idempotency": _deleter("core.IdempotencyKey", "created_at"),
    "incidents.notification": _deleter("incidents.Notification", "created_at"),
    "notify.message": _deleter("notify.Message", "created_at"),
    "opendata.import_run": _deleter("opendata.ImportRun", "created_at"),
    "consult.statement_author": Handler(_statements_due, _unlink_authors),
    "security.login_records": _login_records(),
}
assert set(HANDLERS) == set(retention.PURGEABLE), "every kind with a period has a handler"


def _count(selection) -> int:
    return selection.count()


def _batch(selection, size: int) -> list:
    if hasattr(selection, "batch"):
        return selection.batch(size)
    return list(selection.order_by("pk").values_list("pk", flat=True)[:size])


def _parse_kinds(kinds) -> list[str]:
    if not kinds:
        return list(retention.PURGEABLE)
    unknown = [k for k in kinds if k not in retention.PURGEABLE]
    if unknown:
        kept = [k for k in unknown if k in retention.BY_NAME]
        why = (
            f"{'、'.join(kept)}不按期限清理（见保存期限表）"
            if kept and len(kept) == len(unknown)
            else f"未知的记录类型：{'、'.join(unknown)}"
        )
        raise DomainError(f"{why}；可选：{', '.join(retention.PURGEABLE)}", field="kind")
    return list(dict.fromkeys(kinds))


def purge(
    actor, *, kinds=None, now: dt.datetime | None = None, dry_run: bool = False, batch_size: int = BATCH
) -> dict[str, dict]:
    """Delete or anonymise every record whose retention period has passed at ``now``.

    Returns, per kind, ``{"action", "days", "cutoff", "rows"}`` (rows done, or due with ``dry_run``).
    Only the system (the operator's command, the scheduled job) runs it."""
    if not permissions.is_system(actor):
        raise Forbidden("只有系统（运维命令或定时任务）可以清理过期个人信息")
    names = _parse_kinds(kinds)
    if now is None:
        now = timezone.now()
    elif timezone.is_naive(now):
        raise DomainError("时间须带时区", field="now")
    report = {}
    for name in names:
        kind = retention.BY_NAME[name]
        days = retention.period(name)
        cutoff = now - dt.timedelta(days=days)
        handler = HANDLERS[name]
        row = {"action": kind.action, "days": days, "cutoff": cutoff.isoformat(timespec="seconds"), "rows": 0}
        if dry_run:
            row["rows"] = _count(handler.select(cutoff))
        else:
            while True:
                with transaction.atomic():
                    pks = _batch(handler.select(cutoff), batch_size)
                    if not pks:
                        break
                    n = handler.apply(pks)
                    emit(
                        contracts.PURGED,
                        aggregate_type="retention",
                        aggregate_id=name,
                        actor=actor,
                        payload={"kind": name, "action": kind.action, "rows": n, "cutoff": row["cutoff"], "days": days},
                    )
                row["rows"] += n
                if len(pks) < batch_size:
                    break
            if row["rows"]:
                log.info("privacy purge: %s %s %d rows (before %s)", kind.action, name, row["rows"], row["cutoff"])
        report[name] = row
    return report


# ----------------------------------------------------------------------------- exports


def export_own_data(actor, *, request=None, via: str = "page") -> dict:
    """Everything the platform holds about the signed-in user (and the person they are), as data."""
    if not getattr(actor, "is_authenticated", False):
        raise Forbidden("请先登录")
    person = getattr(actor, "person", None)  # a user without a person record has none
    data = export.collect(user=actor, person=person)
    audit.record(
        "personal_export",
        actor=actor,
        request=request,
        target=f"own_data:user:{actor.pk}",
        region=person.region if person else None,
        detail={"rows": export.row_count(data), "fields": ["all"], "via": via, "basis": "own_data"},
    )
    return data


def export_person_data(actor, person_id, *, reference: str, request=None, via: str = "page") -> dict:
    """A copy of everything the platform holds about a person, produced by staff at the person's written
    request (``reference``: the request's number or date, as filed).  Logged with the reference."""
    from gongzhi.org.models import Person

    person = Person.objects.select_related("region", "household", "user").filter(pk=person_id).first()
    if person is None or not permissions.allowed(actor, permissions.VIEW, person):
        raise NotFound("人员不存在或不在您的管辖范围内", field="person")
    permissions.require(actor, perms.EXPORT_PERSON, person)
    reference = (reference or "").strip()
    if not reference:
        raise DomainError("请填写本人书面申请的编号或日期", field="reference")
    if len(reference) > 100:
        raise DomainError("申请编号最多100个字符", field="reference")
    data = export.collect(user=person.user, person=person)
    by = actor.get_username() if getattr(actor, "is_authenticated", False) else "system"
    data["produced_for"] = {"reference": reference, "by": by}
    audit.record(
        "personal_export",
        actor=actor,
        request=request,
        target=f"person:{person.pk}",
        region=person,
        detail={
            "rows": export.row_count(data),
            "fields": ["all"],
            "via": via,
            "basis": "written_request",
            "reference": reference,
        },
    )
    return data


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False, default=str)
