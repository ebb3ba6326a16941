"""The command centres' part of ``gongzhi demo``: the rollups of the demo year, built from the
requests the cases demo wrote in bulk (no events were emitted for those); the five "885" mechanisms of
the district, their sessions of the last periods in the first two streets held with their outcomes, and
the current periods' sessions due (考核激励 among them: its page reads the assessment run the assessment
demo makes after this step)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import Region

from . import rollups

OUTCOMES = {
    "scheduling": (
        "通报本周八张问题清单，按四个板块调度：民生服务板块超期诉求限期清零，平安法治板块矛盾纠纷逐件包案。",
        ["超期未办结诉求本周内清零", "不满意诉求逐件回访"],
    ),
    "ranking": ("晾晒结果当场公布：问题最少的社区介绍经验，末位社区作表态发言。", ["排名在公示栏和平台公开"]),
    "racing": ("各社区(村)述职，按报表指标赛马排名，先进社区经验在全街道推广。", ["按时办结率末位社区制定提升方案"]),
    "supervision": (
        "逐项督查问题清单中的逾期事项，已整改的销号，未整改的挂牌再督办。",
        ["逾期未备案的紧急处置三日内补备案"],
    ),
    "evaluation": ("通报季度考核结果，前列兑现激励，末位约谈提醒。", ["末位社区书记约谈"]),
}


def _hold_past(session: Any, units: list[Any]) -> None:
    from . import services

    text, decisions = OUTCOMES[session.mechanism.kind]
    records = set(session.mechanism.records)
    followups = []
    if "followups" in records:
        followups = [
            {
                "title": "超期诉求整改清零",
                "unit": units[0].pk if units else "",
                "due_on": (session.scheduled_on + dt.timedelta(days=7)).isoformat(),
            }
        ]
    statements = []
    if "statements" in records:
        statements = [{"unit": u.pk, "text": "本期诉求办理和问题整改情况述职"} for u in units[:3]]
    services.hold_session(
        SYSTEM,
        session,
        outcome=text,
        held_on=min(session.scheduled_on + dt.timedelta(days=1), timezone.localdate()),
        present=[u.pk for u in units],
        decisions=decisions,
        statements=statements,
        followups=followups,
    )


def mechanisms_demo(progress: Callable[..., Any]) -> dict[str, int]:
    from . import mechanisms, services
    from .models import FollowUp, MechanismSession

    district = Region.objects.filter(level="district").order_by("code").first()
    if district is None:
        return {}
    services.seed_mechanisms(SYSTEM, district)
    today = timezone.localdate()
    streets = list(Region.objects.filter(path__startswith=district.path, level="street").order_by("code")[:2])
    earlier = services.schedule_due(SYSTEM, today - dt.timedelta(days=100))
    past = [s for s in earlier if s.region in streets and s.mechanism.kind != "evaluation"]
    for i, s in enumerate(past):
        progress("五项机制", i, len(past))
        _hold_past(s, list(mechanisms.participants(s.mechanism, s.region)))
    services.schedule_due(SYSTEM, today)
    # the supervision session due now in the first street reads the follow-ups still open; close one of them
    fu = FollowUp.objects.filter(region=streets[0], closed_on__isnull=True).order_by("pk").first() if streets else None
    if fu is not None:
        services.close_followup(SYSTEM, fu, note="已整改销号")
    progress("五项机制", len(past), len(past))
    return {
        "command_mechanism_sessions_held": MechanismSession.objects.filter(status="held").count(),
        "command_mechanism_sessions_due": MechanismSession.objects.filter(status="due").count(),
    }


def generate(*, seed: int, scale: str, progress: Callable[..., Any]) -> dict[str, int]:
    progress("rollups", 0, 1)
    counts = rollups.rebuild(None)
    progress("rollups", 1, 1)
    return {
        "command_facts": counts["facts"],
        "command_daily_rollups": counts["daily"],
        "command_grid_states": counts["grids"],
        **mechanisms_demo(progress),
    }
