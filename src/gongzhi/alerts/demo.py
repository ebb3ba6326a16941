"""The demo's early warning: one backfill scan over the demo year of requests (made by the
cases demo), as if the daily scan had run every morning. Alerts get the time the daily scan
would have raised them (06:00 the morning after their last anomalous day); those older than
``HISTORY_DAYS`` are resolved by the system as history, the recent ones (and the newest of each
kind) stay open."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from gongzhi.cases.models import ServiceRequest
from gongzhi.core.actors import SYSTEM

from . import services
from .models import Alert

HISTORY_DAYS = 30


def generate(*, seed: int, scale: str, progress: Callable[..., Any]) -> dict[str, int]:
    first = ServiceRequest.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        return {}
    now = timezone.now()
    days = min(400, (timezone.localdate() - timezone.localtime(first).date()).days - 7 * services.WEEKS)
    if days < 1:
        return {}
    progress("预警：回溯扫描", 0, 1)
    with transaction.atomic():
        result = services.scan(SYSTEM, None, now, days=days)
        alerts = list(Alert.objects.filter(pk__in=[a.pk for a in result.raised]))
        for a in alerts:
            a.created_at = min(
                now, timezone.make_aware(dt.datetime.combine(a.window_end + dt.timedelta(days=1), dt.time(6, 0)))
            )
            a.updated_at = a.created_at
        Alert.objects.bulk_update(alerts, ["created_at", "updated_at"])
        # The newest alert of each kind stays open whatever its age, so that the desk has work to show on
        # any day the demo is built (the demo year's last anomaly may lie more than HISTORY_DAYS back).
        newest = {}
        for a in sorted(alerts, key=lambda a: a.created_at):
            newest[a.kind] = a.pk
        old = [
            a for a in alerts if a.created_at < now - dt.timedelta(days=HISTORY_DAYS) and a.pk not in newest.values()
        ]
        for a in old:
            services.resolve(SYSTEM, a, note="演示数据：历史预警，已处置")
    progress("预警：回溯扫描", 1, 1)
    return {"alerts": len(alerts), "alerts_open": len(alerts) - len(old), **_agenda(progress)}


def _agenda(progress: Callable[..., Any]) -> dict[str, int]:
    """Agenda proposals (seed 003): last month's and this month's scan over the demo requests (their
    texts repeat per category, so every community has recurring matters); of last month's, one
    consultation topic is accepted (drafting the topic) and one proposal dismissed, so that the page
    shows each kind of decision."""
    from . import agenda_services
    from .models import AgendaProposal

    progress("议题建议：扫描诉求", 0, 1)
    this = timezone.localdate().replace(day=1)
    last = (this - dt.timedelta(days=1)).replace(day=1)
    made = 0
    for day in (last, this):
        with transaction.atomic():
            made += len(agenda_services.scan(SYSTEM, None, f"{day:%Y-%m}").proposed)
    earlier = AgendaProposal.objects.filter(period=f"{last:%Y-%m}").order_by("-request_count", "id")
    topic = earlier.filter(kind=AgendaProposal.Kind.TOPIC).first()
    if topic is not None:
        agenda_services.accept(SYSTEM, topic, note="演示数据：提交下月居民议事会")
    other = (earlier.exclude(pk=topic.pk) if topic is not None else earlier).first()  # exclude(pk=None) kept all
    if other is not None:
        agenda_services.dismiss(SYSTEM, other, reason="演示数据：已列入街道年度整治计划，不再单列")
    progress("议题建议：扫描诉求", 1, 1)
    return {"agenda_proposals": made}
