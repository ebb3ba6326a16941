"""Demo data for volunteers: a time bank per street (通存通兑 except one), versioned points
rules, task types with certificate requirements, volunteers with certificates, confirmed
service records (points by balanced entries), a catalogue and some redemptions.
The demo user "grid" is a volunteer too.  Deterministic by seed."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import Region
from gongzhi.org.models import Person, Unit
from gongzhi.resources.models import PoolResource

from . import services as V
from .models import TaskType

SIZES = {"tiny": 12, "district": 60, "city": 150}
TASKS = [
    ("general", "社区公益服务", "", 0),
    ("legal", "法律咨询", "law", 2),
    ("medical", "义诊", "medicine", 1),
    ("counselling", "心理疏导", "psychology", 2),
    ("social", "个案社工服务", "social_work", 1),
    ("elder", "助老陪护", "", 0),
]
SKILLS = ["急救", "陪护", "维修", "法律咨询", "心理疏导", "助餐", "文艺", "电脑", "驾驶", "外语"]
ITEMS = [
    ("理发服务", 20, "社区爱心理发"),
    ("家政服务1小时", 60, "合作家政企业提供"),
    ("体检套餐", 200, "社区卫生服务中心"),
    ("米面油礼包", 80, "共建企业捐赠"),
    ("公园年票", 150, "区文旅局支持"),
]


def generate(*, seed: int, scale: str, progress) -> dict[str, int]:
    with transaction.atomic():  # one commit: the outbox is dispatched once, not per event
        return _generate(seed=seed, scale=scale, progress=progress)


def _generate(*, seed: int, scale: str, progress) -> dict[str, int]:
    rng = random.Random(seed * 13 + 5)
    today = timezone.localdate()
    streets = list(Region.objects.filter(level="street").order_by("code"))
    if not streets:
        return {}
    types = {}
    for code, name, field, level in TASKS:
        types[code], _ = TaskType.objects.get_or_create(
            code=code, defaults={"name": name, "required_field": field, "required_level": level}
        )
    banks = []
    for i, st in enumerate(streets):
        gov = Unit.objects.filter(code=f"{st.code}-GOV").first()
        bank = V.create_bank(
            SYSTEM,
            code=f"TB-{st.code}",
            name=f"{st.name}时间银行",
            region=st,
            operator=gov,
            accepts_transfers_in=i != len(streets) - 1 or len(streets) < 3,
            allows_transfers_out=True,
        )
        V.publish_rule(
            SYSTEM,
            bank,
            effective_from=today - dt.timedelta(days=720),
            points_per_hour=10,
            daily_cap=80,
            yearly_cap=3000,
            task_bonus={"legal": 10, "medical": 10},
        )
        V.publish_rule(
            SYSTEM,
            bank,
            effective_from=today - dt.timedelta(days=60),
            points_per_hour=12,
            daily_cap=100,
            yearly_cap=3000,
            task_bonus={"legal": 15, "medical": 15, "counselling": 10},
        )
        for k, (name, pts, desc) in enumerate(ITEMS):
            V.add_item(
                SYSTEM,
                bank,
                code=f"{bank.code}-{k + 1}",
                name=name,
                points=pts,
                stock=rng.randint(0, 3) if k == 4 else rng.randint(3, 20),
                description=desc,
            )
        banks.append((st, bank, gov))
    n = SIZES.get(scale, SIZES["district"])
    grid_user = get_user_model().objects.filter(username="grid").first()
    chosen = []
    if grid_user is not None:
        p = Person.objects.filter(user=grid_user).first()
        if p is not None:
            chosen.append(p)
    pool = list(
        Person.objects.filter(birth_date__lte=today - dt.timedelta(days=18 * 365))
        .exclude(pk__in=[p.pk for p in chosen])
        .order_by("id")
        .values_list("id", flat=True)
    )
    rng.shuffle(pool)
    chosen += list(Person.objects.filter(pk__in=pool[: max(0, n - len(chosen))]).select_related("region"))
    bank_of = {st.path: (bank, gov) for st, bank, gov in banks}
    made = records = redemptions = 0
    for i, person in enumerate(chosen):
        street = next((b for path, b in bank_of.items() if person.region.path.startswith(path)), None)
        if street is None:
            continue
        bank, gov = street
        v = V.register_volunteer(
            SYSTEM,
            person=person,
            bank=bank,
            skills=rng.sample(SKILLS, rng.randint(1, 3)),
            joined_on=today - dt.timedelta(days=rng.randint(90, 900)),
        )
        made += 1
        if rng.random() < 0.35 or i == 0:
            field, level = rng.choice([("law", 2), ("law", 1), ("medicine", 2), ("psychology", 3), ("social_work", 1)])
            expired = rng.random() < 0.2 and i != 0
            V.add_certificate(
                SYSTEM,
                v,
                field=field,
                level=level,
                number=f"C{seed}-{v.pk:05d}",
                issued_on=today - dt.timedelta(days=900),
                expires_on=today - dt.timedelta(days=30) if expired else today + dt.timedelta(days=700),
                verified_by=gov,
            )
            if not expired and i % 2 == 0:
                PoolResource.objects.create(
                    name=f"志愿服务：{person.name}",
                    owner=gov,
                    kind="person",
                    quantity=rng.randint(2, 6),
                    unit_label="次",
                    volunteer=v,
                    skills=v.skills,
                    lon=_lon(person),
                    lat=_lat(person),
                    region=person.region,
                    grid=_grid(person),
                )
        for k in range(rng.randint(1, 3)):
            tt = rng.choice([types["general"], types["elder"], types["general"], types["legal"], types["medical"]])
            if not V.may_take(v, tt)[0]:
                tt = types["general"]
            rec = V.claim_service(
                SYSTEM,
                v,
                task_type=tt,
                task_ref=f"ACT-{rng.randint(1, 400):04d}-{k}",
                title=tt.name,
                organiser=gov,
                date=today - dt.timedelta(days=rng.randint(1, 300)),
                hours=rng.choice([1, 1.5, 2, 3, 4]),
            )
            records += 1
            if rng.random() < 0.85:
                V.confirm_service(SYSTEM, rec)
        if rng.random() < 0.3:
            item = bank.items.filter(stock__gt=0).order_by("points").first()
            if item is not None and V.balance(V.volunteer_account(v)) >= item.points:
                V.redeem(SYSTEM, v, item)
                redemptions += 1
        progress("志愿者", i + 1, len(chosen))
    return {"volunteers": made, "service_records": records, "redemptions": redemptions, "time_banks": len(banks)}


def _grid(person):
    from gongzhi.org.models import Grid

    return Grid.objects.filter(region=person.region).order_by("code").first()


def _lon(person):
    g = _grid(person)
    return g.centroid_lon if g else 0.0


def _lat(person):
    g = _grid(person)
    return g.centroid_lat if g else 0.0
