"""Retention periods of personal data, per kind of record: the one place they are defined.

Each :class:`Kind` says what in the record is personal, the clock its period runs from, the
default period in days and what happens when it has passed:

* ``anonymise``: the record stays, because figures are computed from it; its personal fields and
  free text are blanked or replaced by :data:`MARKER`, its files deleted, the private salts of its
  public-record commitments forgotten (a commitment without its salt can no longer be tied to a
  person, not even by guessing a phone number), and its outbox events scrubbed the same way;
* ``delete``: the rows go;
* ``keep``: listed so that the register is complete, not purged by time (the reason is given).

Periods can be changed without code: ``settings.GONGZHI_RETENTION_DAYS`` (a dict ``{kind: days}``)
or the environment variable ``GONGZHI_RETENTION_DAYS`` (``"cases.request=1095,core.idempotency=30"``).
A period can be lengthened freely; a kind whose record is kept for a legal minimum (the security
audit log, ≥ 180 days) is not purged here at all.  ``gongzhi privacy purge`` applies the periods
(:func:`gongzhi.privacy.services.purge`); ``docs/security.md`` lists them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from gongzhi.core.redaction import ANONYMISED

#: What replaces personal free text in an anonymised record.  Fixed, so that the purge can tell an
#: anonymised record from one it has yet to do, and other modules (the category classifier) can skip it.
MARKER = ANONYMISED  # gongzhi.core.redaction: read below privacy too (cases.classify)

ANONYMISE, DELETE, KEEP = "anonymise", "delete", "keep"


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # Chinese, as shown to operators
    personal: str  # what in the record is personal
    clock: str  # the moment the period runs from
    days: int | None  # default period; None for ``keep``
    action: str
    note: str = ""
    models: tuple[str, ...] = ()  # the models (app_label.Model) whose personal fields this kind covers


KINDS: tuple[Kind, ...] = (
    Kind(
        "cases.request",
        "诉求及其联系人信息",
        "reporter name, phone, ID number and account link; description, address, resolution; reasons of its "
        "transitions, whistles, summonses and follow-ups; bypass summary; attachments (files); exact coordinates",
        "the request's last change (updated_at) once it is no longer open (resolved, confirmed, closed, merged, "
        "not ours, cancelled)",
        3 * 365,
        ANONYMISE,
        "number, channel, category, region, grid, unit, states, times, SLA, rating and every transition row stay, "
        "so every figure stays the same; coordinates are rounded to 3 decimals (about 100 m)",
        (
            "cases.ServiceRequest",
            "cases.Transition",
            "cases.Attachment",
            "cases.FollowUp",
            "cases.Whistle",
            "cases.Summons",
            "cases.Bypass",
            "core.Event",
        ),
    ),
    Kind(
        "cases.mediation",
        "调解案件当事人信息",
        "parties' names and phones, the dispute title, the agreement text, session notes and places",
        "the case's closing time (closed_at)",
        5 * 365,
        ANONYMISE,
        "region, mediators, outcome and dates stay (mediation figures)",
        ("cases.MediationCase", "cases.MediationParty", "cases.MediationSession"),
    ),
    Kind(
        "core.idempotency",
        "幂等键保存的应答",
        "a stored API answer may carry a reporter's details",
        "the key's creation (created_at)",
        30,
        DELETE,
        "a retry this late is a new request",
        ("core.IdempotencyKey",),
    ),
    Kind(
        "incidents.notification",
        "应急通知",
        "an in-app message to one person (title, body, read time)",
        "the notification's creation (created_at)",
        365,
        DELETE,
        "",
        ("incidents.Notification",),
    ),
    Kind(
        "notify.message",
        "通知消息（短信、邮件、微信）",
        "the recipient's phone, e-mail address or WeChat OpenID, and the message's parameters (names, numbers)",
        "the message's creation (created_at)",
        365,
        DELETE,
        "the burden meter's items for messages that asked a worker to act are separate rows and stay",
        ("notify.Message",),
    ),
    Kind(
        "opendata.import_run",
        "表格导入记录",
        "the spreadsheet's file name and the values quoted in the reasons rows were refused",
        "the import (created_at)",
        365,
        DELETE,
        "the records an import created are ordinary records with their own periods",
        ("opendata.ImportRun",),
    ),
    Kind(
        "consult.statement_author",
        "协商观点的作者关联",
        "who wrote a statement",
        "the end of the topic's last phase",
        3 * 365,
        ANONYMISE,
        "the statement text and every vote stay (they are the published consultation); only the author link goes",
        ("consult.Statement",),
    ),
    Kind(
        "security.login_records",
        "登录尝试记录（django-axes）",
        "user names, addresses and browsers of log-in attempts",
        "the attempt (attempt_time)",
        180,
        DELETE,
        "the security audit log keeps its own log-in rows for its own period",
        ("axes.AccessLog", "axes.AccessFailureLog"),
    ),
    Kind(
        "core.security_log",
        "安全审计日志",
        "who did what, from which address",
        "the row's time",
        None,
        KEEP,
        "kept GONGZHI_SECURITY_LOG_RETENTION_DAYS (at least 180 days, the legal minimum) and pruned by its own job "
        "(`gongzhi auditlog prune`, daily), never by this purge",
        ("core.SecurityLog",),
    ),
    Kind(
        "org.person",
        "人员、户籍与成员关系",
        "name, gender, birth date, ID number, phone, household address",
        "—",
        None,
        KEEP,
        "kept while the person is registered in the community; removed by the community when they leave, not by time",
        ("org.Person", "org.Household", "org.Membership", "org.GridAssignment", "org.HouseholdLink"),
    ),
    Kind(
        "volunteers.volunteer",
        "志愿者登记、服务记录与积分",
        "the volunteer's person, skills, certificates, service records and points",
        "—",
        None,
        KEEP,
        "the points ledger must balance (gongzhi points-verify); kept while the volunteer is registered",
        ("volunteers.Volunteer", "volunteers.Certificate", "volunteers.ServiceRecord"),
    ),
    Kind(
        "ledger.leaf",
        "公开记录条目",
        "nothing in clear: personal fields and free text only as salted commitments",
        "—",
        None,
        KEEP,
        "append-only by design; the private salts of an anonymised record's entries are deleted with it",
        ("ledger.Leaf",),
    ),
)

BY_NAME = {k.name: k for k in KINDS}
PURGEABLE = tuple(k.name for k in KINDS if k.action != KEEP)


def _parse(text: str) -> dict[str, int]:
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, days = part.partition("=")
        if not sep:
            raise ImproperlyConfigured(f"GONGZHI_RETENTION_DAYS: {part!r} is not kind=days")
        try:
            out[name.strip()] = int(days)
        except ValueError:
            raise ImproperlyConfigured(
                f"GONGZHI_RETENTION_DAYS: {days.strip()!r} is not a whole number of days"
            ) from None
    return out


def overrides() -> dict[str, int]:
    """The configured periods (settings first, else the environment), checked."""
    raw = getattr(settings, "GONGZHI_RETENTION_DAYS", None)
    table = dict(raw) if raw is not None else _parse(os.environ.get("GONGZHI_RETENTION_DAYS", ""))
    for name, days in table.items():
        kind = BY_NAME.get(name)
        if kind is None or kind.action == KEEP:
            raise ImproperlyConfigured(
                f"GONGZHI_RETENTION_DAYS: {name!r} is not a kind with a retention period "
                f"(one of {', '.join(PURGEABLE)})"
            )
        if not isinstance(days, int) or days < 1:
            raise ImproperlyConfigured(f"GONGZHI_RETENTION_DAYS: {name} must be at least 1 day, got {days!r}")
    return table


def period(name: str) -> int:
    """Days records of kind ``name`` are kept after their clock starts."""
    kind = BY_NAME[name]
    if kind.action == KEEP:
        raise ValueError(f"{name} is kept, not purged by time")
    return overrides().get(name, kind.days)


def table() -> list[dict]:
    """The register as data (for the docs, the command's listing and the page)."""
    over = overrides()
    return [
        {
            "kind": k.name,
            "label": k.label,
            "personal": k.personal,
            "clock": k.clock,
            "action": k.action,
            "days": over.get(k.name, k.days),
            "note": k.note,
        }
        for k in KINDS
    ]
