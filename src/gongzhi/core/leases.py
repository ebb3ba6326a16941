"""Cluster-wide leases: one holder at a time, taken over when the holder stops renewing.

A lease is a row (``core.Lease``) changed by single conditional statements, so it works the same on
SQLite and PostgreSQL, through PgBouncer's transaction pooling (no session-level advisory lock that a
pooled connection would lose) and across a failover (the row is replicated like any other).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Lease


def acquire(name: str, holder: str, ttl: dt.timedelta, now: dt.datetime | None = None) -> bool:
    """Take or renew lease ``name`` for ``holder`` until ``now + ttl``; False while another holds it."""
    now = now or timezone.now()
    until = now + ttl
    # Renew ours, else take one that has expired: each a single UPDATE, atomic on both engines.
    if Lease.objects.filter(name=name, holder=holder).update(expires_at=until):
        return True
    if Lease.objects.filter(name=name, expires_at__lt=now).update(holder=holder, acquired_at=now, expires_at=until):
        return True
    if Lease.objects.filter(name=name).exists():
        return False
    try:
        with transaction.atomic():
            Lease.objects.create(name=name, holder=holder, acquired_at=now, expires_at=until)
        return True
    except IntegrityError:
        return False  # another process created it first


def release(name: str, holder: str) -> None:
    """Give lease ``name`` up at once (a clean shutdown), so a standby takes over without waiting."""
    Lease.objects.filter(name=name, holder=holder).delete()


def holder(name: str, now: dt.datetime | None = None) -> Lease | None:
    """The current, unexpired lease ``name``, or None."""
    now = now or timezone.now()
    return Lease.objects.filter(name=name, expires_at__gte=now).first()
