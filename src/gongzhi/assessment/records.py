"""The records behind a measure of a stored result, for the drill-down page.

``records_for(result, measure_name)`` returns a :class:`Listing`: column headers, rows (each cell a
text or a ``(text, url)`` link), the total count and which rows count in the numerator.  Personal data
is never listed (persons are shown as counts per community).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gongzhi.cases import figures as case_figures
from gongzhi.cases.models import Bypass, ServiceRequest, Summons, Transition, Whistle
from gongzhi.org.kinds import HOUSEHOLD_KINDS
from gongzhi.org.models import Grid, Household, Person, Unit

from .measures import (
    MEASURES,
    PLATFORM_CHANNELS,
    SERVICE_POINT_KINDS,
    bypass_state,
    project,
)

LIMIT = 300


@dataclass
class Listing:
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    total: int = 0
    note: str = ""


def _period(result):
    run = result.run
    start = timezone.make_aware(dt.datetime.combine(run.start, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(run.end + dt.timedelta(days=1), dt.time.min))
    return run.start, run.end, start, end


def _dt(x):
    return timezone.localtime(x).strftime("%Y-%m-%d %H:%M") if x else "—"


def records_for(result, name: str) -> Listing:
    m = MEASURES.get(name)
    if m is None:
        raise KeyError(name)
    fn = globals()[f"_{m.source}"]
    return fn(result, m.subset)


def _requests(result, subset: str) -> Listing:
    region = result.region
    _d0, _d1, start, end = _period(result)
    qs = ServiceRequest.objects.exclude(state__in=case_figures.EXCLUDED).filter(
        region__path__startswith=region.path, created_at__gte=start, created_at__lt=end
    )
    if subset == "categories":
        rows = list(qs.values("category__code", "category__name").annotate(n=Count("id")).order_by("-n"))
        return Listing(
            [_("事项类别"), _("件数")],
            [[f"{r['category__code'] or '—'} {r['category__name'] or ''}", r["n"]] for r in rows],
            len(rows),
            _("归一化香农熵按各类别件数占比计算"),
        )
    note = ""
    if subset == "dispatched":
        qs = qs.filter(Exists(Transition.objects.filter(request=OuterRef("pk"), action="dispatch")))
        note = _("已派单的诉求（响应率、回退率的分母）")
    elif subset == "resolved":
        qs = qs.filter(Exists(Transition.objects.filter(request=OuterRef("pk"), action="resolve")))
        note = _("已办结的诉求（按时办结率、重办率的分母）")
    elif subset == "rated":
        qs = qs.filter(Exists(Transition.objects.filter(request=OuterRef("pk"), action__in=("confirm", "followup"))))
        note = _("已评价或已回访的诉求（满意率、解决率的分母）")
    elif subset == "whistled":
        qs = qs.filter(Exists(Whistle.objects.filter(request=OuterRef("pk"))))
        note = _("吹哨的诉求")
    elif subset == "platform":
        note = _("“平台渠道”列为是的计入分子")
    total = qs.count()
    rows = []
    for r in qs.select_related("category").order_by("created_at")[:LIMIT]:
        rows.append(
            [
                (r.number, reverse("cases:detail", args=[r.number])),
                _dt(r.created_at),
                r.category.name if r.category_id else "—",
                r.get_channel_display(),
                _("是") if r.channel in PLATFORM_CHANNELS else _("否"),
                r.get_state_display(),
                r.get_rating_display() or "—",
                {True: _("是"), False: _("否")}.get(r.fixed, "—"),
            ]
        )
    return Listing(
        [_("编号"), _("提交时间"), _("事项类别"), _("渠道"), _("平台渠道"), _("状态"), _("评价"), _("已解决")],
        rows,
        total,
        note,
    )


def _persons(result, subset: str) -> Listing:
    rows = list(
        Person.objects.filter(region__path__startswith=result.region.path)
        .values("region__code", "region__name")
        .annotate(n=Count("id"), mob=Count("id", filter=Q(is_mobile=True)))
        .order_by("region__code")
    )
    return Listing(
        [_("社区/村"), _("登记人口"), _("流动人口")],
        [[f"{r['region__name']} ({r['region__code']})", r["n"], r["mob"]] for r in rows],
        len(rows),
        _("人员只按区域汇总，不列出个人信息"),
    )


def grid_distances(district, grids) -> dict[int, float]:
    from shapely import STRtree
    from shapely.geometry import Point

    pts = list(
        Unit.objects.filter(
            region__path__startswith=district.path, kind__in=SERVICE_POINT_KINDS, lon__isnull=False, lat__isnull=False
        )
        .exclude(status=Unit.Status.DISSOLVED)
        .values_list("lon", "lat")
    )
    if not grids or not pts:
        return {}
    lat0 = sum(g.centroid_lat for g in grids) / len(grids)
    tp = [Point(xy) for xy in project([p[0] for p in pts], [p[1] for p in pts], lat0)]
    tree = STRtree(tp)
    cs = [Point(xy) for xy in project([g.centroid_lon for g in grids], [g.centroid_lat for g in grids], lat0)]
    return {g.pk: c.distance(tp[int(i)]) for g, c, i in zip(grids, cs, tree.nearest(cs))}


def _grids(result, subset: str) -> Listing:
    _d0, _d1, start, end = _period(result)
    grids = list(
        Grid.objects.filter(region__path__startswith=result.region.path)
        .select_related("party_org")
        .annotate(co=Count("co_builders", distinct=True))
        .order_by("code")
    )
    hh = dict(
        Household.objects.filter(grid__in=grids).values("grid_id").annotate(n=Count("id")).values_list("grid_id", "n")
    )
    active = set(
        ServiceRequest.objects.exclude(state__in=case_figures.EXCLUDED)
        .filter(grid__in=grids, created_at__gte=start, created_at__lt=end)
        .values_list("grid_id", flat=True)
    )
    dist = grid_distances(result.region.ancestor_at("district") or result.region, grids)
    radius = float(result.run.params.get("coverage_radius_m", 1500))
    rows = [
        [
            (g.code, reverse("grid", args=[g.code])),
            g.name,
            f"{g.area_m2 / 1e6:.3f}",
            hh.get(g.pk, 0),
            g.party_org.name if g.party_org_id else "—",
            g.co,
            _("是") if g.pk in active else _("否"),
            f"{dist[g.pk]:.0f}" if g.pk in dist else "—",
            (_("是") if dist[g.pk] <= radius else _("否")) if g.pk in dist else "—",
        ]
        for g in grids
    ]
    return Listing(
        [
            _("网格编码"),
            _("名称"),
            _("面积(平方公里)"),
            _("户数"),
            _("功能型网格党组织"),
            _("共建单位数"),
            _("考核期有诉求"),
            _("到最近服务点(米)"),
            _("在覆盖半径内"),
        ],
        rows,
        len(rows),
        _("服务点：学校、医院/卫生服务中心、政府、居(村)委会、社会组织中登记了坐标的单位；覆盖半径%(r)s米")
        % {"r": f"{radius:.0f}"},
    )


def _alliances_qs(result):
    from gongzhi.alliances.models import Alliance

    return Alliance.objects.filter(status=Alliance.Status.ESTABLISHED, region__path__startswith=result.region.path)


def _alliances(result, subset: str) -> Listing:
    rows = [
        [(a.code, reverse("alliances:detail", args=[a.code])), a.name, a.get_kind_display(), a.region.name]
        for a in _alliances_qs(result).select_related("region")
    ]
    return Listing([_("编号"), _("名称"), _("类型"), _("区域")], rows, len(rows))


def _meetings(result, subset: str) -> Listing:
    from gongzhi.alliances.models import Meeting

    d0, d1, *_x = _period(result)
    qs = Meeting.objects.filter(
        alliance__in=_alliances_qs(result), required=True, due_on__gte=d0, due_on__lte=min(d1, timezone.localdate())
    ).select_related("alliance")
    rows = [
        [
            (f"{m.alliance.code}/{m.pk}", reverse("alliances:meeting", args=[m.alliance.code, m.pk])),
            m.alliance.name,
            m.get_kind_display(),
            m.period,
            str(m.due_on),
            str(m.held_on or "—"),
            _("是") if m.held_on else _("否"),
        ]
        for m in qs.order_by("due_on", "id")[:LIMIT]
    ]
    return Listing(
        [_("会议"), _("联合体"), _("类型"), _("期次"), _("应开日期"), _("召开日期"), _("已召开")],
        rows,
        qs.count(),
        _("到期应开的1142必开会议；“已召开”为是的计入分子"),
    )


def _activities(result, subset: str) -> Listing:
    from gongzhi.alliances.models import Activity

    d0, d1, *_x = _period(result)
    qs = Activity.objects.filter(alliance__in=_alliances_qs(result), held_on__gte=d0, held_on__lte=d1).select_related(
        "alliance", "organiser"
    )
    rows = [
        [
            (a.alliance.code, reverse("alliances:detail", args=[a.alliance.code])),
            a.get_kind_display(),
            a.title,
            str(a.held_on),
            a.organiser.name,
        ]
        for a in qs[:LIMIT]
    ]
    return Listing([_("联合体"), _("活动类型"), _("主题"), _("日期"), _("承办单位")], rows, qs.count())


def _units(result, subset: str) -> Listing:
    from gongzhi.alliances.models import Alliance, AllianceMember

    d0, d1, *_x = _period(result)
    members = set(
        AllianceMember.objects.filter(
            alliance__status=Alliance.Status.ESTABLISHED, joined_on__isnull=False, joined_on__lte=d1
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=d0))
        .exclude(status__in=[AllianceMember.Status.PENDING, AllianceMember.Status.DECLINED])
        .values_list("unit_id", flat=True)
    )
    qs = (
        Unit.objects.filter(region__path__startswith=result.region.path)
        .exclude(kind__in=HOUSEHOLD_KINDS)
        .exclude(status=Unit.Status.DISSOLVED)
        .order_by("path")
    )
    rows = [
        [
            (u.code, reverse("unit", args=[u.code])),
            u.name,
            u.get_kind_display(),
            _("是") if u.pk in members else _("否"),
        ]
        for u in qs[:LIMIT]
    ]
    return Listing([_("编码"), _("名称"), _("类型"), _("加入联合体")], rows, qs.count())


def _summonses(result, subset: str) -> Listing:
    _d0, _d1, start, end = _period(result)
    qs = (
        Summons.objects.filter(
            whistle__request__region__path__startswith=result.region.path,
            whistle__blown_at__gte=start,
            whistle__blown_at__lt=end,
        )
        .select_related("whistle__request", "department")
        .order_by("whistle__blown_at")
    )
    rows = [
        [
            (s.whistle.request.number, reverse("cases:detail", args=[s.whistle.request.number])),
            s.department.name,
            _dt(s.whistle.blown_at),
            _dt(s.ack_due),
            _dt(s.acknowledged_at),
            _("是") if s.acknowledged_at and s.acknowledged_at <= s.ack_due else _("否"),
        ]
        for s in qs[:LIMIT]
    ]
    return Listing(
        [_("诉求"), _("被吹哨部门"), _("吹哨时间"), _("报到时限"), _("报到时间"), _("按时报到")], rows, qs.count()
    )


def _tasks(result, subset: str) -> Listing:
    from gongzhi.plans import figures as plan_figures

    d0, d1, *_x = _period(result)
    qs = plan_figures.task_records(result.region, d0, d1, "due").select_related("unit")
    on_time = set(plan_figures.task_records(result.region, d0, d1, "done_on_time").values_list("pk", flat=True))
    rows = [
        [
            (t.title, "/plans/"),
            t.unit.name,
            str(t.deadline),
            str(getattr(t, "done_on", None) or "—"),
            _("是") if t.pk in on_time else _("否"),
        ]
        for t in qs.order_by("deadline", "pk")[:LIMIT]
    ]
    return Listing(
        [_("任务"), _("责任单位"), _("完成时限"), _("完成日期"), _("按时完成")],
        rows,
        qs.count(),
        _("到期或已完成的任务（分母）；按时完成为是的计入分子"),
    )


def _volunteer_records(result, subset: str) -> Listing:
    from gongzhi.volunteers.models import ServiceRecord

    d0, d1, *_x = _period(result)
    qs = (
        ServiceRecord.objects.filter(
            status=ServiceRecord.Status.CONFIRMED,
            region__path__startswith=result.region.path,
            date__gte=d0,
            date__lte=d1,
        )
        .select_related("organiser")
        .order_by("date", "pk")
    )
    rows = [
        [
            (r.task_ref, reverse("volunteers:profile", args=[r.volunteer_id])),
            r.title,
            str(r.date),
            str(r.hours),
            r.organiser.name,
        ]
        for r in qs[:LIMIT]
    ]
    return Listing([_("活动编号"), _("服务内容"), _("日期"), _("时长(小时)"), _("组织单位")], rows, qs.count())


BYPASS_LABELS = {
    "exempt": gettext_noop("按时备案·免责"),
    "late": gettext_noop("逾期备案·扣分"),
    "unfiled": gettext_noop("未备案·扣分"),
    "pending": gettext_noop("备案期内"),
}


def _bypasses(result, subset: str) -> Listing:
    _d0, _d1, start, end = _period(result)
    qs = (
        Bypass.objects.filter(region__path__startswith=result.region.path, acted_at__gte=start, acted_at__lt=end)
        .select_related("category", "grid", "request")
        .order_by("acted_at")
    )
    now = timezone.now()
    rows = []
    for b in qs[:LIMIT]:
        st = bypass_state(b.filed_at, b.filing_due, now)
        rows.append(
            [
                _dt(b.acted_at),
                b.category.name,
                b.summary,
                b.grid.code,
                _dt(b.filing_due),
                _dt(b.filed_at),
                _(BYPASS_LABELS[st]),
                (b.request.number, reverse("cases:detail", args=[b.request.number])) if b.request_id else "—",
            ]
        )
    return Listing(
        [
            _("处置时间"),
            _("事项类别"),
            _("处置情况"),
            _("网格"),
            _("备案时限"),
            _("备案时间"),
            _("结论"),
            _("备案诉求"),
        ],
        rows,
        qs.count(),
        _("紧急和基本民生事项先行处置、事后按时备案的不扣分（容错免责）；未备案或逾期备案的每件扣分"),
    )


def _pushdowns(result: Any, subset: str) -> Listing:
    """Push-downs below the responsibility list that took effect (the ``pushdowns`` measure)."""
    from gongzhi.cases.models import PushDown

    _d0, _d1, start, end = _period(result)
    qs = (
        PushDown.objects.filter(
            region__path__startswith=result.region.path,
            requested_at__gte=start,
            requested_at__lt=end,
            status__in=[PushDown.Status.CONSENTED, PushDown.Status.APPROVED],
        )
        .select_related("request", "category", "listed_unit", "to_unit")
        .order_by("requested_at")
    )
    rows = [
        [
            _dt(p.requested_at),
            p.category.name,
            p.listed_unit.name,
            p.to_unit.name,
            p.get_status_display(),
            (p.request.number, reverse("cases:detail", args=[p.request.number])),
        ]
        for p in qs[:LIMIT]
    ]
    return Listing(
        [_("提出时间"), _("事项类别"), _("清单规定承办"), _("下派至"), _("结论"), _("诉求")],
        rows,
        qs.count(),
        _("派给比权责清单规定层级更低的单位并经同意或批准的事项；越少越好（防止向基层转嫁责任）"),
    )
