"""The security audit log (MLPS 2.0 level 3, issue 17): who logged in (or failed to), who changed
whose roles and permissions, who saw or exported personal data unmasked, what was done in the back
office.  Rows are :class:`~gongzhi.core.models.SecurityLog`, append-only.

* :func:`record` writes one row; the acting user and IP come from the argument, else from the
  request being served (:class:`AuditContextMiddleware` keeps it in a context variable).
* :func:`personal_view` / :func:`personal_export` are what pages, the API, the back office and
  exports call when they show personal data in clear.
* ``org.auditlog.connect`` (from ``OrgConfig.ready``) hooks Django's auth signals, ``StaffRole`` saves and
  deletions, user group/permission changes and the admin's ``LogEntry`` rows; :func:`connect` (from
  ``CoreConfig.ready``) installs the table's append-only guard after every migrate.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import ipaddress
import logging

from django.db import transaction
from django.utils import timezone

from . import actors

log = logging.getLogger("gongzhi.audit")

_request: contextvars.ContextVar = contextvars.ContextVar("gongzhi_audit_request", default=None)


class AuditContextMiddleware:
    """Makes the current request (its user and address) known to :func:`record`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def _ip(request) -> str | None:
    """The client's address as rate limits and lock-outs see it (behind a proxy, the header named by
    ``GONGZHI_CLIENT_IP_HEADER``)."""
    if request is None:
        return None
    try:
        from django.conf import settings
        from django.utils.module_loading import import_string

        # The one resolver of the client's address (security.ratelimit.client_ip), named in settings
        # rather than imported: core sits below security.
        client_ip = import_string(settings.AXES_CLIENT_IP_CALLABLE)
        raw = (client_ip(request) or "").strip()
    except ImportError:  # pragma: no cover
        raw = (request.META.get("REMOTE_ADDR") or "").strip()
    try:
        return str(ipaddress.ip_address(raw)) if raw else None
    except ValueError:
        return None


def _region(value):
    from .models import Region

    if value is None or isinstance(value, Region):
        return value
    region = getattr(value, "region", None)
    return region if isinstance(region, Region) else None


def current_actor(request=None):
    """Who acts in the request being served (``request``, else the one :class:`AuditContextMiddleware`
    keeps): its user; outside a request, :data:`~gongzhi.core.actors.SYSTEM`. For signal handlers,
    which are not told who acts."""
    request = request if request is not None else _request.get()
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None else actors.SYSTEM


def record(
    kind: str,
    *,
    actor,
    request=None,
    target: str = "",
    region=None,
    detail: dict | None = None,
    username: str | None = None,
):
    """Append one row.  ``actor`` is the user who acted (or :data:`~gongzhi.core.actors.SYSTEM`, or
    :func:`current_actor`); ``region`` may be a Region or an object with a ``region`` (the scope an
    auditor sees it in).  Never raises into the caller: a failure to log is logged loudly."""
    from .models import SecurityLog

    actors.check(actor)
    request = request if request is not None else _request.get()
    if not getattr(actor, "is_authenticated", False):
        actor = None
    try:
        with transaction.atomic():  # a savepoint: a failed row must not break the caller's transaction
            return SecurityLog.objects.create(
                at=timezone.now(),
                kind=kind,
                user_id=actor.pk if actor is not None else None,
                username=(actor.get_username() if actor is not None else (username or ""))[:150],
                region=_region(region),
                target=str(target)[:200],
                ip=_ip(request),
                detail=detail or {},
            )
    except Exception:  # the action itself must not fail because its audit row could not be written
        log.exception("could not write security audit log row %s %s", kind, target)
        return None


def personal_view(subject, fields, *, actor, request=None, via: str = "page", count: int | None = None):
    """Someone saw personal fields of ``subject`` (a model instance with a region) in clear."""
    target = f"{subject._meta.model_name}:{subject.pk}" if hasattr(subject, "_meta") else str(subject)
    detail = {"fields": sorted(set(fields)), "via": via}
    if count is not None:
        detail["count"] = count
    return record("personal_view", actor=actor, request=request, target=target, region=subject, detail=detail)


def personal_views(items, *, request=None, via: str = "page") -> int:
    """Several :func:`personal_view` rows in one statement: ``items`` = [(subject, fields)]."""
    from .models import SecurityLog

    items = [(subj, sorted(set(fields))) for subj, fields in items if fields]
    if not items:
        return 0
    request = request if request is not None else _request.get()
    user = getattr(request, "user", None) if request is not None else None
    actor = user if getattr(user, "is_authenticated", False) else None
    at, ip = timezone.now(), _ip(request)
    rows = [
        SecurityLog(
            at=at,
            kind="personal_view",
            user_id=actor.pk if actor else None,
            username=actor.get_username()[:150] if actor else "",
            region=_region(subj),
            target=f"{subj._meta.model_name}:{subj.pk}",
            ip=ip,
            detail={"fields": fields, "via": via},
        )
        for subj, fields in items
    ]
    try:
        with transaction.atomic():
            SecurityLog.objects.bulk_create(rows)
    except Exception:
        log.exception("could not write %d security audit log rows", len(rows))
        return 0
    return len(rows)


def personal_export(what: str, *, actor, region=None, request=None, rows: int | None = None, fields=()):
    """An export left the platform with personal data in clear."""
    return record(
        "personal_export",
        actor=actor,
        request=request,
        target=what,
        region=region,
        detail={"rows": rows, "fields": sorted(set(fields))},
    )


def connect() -> None:
    """The log table's database guard after every migrate (from ``CoreConfig.ready``). The signals that
    write rows (log-ins, role and permission changes, admin actions) are hooked by
    ``org.auditlog.connect`` (``OrgConfig.ready``): they read org's roles, and core sits below org."""
    from django.apps import apps
    from django.db.models.signals import post_migrate

    post_migrate.connect(install_guard, sender=apps.get_app_config("core"), dispatch_uid="gongzhi.audit.guard")


# Append-only in the database too (installed after every migrate, idempotently): no UPDATE ever; on
# PostgreSQL no DELETE of a row younger than 180 days (the legal minimum; TRUNCATE, which test
# flushes use, fires no row triggers).  SQLite gets the UPDATE guard only: its flush deletes rows.
_PG_GUARD = [
    """CREATE OR REPLACE FUNCTION core_securitylog_guard() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            RAISE EXCEPTION 'the security audit log is append-only';
        END IF;
        IF OLD.at > now() - interval '180 days' THEN
            RAISE EXCEPTION 'security audit log rows are kept at least 180 days';
        END IF;
        RETURN OLD;
    END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS core_securitylog_guard ON core_securitylog",
    "CREATE TRIGGER core_securitylog_guard BEFORE UPDATE OR DELETE ON core_securitylog "
    "FOR EACH ROW EXECUTE FUNCTION core_securitylog_guard()",
]
_SQLITE_GUARD = [
    "CREATE TRIGGER IF NOT EXISTS core_securitylog_no_update BEFORE UPDATE ON core_securitylog "
    "BEGIN SELECT RAISE(ABORT, 'the security audit log is append-only'); END",
]


def install_guard(sender=None, using="default", **kwargs) -> None:
    """``post_migrate``: the database-level guard of the log table (once it exists)."""
    from django.db import connections

    from .models import SecurityLog

    conn = connections[using]
    if SecurityLog._meta.db_table not in conn.introspection.table_names():
        return
    statements = {"postgresql": _PG_GUARD, "sqlite": _SQLITE_GUARD}.get(conn.vendor, [])
    with conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)


def prune(actor, *, now=None) -> int:
    """Delete rows older than the retention period (at least 180 days); logs the pruning itself."""
    from django.conf import settings

    from .models import SecurityLog

    days = max(int(getattr(settings, "GONGZHI_SECURITY_LOG_RETENTION_DAYS", 180)), 180)
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    n = SecurityLog.objects.prune(cutoff)
    record("log_pruned", actor=actor, detail={"deleted": n, "before": cutoff.isoformat(), "retention_days": days})
    return n
