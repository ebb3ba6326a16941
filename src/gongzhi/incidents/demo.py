"""Demo data for emergency mode: one past incident, stood down, with its after-action report.

Built from the other demos' records and through the services: a flood (暴雨内涝) declared three hours
ago for two grids of the first community of the first street; residents' requests from those grids
reach the desk through the ordinary intake (``cases.services.submit``) and are handled; the party
members and volunteers of the grids are notified, most check in, some get tasks; two needs go to the
common pool; then the incident is stood down. No incident is left active, so the demo's normal
routing is unchanged. Deterministic by seed.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import Region
from gongzhi.org.models import Grid

REQUESTS = [  # (category, description, minutes after declaration, resolved?)
    ("07002", "地下室进水，墙体出现裂缝，请派人查看", 8, True),
    ("03002", "小区停电，电梯停运，有老人被困在家", 15, True),
    ("02002", "路口井盖被水冲开，很危险", 22, True),
    ("07", "低洼处车辆被淹，需要帮助转移", 35, True),
    ("03001", "暴雨后自来水浑浊，无法饮用", 50, False),
    ("04001", "电梯进水停运，楼里有行动不便的老人", 70, True),
]


def generate(*, seed: int, scale: str, progress) -> dict[str, int]:
    with transaction.atomic():  # one commit: the outbox is dispatched once
        return _generate(seed=seed, scale=scale, progress=progress)


def _generate(*, seed: int, scale: str, progress) -> dict[str, int]:
    from gongzhi.cases import services as C
    from gongzhi.cases.models import State

    from . import routing
    from . import services as S
    from .models import Incident, Mobilisation

    street = Region.objects.filter(level=Region.Level.STREET).order_by("code").first()
    if street is None:
        return {}
    community = Region.objects.filter(parent=street).order_by("code").first()
    grids = list(Grid.objects.filter(region=community).order_by("code")[:2]) if community else []
    if not grids:
        return {}
    rng = random.Random(seed * 31 + 9)
    now = timezone.now().replace(microsecond=0)
    t0 = now - dt.timedelta(hours=3)
    inc = S.declare(
        SYSTEM,
        name=f"{street.name}暴雨内涝",
        kind="flood",
        severity=3,
        grids=[g.code for g in grids],
        description="短时强降雨，低洼小区积水，部分楼栋停电。",
        at=t0,
    )
    routed = 0
    try:
        for k, (cat, text, minutes, done) in enumerate(REQUESTS):
            g = grids[k % len(grids)]
            req, _ = C.submit(
                SYSTEM,
                description=text,
                channel="hotline",
                category=cat,
                grid=g.code,
                anonymous=True,
                at=t0 + dt.timedelta(minutes=minutes),
            )
            routed += req.routing.get("fallback") == "override"
            if done:
                C.start(SYSTEM, req)
                C.resolve(SYSTEM, req, resolution="应急队伍已到场处置完毕")
            elif req.state == State.DISPATCHED:
                C.start(SYSTEM, req)
        mobs = list(
            Mobilisation.objects.filter(incident=inc)
            .select_related("person", "region", "grid", "incident")
            .order_by("id")
        )
        need_a = S.raise_need(
            SYSTEM, inc, title="防汛沙袋", kind="material", quantity=200, at=t0 + dt.timedelta(minutes=20)
        )
        S.raise_need(
            SYSTEM,
            inc,
            title="抽排水人员",
            kind="person",
            quantity=4,
            skills=["抽水", "驾驶"],
            at=t0 + dt.timedelta(minutes=25),
        )
        checked = assigned = 0
        tasks = ["转移低洼处老人", "清理排水口", "值守积水路口", "协助装运沙袋", "入户排查险情"]
        for m in mobs:
            if rng.random() < 0.75:
                S.check_in(SYSTEM, m, at=t0 + dt.timedelta(minutes=rng.randint(6, 60)))
                checked += 1
                if rng.random() < 0.6:
                    task = rng.choice(tasks)
                    S.assign(
                        SYSTEM,
                        m,
                        task=task,
                        need=need_a if task == "协助装运沙袋" else None,
                        at=m.checked_in_at + dt.timedelta(minutes=rng.randint(2, 20)),
                    )
                    assigned += 1
        S.add_note(
            SYSTEM, inc, text="积水点已全部设置警示，低洼小区老人已转移到社区活动中心", at=t0 + dt.timedelta(minutes=90)
        )
        S.stand_down(SYSTEM, inc, note="降雨结束，积水已排除，恢复正常派单", at=now)
    finally:
        routing.clear()
    assert not Incident.objects.filter(status=Incident.Status.ACTIVE).exists()
    progress("应急", 1, 1)
    return {
        "incidents": 1,
        "incident_requests": routed,
        "incident_mobilised": len(mobs),
        "incident_checked_in": checked,
        "incident_assigned": assigned,
    }
