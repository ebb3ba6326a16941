"""SLA due times on a working-day calendar.

Emergency (2 h) and utilities (24 h) run on the clock. General (7 days) and
complex (15 days) count working days: Monday to Friday, minus the holidays and
plus the make-up working days listed in :class:`CalendarDay`. The due time is
the same clock time on the Nth working day after the start day (a start on a
non-working day counts from the next working day's start of business, 09:00).
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from gongzhi.org.kinds import SlaClass

from .models import CalendarDay

CLOCK_HOURS = {SlaClass.EMERGENCY: 2, SlaClass.UTILITIES: 24}
WORKING_DAYS = {SlaClass.GENERAL: 7, SlaClass.COMPLEX: 15}
BUSINESS_START = dt.time(9, 0)
# A request is "due soon" when less than this share of its window is left.
DUE_SOON_SHARE = 0.2


# The calendar's exceptions (a few dozen rows a year) are held per process, reloaded after this many
# seconds (other processes' edits) and dropped at once when a CalendarDay is saved or deleted here.
CALENDAR_RELOAD_SECONDS = 30.0
_cal_lock = threading.Lock()
_calendar: tuple[float, dict[dt.date, bool]] | None = None


def _all_exceptions() -> dict[dt.date, bool]:
    global _calendar
    now = time.monotonic()
    cal = _calendar
    if cal is not None and now - cal[0] < CALENDAR_RELOAD_SECONDS:
        return cal[1]
    days = dict(CalendarDay.objects.values_list("date", "workday"))
    with _cal_lock:
        _calendar = (now, days)
    return days


def clear_calendar(*_args, **_kwargs) -> None:
    global _calendar
    with _cal_lock:
        _calendar = None
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_drop_calendar)


def _drop_calendar() -> None:
    global _calendar
    with _cal_lock:
        _calendar = None


def connect_signals() -> None:
    post_save.connect(clear_calendar, sender=CalendarDay, dispatch_uid="cases_calendar_save")
    post_delete.connect(clear_calendar, sender=CalendarDay, dispatch_uid="cases_calendar_delete")


def _exceptions(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    return {d: w for d, w in _all_exceptions().items() if start <= d <= end}


def is_workday(day: dt.date, exceptions: dict[dt.date, bool] | None = None) -> bool:
    if exceptions is None:
        exceptions = _exceptions(day, day)
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    local = timezone.localtime(start)
    exc = _exceptions(local.date(), local.date() + dt.timedelta(days=days * 3 + 40))
    day = local.date()
    clock = local.timetz().replace(tzinfo=None)
    if not is_workday(day, exc):
        clock = BUSINESS_START
        while not is_workday(day, exc):
            day += dt.timedelta(days=1)
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_workday(day, exc):
            left -= 1
    return timezone.make_aware(dt.datetime.combine(day, clock), timezone.get_current_timezone())


def due_at(sla: str, start: dt.datetime) -> dt.datetime:
    if sla in CLOCK_HOURS:
        return start + dt.timedelta(hours=CLOCK_HOURS[sla])
    return add_working_days(start, WORKING_DAYS.get(sla, 7))


def flags(req, now: dt.datetime | None = None) -> dict[str, bool]:
    """``overdue`` and ``due_soon`` for an open request."""
    from .models import OPEN_STATES

    now = now or timezone.now()
    if req.state not in OPEN_STATES or req.due_at is None:
        return {"overdue": False, "due_soon": False}
    if now > req.due_at:
        return {"overdue": True, "due_soon": False}
    window = (req.due_at - (req.sla_started_at or req.created_at)).total_seconds()
    return {"overdue": False, "due_soon": (req.due_at - now).total_seconds() < DUE_SOON_SHARE * window}
