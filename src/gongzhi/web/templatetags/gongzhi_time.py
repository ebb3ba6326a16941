"""One way to show a time on every page: in the district's zone (``settings.TIME_ZONE``, Asia/Shanghai in
the demo) as ``2026-12-07 14:05`` (issue 19 item 7).

``{% load gongzhi_time %}`` then ``{{ value|when }}`` for a datetime, or for ISO 8601 text as the API and
the request dicts carry it (``2026-12-06T20:27:00+00:00``); ``{{ value|when_iso }}`` gives the ISO 8601
form with its offset in the same zone (for ``<time datetime=…>``). A date is shown as ``2026-12-07``;
anything else (empty, unparsable) as itself, so a template never fails on a time.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime

register = template.Library()

#: The one display format (strftime) of a moment, and of a day.
FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"


def local(value: object) -> dt.datetime | dt.date | None:
    """``value`` (a datetime, a date or ISO 8601 text) as an aware datetime in the current zone, or a date."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if len(text) == 10:  # a day (parse_datetime would read it as its midnight)
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                return None
        try:
            parsed = parse_datetime(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            parsed = None
        if parsed is None:
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                return None
        value = parsed
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):  # a naive time is the district's wall time
            value = timezone.make_aware(value, timezone.get_default_timezone())
        return timezone.localtime(value)
    if isinstance(value, dt.date):
        return value
    return None


@register.filter
def when(value: object, fmt: str = "") -> str:
    """The moment in the district's zone as ``YYYY-MM-DD HH:MM`` (a date as ``YYYY-MM-DD``)."""
    moment = local(value)
    if moment is None:
        return "" if value is None else str(value)
    if isinstance(moment, dt.datetime):
        return moment.strftime(fmt or FORMAT)
    return moment.strftime(DATE_FORMAT)


@register.filter
def when_iso(value: object) -> str:
    """ISO 8601 with the offset, in the district's zone (``2026-12-07T04:27:00+08:00``)."""
    moment = local(value)
    if moment is None:
        return ""
    if isinstance(moment, dt.datetime):
        return moment.isoformat(timespec="seconds")
    return moment.isoformat()
