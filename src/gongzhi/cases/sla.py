"""SLA due times on a working-day calendar.

Emergency (2 h) and utilities (24 h) run on the clock. General (7 days) and
complex (15 days) count working days: Monday to Friday, minus the holidays and
plus the make-up working days listed in :class:`CalendarDay`. The due time is
the same clock time on the Nth working day after the start day (a start on a
non-working day counts from the next working day's start of business, 09:00).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from gongzhi.org.kinds import SlaClass

from .models import CalendarDay

CLOCK_HOURS = {SlaClass.EMERGENCY: 2, SlaClass.UTILITIES: 24}
WORKING_DAYS = {SlaClass.GENERAL: 7, SlaClass.COMPLEX: 15}
BUSINESS_START = dt.time(9, 0)
# A request is "due soon" when less than this share of its window is left.
DUE_SOON_SHARE = 0.2


def _exceptions(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    return dict(CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "workday"))


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
