"""Demo data for the burden meter, built from what the other modules' demos wrote:

* the platform's own demands, from the request transitions and alliance meeting attendance (backfill);
* the sixteen "885" definitions;
* a year of demands from above (the district government): recurring reports and forms to the
  community committees, weekly check-ins and photo traces for the grid workers, one-off forms and
  meetings; one report request over a definition whose derivable fields the audit fills itself;
* one burden-reduction order five months ago, after which three recurring reports stop, and one new
  recurring report issued three weeks after it (flagged as a possible hidden assessment).

Deterministic by seed; one transaction.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import Region
from gongzhi.org import responsibility
from gongzhi.org.models import Grid, GridAssignment, Unit

from . import platform, services
from .meter import add_months
from .models import ReportDefinition
from .seed import seed_definitions

# (title, kind, minutes, recurrence, stops at the order?)
FROM_ABOVE = [
    ("安全生产隐患排查月报", "report", 60, "monthly", True),
    ("创文创卫工作进展月报", "report", 45, "monthly", True),
    ("党建工作台账月度更新", "form", 90, "monthly", True),
    ("信访维稳情况月报", "report", 40, "monthly", False),
    ("重点人群走访登记表", "form", 30, "monthly", False),
    ("季度综治工作考核自评表", "form", 120, "quarterly", False),
]


def generate(*, seed: int, scale: str, progress: Callable[..., Any]) -> dict[str, int]:
    with transaction.atomic():  # one commit: the outbox is dispatched once, not per event
        return _generate(seed=seed, scale=scale, progress=progress)


def _generate(*, seed: int, scale: str, progress: Callable[..., Any]) -> dict[str, int]:
    rng = random.Random(seed * 31 + 8)
    district = Region.objects.filter(level=Region.Level.DISTRICT).order_by("code").first()
    if district is None:
        return {}
    gov = Unit.objects.filter(code=f"{district.code}-GOV").first()
    if gov is None:
        return {}
    today = timezone.localdate()
    progress("减负监测", 0, 4)
    platform_items = platform.backfill(SYSTEM)
    progress("减负监测", 1, 4)
    definitions = seed_definitions(SYSTEM)
    communities = list(
        Region.objects.filter(level=Region.Level.COMMUNITY, path__startswith=district.path).order_by("code")
    )
    committees = [u for u in (responsibility.handling_unit(c) for c in communities) if u is not None]
    workers = []
    seen = set()
    for ga in (
        GridAssignment.objects.filter(
            kind=GridAssignment.Kind.GRID_WORKER, end_date__isnull=True, region__path__startswith=district.path
        )
        .select_related("person")
        .order_by("grid__code")
    ):
        if ga.person_id not in seen:
            seen.add(ga.person_id)
            workers.append(ga.person)
    if not committees:
        return {"burden_platform_items": platform_items, "burden_definitions": definitions}
    year_ago = add_months(today.replace(day=1), -12)
    order_day = add_months(today.replace(day=1), -5) + dt.timedelta(days=9)
    demands = 0
    for title, kind, minutes, rec, stops in FROM_ABOVE:
        services.issue_demand(
            SYSTEM,
            issuer=gov,
            title=title,
            kind=kind,
            minutes=minutes,
            recurrence=rec,
            issued_on=year_ago,
            due_on=year_ago + dt.timedelta(days=rng.randint(19, 27)),
            until=order_day - dt.timedelta(days=1) if stops else today + dt.timedelta(days=60),
            units=committees,
        )
        demands += 1
    if workers:
        services.issue_demand(
            SYSTEM,
            issuer=gov,
            title="网格巡查定位打卡",
            kind="checkin",
            minutes=20,
            recurrence="weekly",
            issued_on=year_ago,
            due_on=year_ago + dt.timedelta(days=4),
            until=today + dt.timedelta(days=30),
            workers=workers,
        )
        services.issue_demand(
            SYSTEM,
            issuer=gov,
            title="环境整治前后对比拍照上传",
            kind="photo",
            minutes=25,
            recurrence="weekly",
            issued_on=year_ago,
            due_on=year_ago + dt.timedelta(days=2),
            until=order_day - dt.timedelta(days=1),
            workers=workers[::2],
        )
        demands += 2
    for _ in range(6):
        day = year_ago + dt.timedelta(days=rng.randint(10, 360))
        if day > today:
            continue
        title, kind, minutes = rng.choice(
            [
                ("人口信息核查表", "form", 120),
                ("迎检工作部署会", "meeting", 90),
                ("专项整治情况统计表", "form", 60),
                ("防汛应急预案备案", "other", 45),
            ]
        )
        targets = rng.sample(committees, max(1, len(committees) // 2))
        services.issue_demand(
            SYSTEM,
            issuer=gov,
            title=f"{title}（{day:%m月}）",
            kind=kind,
            minutes=minutes,
            issued_on=day,
            due_on=day + dt.timedelta(days=7),
            units=targets,
        )
        demands += 1
    progress("减负监测", 2, 4)
    order = services.issue_order(
        SYSTEM,
        issuer=gov,
        title="关于精简基层报表切实减轻基层负担的通知",
        region=district,
        effective_on=order_day,
        target_cut_pct=30,
        text="凡平台已有数据一律不再要求基层填报；压减周期性报表30%以上；不得以拍照、打卡代替实绩。",
    )
    after = order_day + dt.timedelta(days=21)
    services.issue_demand(
        SYSTEM,
        issuer=gov,
        title="社区治理成效月度统计表",
        kind="report",
        minutes=50,
        recurrence="monthly",
        issued_on=after,
        due_on=after + dt.timedelta(days=5),
        until=today + dt.timedelta(days=60),
        units=committees,
    )
    demands += 1
    definition = ReportDefinition.objects.filter(code="DEMO-DISTRICT-MONTHLY").first()
    if definition is None:
        definition = services.define_report(
            SYSTEM,
            code="DEMO-DISTRICT-MONTHLY",
            name="区接诉即办情况月报（区下发）",
            owner=gov,
            fields=[
                {"code": "requests", "label": "本月受理诉求数", "source": "cases.requests", "minutes": 20},
                {"code": "satisfaction", "label": "群众满意率", "source": "cases.satisfaction_rate", "minutes": 20},
                {"code": "overdue", "label": "超期未办结件数", "source": "cases.overdue_open", "minutes": 15},
                {"code": "cases", "label": "典型案例", "source": "manual", "minutes": 30},
                {"code": "plan", "label": "下月工作打算", "source": "manual", "minutes": 15},
            ],
        )
    last_month = add_months(today.replace(day=1), -1)
    services.issue_demand(
        SYSTEM,
        issuer=gov,
        title=f"区接诉即办情况月报（{last_month:%Y-%m}）",
        kind="report",
        definition=definition,
        period=f"{last_month:%Y-%m}",
        issued_on=today.replace(day=1),
        due_on=today.replace(day=1) + dt.timedelta(days=5),
        units=committees,
    )
    demands += 1
    demands += _disguised(gov, committees, order_day, today)
    progress("减负监测", 4, 4)
    return {
        "burden_platform_items": platform_items,
        "burden_definitions": definitions + 1,
        "burden_demands": demands,
        "burden_orders": 1 if order else 0,
    }


def _disguised(gov: Unit, committees: list[Unit], order_day: dt.date, today: dt.date) -> int:
    """Hidden assessment in disguise after the order (seed 001): a safety target pledge with penalty
    clauses demanded of every committee (变相责任状), a plain commitment that is not flagged, and three
    research visits to the first committee within a month asking for figures and scoring (the second
    and third are 以调研代替检查), beside a listening visit that is not flagged."""
    first = committees[0]
    street = first.region.parent
    assert street is not None  # a committee's community always has a street above it
    street_gov = Unit.objects.filter(code=f"{street.code}-GOV").first() or gov
    grid = Grid.objects.filter(region=first.region).order_by("code").first()
    pledge_day = order_day + dt.timedelta(days=35)
    services.issue_demand(
        SYSTEM,
        issuer=gov,
        title="社区安全生产和信访稳定目标责任书",
        kind="pledge",
        minutes=90,
        issued_on=pledge_day,
        due_on=pledge_day + dt.timedelta(days=10),
        units=committees,
        has_targets=True,
        has_penalties=True,
    )
    services.issue_demand(
        SYSTEM,
        issuer=gov,
        title="文明城市创建倡议承诺书",
        kind="pledge",
        minutes=15,
        issued_on=pledge_day,
        units=committees,
    )
    visit = max(order_day + dt.timedelta(days=40), today - dt.timedelta(days=40))
    for k, (issuer, title, materials, scores) in enumerate(
        (
            (gov, "基层治理现代化专题调研", True, False),
            (street_gov, "网格化管理工作调研", True, True),
            (gov, "“减负增效”落实情况调研", False, True),
        )
    ):
        services.issue_demand(
            SYSTEM,
            issuer=issuer,
            title=title,
            kind="research",
            minutes=120,
            issued_on=visit + dt.timedelta(days=9 * k),
            units=[first],
            asks_materials=materials,
            scores=scores,
            grid=grid,
        )
    services.issue_demand(
        SYSTEM,
        issuer=gov,
        title="听取居民意见座谈调研",
        kind="research",
        minutes=90,
        issued_on=visit + dt.timedelta(days=30),
        units=[first],
    )
    return 6
