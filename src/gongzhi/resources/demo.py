"""Demo data for the common pool: resources offered by the district's units and needs
of every priority class, matched by the min-cost flow, with part of the loop walked
(owners' answers, dispatches, deliveries).  Deterministic by seed."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.org import geo
from gongzhi.org.models import Grid, Unit

from . import services as S
from .models import Assignment, Kind, PoolNeed, PoolResource, Priority, Source

SIZES = {"tiny": (24, 30), "district": (240, 300), "city": (800, 1000)}

RESOURCES = {
    Kind.PERSON: [
        ("法律咨询志愿服务", "次", {"law": 2}, ["legal aid"]),
        ("家电维修服务", "次", {}, ["repair"]),
        ("心理疏导服务", "次", {"psychology": 2}, ["counselling"]),
        ("助老陪护", "次", {}, ["elder care"]),
    ],
    Kind.FUNDS: [("社区微基金", "元", {}, [])],
    Kind.MATERIAL: [("应急物资(矿泉水)", "箱", {}, []), ("防汛沙袋", "袋", {}, []), ("爱心米面油", "份", {}, [])],
    Kind.VENUE: [("党群服务中心活动室", "时段", {}, []), ("学校操场", "时段", {}, [])],
    Kind.VEHICLE: [("应急车辆", "趟", {}, []), ("爱心送餐车", "趟", {}, [])],
    Kind.INFORMATION: [("就业岗位信息", "条", {}, [])],
}
NEEDS = {
    Kind.PERSON: [
        ("独居老人法律援助", {"law": 2}, ["legal aid"]),
        ("楼道灯维修", {}, ["repair"]),
        ("失独家庭心理支持", {"psychology": 2}, ["counselling"]),
        ("高龄老人陪诊", {}, ["elder care"]),
    ],
    Kind.FUNDS: [("困难家庭临时救助", {}, [])],
    Kind.MATERIAL: [("暴雨转移群众饮水", {}, []), ("低洼院落防汛", {}, []), ("困难户节日慰问", {}, [])],
    Kind.VENUE: [("议事协商会场地", {}, []), ("暑期托管场地", {}, [])],
    Kind.VEHICLE: [("行动不便老人转运", {}, []), ("助餐配送", {}, [])],
    Kind.INFORMATION: [("失业人员就业对接", {}, [])],
}
OWNER_KINDS = [
    "government",
    "residents_committee",
    "villagers_committee",
    "enterprise_state",
    "enterprise_private",
    "social_org",
    "school",
    "hospital",
    "property_company",
    "department",
]


def _point(g: Grid, rng: random.Random) -> tuple[float, float]:
    """A point inside the grid near its centroid (so markers of one grid do not all overlap)."""
    from shapely.geometry import Point

    geom = geo.parse_polygon(g.geometry)
    for _ in range(5):
        lon = g.centroid_lon + rng.uniform(-0.3, 0.3) * (g.max_lon - g.min_lon) / 2
        lat = g.centroid_lat + rng.uniform(-0.3, 0.3) * (g.max_lat - g.min_lat) / 2
        if geom.contains(Point(lon, lat)):
            return lon, lat
    return g.centroid_lon, g.centroid_lat


def generate(*, seed: int, scale: str, progress) -> dict[str, int]:
    rng = random.Random(seed * 7 + 11)
    n_res, n_need = SIZES.get(scale, SIZES["district"])
    grids = list(Grid.objects.select_related("region").order_by("code"))
    if not grids:
        return {}
    owners = list(Unit.objects.filter(kind__in=OWNER_KINDS).select_related("region").order_by("code"))
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    kinds = list(RESOURCES)
    weights = [4, 1, 3, 1, 1, 1]
    by_region: dict[int, list[Grid]] = {}
    for g in grids:
        by_region.setdefault(g.region_id, []).append(g)
    resources = []
    for i in range(n_res):
        owner = rng.choice(owners)
        local = [g for rid, gs in by_region.items() for g in gs if g.region.path.startswith(owner.region.path)]
        g = rng.choice(local or grids)
        kind = rng.choices(kinds, weights)[0]
        name, label, certs, skills = rng.choice(RESOURCES[kind])
        start = now - dt.timedelta(days=rng.randint(0, 5))
        lon, lat = _point(g, rng)
        resources.append(
            PoolResource(
                name=name,
                owner=owner,
                kind=kind,
                quantity=rng.randint(2, 12) * (100 if kind == Kind.FUNDS else 1),
                unit_label=label,
                skills=skills,
                certificates=certs,
                available_from=start,
                available_until=start + dt.timedelta(days=rng.randint(20, 60)),
                lon=lon,
                lat=lat,
                grid=g,
                region=g.region,
                share_with_paired=g.region.kind == "urban" and rng.random() < 0.35,
                use_cost=rng.choice([0, 0, 0, 5, 20]),
                conditions=rng.choice(["", "", "需提前一天预约", "仅限工作日"]),
            )
        )
        progress("公共池资源", i + 1, n_res)
    needs = []
    for i in range(n_need):
        g = rng.choice(grids)
        kind = rng.choices(kinds, weights)[0]
        title, certs, skills = rng.choice(NEEDS[kind])
        prio = rng.choices([Priority.EMERGENCY, Priority.BASIC, Priority.DEVELOPMENT], [2, 4, 4])[0]
        start = now + dt.timedelta(hours=rng.randint(0, 72))
        lon, lat = _point(g, rng)
        needs.append(
            PoolNeed(
                title=title,
                kind=kind,
                quantity=rng.randint(1, 5) * (100 if kind == Kind.FUNDS else 1),
                priority=prio,
                source=Source.EMERGENCY if prio == Priority.EMERGENCY else rng.choice([Source.DIRECT, Source.ALLIANCE]),
                skills=skills,
                certificates=certs,
                window_start=start,
                window_end=start + dt.timedelta(days=7),
                lon=lon,
                lat=lat,
                grid=g,
                region=g.region,
            )
        )
        progress("公共池需求", i + 1, n_need)
    with transaction.atomic():
        PoolResource.objects.bulk_create(resources, batch_size=2000)
        PoolNeed.objects.bulk_create(needs, batch_size=2000)
    district = grids[0].region.ancestor_at("district")
    with transaction.atomic():  # one commit: the outbox is dispatched once, not per event
        return _match_and_walk(district, len(resources), len(needs), progress)


def _match_and_walk(district, n_res: int, n_need: int, progress) -> dict[str, int]:
    run = S.run_matching(SYSTEM, region=district)
    # walk part of the loop: a third answered, some sent, some delivered, one declined
    rows = list(Assignment.objects.filter(status="proposed").order_by("id"))
    walked = rows[: min(len(rows) // 3, 45)]
    for k, a in enumerate(walked):
        a = Assignment.objects.get(pk=a.pk)  # a decline's repair may have changed it
        if a.status != "proposed":
            continue
        if k % 7 == 6:
            S.respond(SYSTEM, a, accept=False, reason="该时段设备另有安排")
            continue
        S.respond(SYSTEM, a, accept=True)
        if k % 3 >= 1:
            S.dispatch(SYSTEM, a)
        if k % 3 == 2:
            S.confirm_delivery(SYSTEM, a, received=a.quantity if k % 2 else max(0, a.quantity - 1))
        progress("公共池闭环", k + 1, len(walked))
    return {
        "pool_resources": n_res,
        "pool_needs": n_need,
        "pool_assignments": Assignment.objects.count(),
        "pool_served": run.served,
    }
