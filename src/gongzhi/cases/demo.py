"""A year of realistic requests for the demo district: a seasonal mix of
categories, Chinese text, realistic timings (dispatch, response, resolution,
returns, reopenings, whistles, ratings) and a few mediation cases.

Written with bulk inserts (explicit ids for requests, sequences reset
afterwards); routing decisions are computed once per (category, community)
by the responsibility list. Deterministic by seed.
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from gongzhi.core import phrases
from gongzhi.core.models import Region
from gongzhi.org import responsibility
from gongzhi.org.kinds import UnitKind
from gongzhi.org.models import Grid, MatterCategory, Person, Unit

from . import sla as sla_mod
from .models import (
    Channel,
    MediationCase,
    MediationParty,
    MediationSession,
    ServiceRequest,
    State,
    Summons,
    Transition,
    Whistle,
)

PER_DAY = {"tiny": 2, "district": 18, "city": 40}
DAYS = 365

# Month weights (Jan..Dec) by category: heating in winter, noise and water in summer, and so on.
WINTER = [3, 3, 2, 0.5, 0.1, 0.1, 0.1, 0.1, 0.2, 0.8, 3, 3]
SUMMER = [0.5, 0.5, 0.8, 1, 1.5, 2, 2.5, 2.5, 1.5, 1, 0.6, 0.5]
SPRING_AUTUMN = [0.6, 0.6, 1.2, 1.5, 1.3, 1, 1, 1, 1.3, 1.4, 1, 0.6]
FLAT = [1] * 12
TEXTS = {
    "01001": (
        SUMMER,
        [
            "小区垃圾桶满溢好几天没人清运，味道很大",
            "楼下垃圾堆放在路边，招来很多苍蝇",
            "垃圾站周边脏乱，建议增加清运次数",
        ],
    ),
    "01002": (FLAT, ["路面有大片油污，走路容易滑倒", "道路清扫不及时，落叶和尘土很多"]),
    "01003": (FLAT, ["楼道里堆满杂物，影响通行", "小区空地被乱堆建材和废料"]),
    "01004": (FLAT, ["单元门上贴满小广告，清理后又有人贴", "电线杆上到处是办证小广告"]),
    "01005": (SUMMER, ["路口有商贩占道摆摊，晚上夜市很乱", "早市商贩占用人行道，行人只能走机动车道"]),
    "02001": (SPRING_AUTUMN, ["路面坑洼不平，下雨积水，电动车容易摔倒", "人行道砖破损翘起，老人绊倒过"]),
    "02002": (FLAT, ["路边井盖缺失，晚上很危险，请尽快处理", "井盖破损下陷，车辆经过很危险"]),
    "02003": (WINTER, ["小区路灯不亮一周了，晚上出行很黑", "路灯坏了好几盏，夜里回家不安全"]),
    "02004": (SUMMER, ["小区健身器材损坏，存在安全隐患", "广场的健身座椅断裂，请维修"]),
    "03001": (SUMMER, ["家里停水一天了，没有任何通知", "水压太低，高层住户用不上水"]),
    "03002": (SUMMER, ["楼里突然停电，冰箱里的东西都坏了", "电压不稳，灯一直闪"]),
    "03003": (WINTER, ["楼道里有很重的燃气味，担心泄漏", "邻居家好像燃气泄漏，敲门没人应"]),
    "03004": (
        [4, 3, 2, 0.2, 0, 0, 0, 0, 0, 0.3, 4, 4],
        ["暖气不热，屋里只有十五六度", "供暖温度不达标，家里有老人和孩子", "暖气片冰凉，找物业没人管"],
    ),
    "04001": (FLAT, ["电梯经常故障停运，老人上下楼困难", "电梯困人了，物业半天才来"]),
    "04002": (SPRING_AUTUMN, ["小区树木太高挡住阳光，需要修剪", "绿化带杂草丛生，无人打理"]),
    "04003": (FLAT, ["物业费涨价没有公示账目", "物业收费项目不清楚，要求公开"]),
    "04004": (FLAT, ["小区乱停车，消防车都进不来", "车位被外来车辆长期占用"]),
    "04080": (
        [1.5, 1.5, 1, 1, 1, 1, 1, 1, 1, 1, 1.5, 1.5],
        ["楼道里有人飞线给电动车充电，很危险", "电动车在楼道充电，电线从窗户拉下来"],
    ),
    "05001": (
        SUMMER,
        ["楼上装修噪音太大，中午也在施工", "广场舞音响太吵，晚上十点还在跳", "夜里施工噪音扰民，无法休息"],
    ),
    "05002": (FLAT, ["楼上漏水把我家天花板泡了，协商不成", "卫生间渗水到楼下，邻居不肯维修"]),
    "05003": (SPRING_AUTUMN, ["邻居养狗不拴绳，还到处便溺", "楼下狗整夜叫，影响休息"]),
    "06001": (WINTER, ["家里困难想申请低保，不知道怎么办", "低保救助金迟迟没有发放"]),
    "06002": (FLAT, ["独居老人需要助餐服务", "想了解社区养老照护服务"]),
    "06003": (SPRING_AUTUMN, ["失业了想参加技能培训", "想找社区的就业招聘信息"]),
    "07001": (FLAT, ["消防通道被车辆堵塞", "楼道消防通道堆满杂物"]),
    "07002": (SUMMER, ["老房子墙体出现裂缝，担心倒塌", "危房下雨漏水，墙皮脱落"]),
    "07003": (SPRING_AUTUMN, ["阳台花盆摆在外面，担心高空坠物", "外墙瓷砖脱落，差点砸到人"]),
    "08001": (SPRING_AUTUMN, ["一楼住户私搭乱建扩出院子", "楼顶有人加盖违章建筑"]),
    "09001": (SUMMER, ["楼下饭店油烟直排，家里不能开窗", "烧烤店油烟很大，呛得人难受"]),
    "09002": (SUMMER, ["河道发臭，有人往里排污水", "小河里漂着垃圾，夏天气味很大"]),
    "10001": (SPRING_AUTUMN, ["土地流转合同到期，租金迟迟不给", "承包地边界有争议"]),
    "10002": (SPRING_AUTUMN, ["宅基地建房审批一直没有结果", "邻居建房占了我家宅基地"]),
    "10080": (FLAT, ["采煤沉陷区房屋开裂，补偿还没到位", "地面塌陷，耕地无法耕种"]),
}
PLACES = ["", "", "3号楼", "5单元", "东门", "南门口", "菜市场旁", "幼儿园附近", "公交站旁", "村口"]
RESOLVE_HOURS = {"emergency": 1.5, "utilities": 10, "general": 60, "complex": 150}
RATINGS = ["satisfied", "basically", "unsatisfied"]


def generate(*, seed: int, scale: str, progress) -> dict[str, int]:
    rng = random.Random(seed * 7919 + 311)
    nrng = np.random.default_rng(seed)
    from . import routing

    routing.clear()  # the org data was just written in bulk (no signals): route from it, not a stale snapshot
    grids = list(Grid.objects.select_related("region").order_by("code"))
    cats = {c.code: c for c in MatterCategory.objects.filter(code__in=list(TEXTS))}
    if not grids or not cats:
        return {}
    rural = {r.pk for r in Region.objects.filter(kind=Region.Kind.RURAL)}
    today = timezone.localdate()
    start_day = today - dt.timedelta(days=DAYS)
    per_day = PER_DAY.get(scale, 18)
    tz = timezone.get_current_timezone()
    departments = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT).order_by("code"))
    routes: dict = {}
    street_of_comm = dict(Region.objects.filter(level=Region.Level.COMMUNITY).values_list("id", "parent_id"))

    def route(code, grid):
        # A decision for a community-level line differs per community; any other holds for the whole street.
        key = (code, grid.region_id)
        skey = (code, "street", street_of_comm.get(grid.region_id))
        if key in routes:
            return routes[key]
        if skey in routes:
            return routes[skey]
        d = responsibility.resolve(code, grid=grid, at=timezone.now())
        # The grid's reason is the first grid's: left out of a decision shared by the street.
        shared = [r for r in d.reasons if getattr(r, "code", None) != responsibility.R_GRID]
        value = (
            d.unit,
            phrases.render_all(shared),
            {**d.as_dict(), "reasons": [phrases.as_data(r) for r in shared]},
            d.sla,
        )
        community_level = d.rule is not None and d.rule.handler_level == "community"
        routes[key if community_level else skey] = value
        return value

    mix = {}
    for m in range(12):
        for is_r in (False, True):
            cs = [c for c in TEXTS if is_r or not c.startswith("10")]
            mix[(m, is_r)] = (cs, [TEXTS[c][0][m] * (2.0 if c.startswith("10") else 1.0) for c in cs])
    next_id = (ServiceRequest.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    reqs, trans, whistles = [], [], []
    total_days = DAYS
    now = timezone.now()
    for day_i in range(total_days):
        day = start_day + dt.timedelta(days=day_i)
        month = day.month - 1
        n = int(nrng.poisson(per_day * (0.8 if day.weekday() >= 5 else 1.0)))
        for _ in range(n):
            grid = rng.choice(grids)
            is_rural = grid.region_id in rural
            codes, weights = mix[(month, is_rural)]
            code = rng.choices(codes, weights)[0]
            cat = cats.get(code)
            if cat is None:
                continue
            hour = min(23, max(0, int(rng.gauss(13, 4))))
            created = dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60)), tz)
            if created > now:
                continue
            text = rng.choice(PLACES) + rng.choice(TEXTS[code][1])
            unit, why, routing, rule_sla = route(code, grid)
            sla_class = min(rule_sla, cat.default_sla, key=["emergency", "utilities", "general", "complex"].index)
            lon = grid.min_lon + (grid.max_lon - grid.min_lon) * rng.uniform(0.3, 0.7)
            lat = grid.min_lat + (grid.max_lat - grid.min_lat) * rng.uniform(0.3, 0.7)
            channel = rng.choices([Channel.HOTLINE, Channel.WEB, Channel.GRID, Channel.API], [50, 25, 20, 5])[0]
            rid = next_id
            next_id += 1
            t = created
            steps = [("submit", "", State.SUBMITTED, t, "", None, {"channel": channel})]
            t += dt.timedelta(minutes=rng.uniform(2, 30) if channel != Channel.HOTLINE else rng.uniform(1, 10))
            steps.append(("accept", State.SUBMITTED, State.ACCEPTED, t, "", None, {}))
            steps.append(("dispatch", State.ACCEPTED, State.DISPATCHED, t, why, unit, {"unit_name": unit.name}))
            due = (
                sla_mod.due_at(sla_class, t)
                if sla_class in ("emergency", "utilities")
                else t + dt.timedelta(days=9 if sla_class == "general" else 21)
            )
            state = State.DISPATCHED
            if rng.random() < 0.05:  # 回退
                t += dt.timedelta(hours=rng.uniform(1, 20))
                steps.append(("return", State.DISPATCHED, State.RETURNED, t, "非本单位职责，请重新派单", unit, {}))
                t += dt.timedelta(hours=rng.uniform(0.5, 6))
                steps.append(
                    (
                        "dispatch",
                        State.RETURNED,
                        State.DISPATCHED,
                        t,
                        "重新派单：" + why,
                        unit,
                        {"unit_name": unit.name},
                    )
                )
            whistled = unit.kind != UnitKind.DEPARTMENT and sla_class == "complex" and rng.random() < 0.3
            if whistled and departments:
                ds = rng.sample(departments, k=min(len(departments), rng.choice([1, 2])))
                t += dt.timedelta(hours=rng.uniform(1, 24))
                steps.append(
                    (
                        "whistle",
                        state,
                        state,
                        t,
                        "跨部门事项，召集相关部门报到",
                        None,
                        {"departments": [d.code for d in ds]},
                    )
                )
                whistles.append((rid, t, ds))
            respond = dt.timedelta(hours=min(48, nrng.lognormal(np.log(RESPONSE_MEDIAN(sla_class)), 0.8)))
            t_start = t + respond
            steps.append(("start", State.DISPATCHED, State.IN_PROGRESS, t_start, "", unit, {}))
            t_res = t_start + dt.timedelta(hours=float(nrng.lognormal(np.log(RESOLVE_HOURS[sla_class]), 0.7)))
            rating = fixed = None
            resolved_at = None
            if t_res < now:
                steps.append(
                    (
                        "resolve",
                        State.IN_PROGRESS,
                        State.RESOLVED,
                        t_res,
                        "已按要求处理完毕",
                        unit,
                        {"on_time": t_res <= due},
                    )
                )
                state, resolved_at = State.RESOLVED, t_res
                if rng.random() < 0.8 and t_res + dt.timedelta(hours=30) < now:
                    rating = rng.choices(RATINGS, [75, 17, 8])[0]
                    fixed = not (rating == "unsatisfied" and rng.random() < 0.6)
                    tc = t_res + dt.timedelta(hours=rng.uniform(2, 30))
                    steps.append(
                        ("confirm", State.RESOLVED, State.CONFIRMED, tc, "", None, {"rating": rating, "fixed": fixed})
                    )
                    state = State.CONFIRMED
                    if not fixed:
                        steps.append(("reopen", State.CONFIRMED, State.REOPENED, tc, "居民反映问题未解决", None, {}))
                        t2 = tc + dt.timedelta(hours=rng.uniform(1, 8))
                        steps.append(
                            (
                                "dispatch",
                                State.REOPENED,
                                State.DISPATCHED,
                                t2,
                                "重办：" + why,
                                unit,
                                {"unit_name": unit.name},
                            )
                        )
                        t3 = t2 + dt.timedelta(hours=RESOLVE_HOURS[sla_class] * rng.uniform(0.5, 2))
                        if t3 < now:
                            steps.append(
                                (
                                    "resolve",
                                    State.DISPATCHED,
                                    State.RESOLVED,
                                    t3,
                                    "重新处理完毕",
                                    unit,
                                    {"on_time": t3 <= due},
                                )
                            )
                            state = State.RESOLVED
                        else:
                            state = State.DISPATCHED
                    if state == State.CONFIRMED and tc + dt.timedelta(days=3) < now:
                        steps.append(("close", State.CONFIRMED, State.CLOSED, tc + dt.timedelta(days=3), "", None, {}))
                        state = State.CLOSED
            elif t_start < now:
                state = State.IN_PROGRESS
            else:
                steps = [s for s in steps if s[3] <= now]
                state = steps[-1][2]
            last = steps[-1][3]
            reqs.append(
                ServiceRequest(
                    id=rid,
                    number=f"{timezone.localtime(created):%y%m%d}{rid:07d}",
                    token=f"{rng.getrandbits(128):032x}",
                    channel=channel,
                    description=text,
                    category=cat,
                    region=grid.region,
                    grid=grid,
                    lon=lon,
                    lat=lat,
                    address="",
                    anonymous=rng.random() < 0.1,
                    reporter_name=""
                    if rng.random() < 0.3
                    else rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["先生", "女士", "大爷", "阿姨"]),
                    reporter_phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                    state=state,
                    handling_unit=unit,
                    routing_reason=why,
                    routing={**routing, "grid": grid.code, "region": grid.region.code},
                    sla=sla_class,
                    sla_started_at=steps[2][3] if len(steps) > 2 else None,
                    due_at=due,
                    rating=rating or "",
                    fixed=fixed,
                    resolution="已按要求处理完毕" if resolved_at else "",
                    created_at=created,
                    updated_at=last,
                    resolved_at=resolved_at,
                )
            )
            for action, frm, to, at, reason, u, data in steps:
                label = u.name if u is not None and action in ("start", "resolve", "return") else "系统"
                trans.append((rid, action, frm, to, label, u.pk if u is not None else None, reason, at, data))
        if day_i % 30 == 0:
            progress("接诉即办：一年诉求", day_i, total_days)
    progress("接诉即办：一年诉求", total_days, total_days)
    with transaction.atomic():
        ServiceRequest.objects.bulk_create(reqs, batch_size=2000)
        _insert_transitions(trans)
        street_of = {}
        for rid, t, ds in whistles:
            r = next_r(reqs, rid)
            if r.region_id not in street_of:
                street_of[r.region_id] = r.region.parent
            w = Whistle.objects.create(
                request_id=rid, street=street_of[r.region_id], blown_at=t, reason="跨部门事项，召集相关部门报到"
            )
            Summons.objects.bulk_create(
                [
                    Summons(
                        whistle=w,
                        department=d,
                        ack_due=t + dt.timedelta(hours=24),
                        act_due=r.due_at or t + dt.timedelta(days=15),
                        acknowledged_at=t + dt.timedelta(hours=rng.uniform(1, 30)),
                        acted_at=t + dt.timedelta(days=rng.uniform(1, 10)) if t + dt.timedelta(days=10) < now else None,
                        note="已到场处置",
                    )
                    for d in ds
                ]
            )
        mediations = _mediations(rng, grids, start_day, tz, now)
        with connection.cursor() as cur:
            for sql in connection.ops.sequence_reset_sql(no_style(), [ServiceRequest]):
                cur.execute(sql)
    counts = {"requests": len(reqs), "transitions": len(trans), "whistles": len(whistles), "mediations": mediations}
    extra = _pushdowns()
    # the push-downs' requests and their transitions count with the year's
    counts["requests"] += extra.pop("requests", 0)
    counts["transitions"] += extra.pop("transitions", 0)
    counts.update(extra)
    return counts


def _pushdowns() -> dict[str, int]:
    """The power list (org/demo.py) and push-downs of street A (issue 20, item 2; seeds 001 and 002): the
    street cadre (demo user ``street``) sends two garbage matters that the list gives to the street down
    to a residents' committee; the committee's cadre (``community``) consents to one, so it is dispatched
    and counted as a matter pushed down (flagged in the burden meter, the assessment measure
    ``pushdowns`` and the command centre); the other waits in the inbox for consent or approval. A gas
    leak pushed down to the same committee would be refused outright: it lacks 燃气安全监管."""
    from django.contrib.auth import get_user_model

    from gongzhi.core.actors import SYSTEM
    from gongzhi.org.demo import install_power_list

    from . import services
    from .models import PushDown

    grants = install_power_list()
    User = get_user_model()
    street, community = (
        User.objects.filter(username="street").first(),
        User.objects.filter(username="community").first(),
    )
    role = community.staff_roles.select_related("unit").first() if community is not None else None
    if street is None or role is None:
        return {"power_grants": grants}
    committee = role.unit
    grid = Grid.objects.filter(region=committee.region).order_by("code").first()
    if grid is None:
        return {"power_grants": grants}
    made: list[PushDown] = []
    ids: list[int] = []
    for text, reason in (
        ("小区东门垃圾桶满溢三天无人清运，气味很大", "街道环卫人手不足，请社区就近组织清运"),
        ("楼道口堆放的装修垃圾一直没人清理", "社区熟悉情况，由居委会协调物业清理"),
    ):
        req, _ = services.submit(SYSTEM, description=text, category="01001", grid=grid.code, auto_route=False)
        ids.append(req.pk)
        services.accept(street, req)
        pd = services.dispatch(street, req, unit=committee.code, reason=reason).pending_pushdown
        if pd is not None:
            made.append(pd)
    if made:
        services.consent_pushdown(community, made[0], agree=True, note="同意接收，本次由社区协调物业清运")
    return {
        "power_grants": grants,
        "pushdowns": PushDown.objects.count(),
        "requests": len(ids),
        "transitions": Transition.objects.filter(request_id__in=ids).count(),
    }


def _insert_transitions(rows: list[tuple]) -> None:
    """Plain executemany: the ORM's per-value preparation dominates at this volume."""
    import json

    ops = connection.ops
    data_ph = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    sql = (
        f"INSERT INTO {Transition._meta.db_table} (request_id, action, from_state, to_state, actor_id, actor_label, "
        f"unit_id, reason, at, data) VALUES (%s, %s, %s, %s, NULL, %s, %s, %s, %s, {data_ph})"
    )
    with connection.cursor() as cur:
        for i in range(0, len(rows), 5000):
            cur.executemany(
                sql,
                [
                    (*t[:7], ops.adapt_datetimefield_value(t[7]), json.dumps(t[8], ensure_ascii=False))
                    for t in rows[i : i + 5000]
                ],
            )


def RESPONSE_MEDIAN(sla_class: str) -> float:
    return {"emergency": 0.5, "utilities": 2, "general": 6, "complex": 10}[sla_class]


def next_r(reqs, rid):
    # requests are in id order: index by offset from the first id
    return reqs[rid - reqs[0].id]


def _mediations(rng, grids, start_day, tz, now) -> int:
    communities = sorted({g.region_id for g in grids})
    people = {}
    for pid, rid in Person.objects.filter(region_id__in=communities).values_list("id", "region_id")[:20000]:
        people.setdefault(rid, []).append(pid)
    titles = [
        "楼上漏水赔偿纠纷",
        "邻里噪音纠纷",
        "宅基地边界纠纷",
        "物业费欠缴纠纷",
        "宠物伤人赔偿纠纷",
        "车位占用纠纷",
        "赡养老人家庭纠纷",
        "装修损坏墙体纠纷",
    ]
    outcomes = ["agreement"] * 6 + ["partial"] * 2 + ["failed"]
    n = 0
    for _ in range(min(24, len(communities) * 2)):
        rid = rng.choice(communities)
        pool = people.get(rid, [])
        if len(pool) < 4:
            continue
        lead, v1, v2 = rng.sample(pool, 3)
        opened = dt.datetime.combine(start_day + dt.timedelta(days=rng.randrange(350)), dt.time(9, 30), tz)
        outcome = rng.choice(outcomes) if opened + dt.timedelta(days=20) < now else ""
        case = MediationCase.objects.create(
            region_id=rid,
            title=rng.choice(titles),
            lead_id=lead,
            opened_at=opened,
            closed_at=opened + dt.timedelta(days=rng.randrange(3, 20)) if outcome else None,
            outcome=outcome,
            agreement="双方自愿达成调解协议，按约定履行" if outcome in ("agreement", "partial") else "",
        )
        case.volunteers.set([v1, v2])
        MediationParty.objects.bulk_create(
            [MediationParty(case=case, name=rng.choice("王李张刘陈") + "某", role=r) for r in ("申请人", "被申请人")]
        )
        MediationSession.objects.bulk_create(
            [
                MediationSession(
                    case=case, at=opened + dt.timedelta(days=k * 3), place="老马工作室", notes="听取双方意见"
                )
                for k in range(rng.randint(1, 3))
            ]
        )
        n += 1
    return n
