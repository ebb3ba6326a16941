"""Demands from above: items per target and occurrence, refusals with the reason, the penetrating
audit (duplicate fields filled by the platform, hidden assessments after an order), completion."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum

from gongzhi.burden import services as S
from gongzhi.burden import sources
from gongzhi.burden.meter import parse_period
from gongzhi.burden.models import AuditFlag, Demand, DemandItem
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Conflict, DomainError, Forbidden

from .conftest import day


def test_monthly_report_to_two_committees_counts_every_occurrence(bworld):
    w = bworld
    first = dt.date(2026, 1, 31)
    d = S.issue_demand(
        SYSTEM,
        issuer=w.gov,
        title="安全检查月报",
        kind="report",
        minutes=40,
        recurrence="monthly",
        issued_on=dt.date(2026, 1, 5),
        due_on=first,
        until=dt.date(2026, 12, 31),
        units=[w.comm_a_unit, w.comm_b_unit],
    )
    items = DemandItem.objects.filter(demand=d)
    assert items.count() == 24
    ons = sorted({i.on for i in items})
    assert ons[:3] == [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31)]
    assert items.aggregate(m=Sum("minutes"))["m"] == 24 * 40
    assert d.region == w.district  # the common region of the two streets' committees
    assert set(items.values_list("region", flat=True)) == {w.comm_a.pk, w.comm_b.pk}


def test_a_worker_target_counts_for_the_worker_and_their_unit(bworld):
    w = bworld
    d = S.issue_demand(
        SYSTEM,
        issuer=w.gov_a,
        title="巡查打卡",
        kind="checkin",
        minutes=5,
        recurrence="weekly",
        issued_on=day(w, 70),
        until=day(w, 0),
        workers=[w.worker],
    )
    items = list(DemandItem.objects.filter(demand=d))
    assert len(items) == 11
    assert all(i.worker_id == w.worker.pk and i.unit_id == w.comm_a_unit.pk for i in items)


@pytest.mark.parametrize(
    "kwargs, field, words",
    [
        ({"minutes": None}, "minutes", "估计分钟"),
        ({"minutes": 0}, "minutes", "估计分钟数须在"),
        ({"units": []}, "targets", "下达对象"),
        ({"kind": "selfie"}, "kind", "请选择类型"),
        ({"recurrence": "hourly"}, "recurrence", "频次"),
        ({"title": " "}, "title", "事项名称"),
    ],
)
def test_refused_with_the_reason_and_nothing_written(bworld, kwargs, field, words):
    w = bworld
    args = dict(issuer=w.gov, title="人口核查表", kind="form", minutes=30, units=[w.comm_a_unit])
    args.update(kwargs)
    with pytest.raises(DomainError) as e:
        S.issue_demand(SYSTEM, **args)
    assert e.value.field == field and words in e.value.message
    assert not Demand.objects.exists() and not DemandItem.objects.exists()


def _definition(code="D1", manual_minutes=30):
    fields = [
        {"code": "requests", "label": "受理诉求数", "source": "cases.requests", "minutes": 20},
        {"code": "overdue", "label": "超期件数", "source": "cases.overdue_open", "minutes": 15},
    ]
    if manual_minutes:
        fields.append({"code": "story", "label": "典型案例", "source": "manual", "minutes": manual_minutes})
    return S.define_report(SYSTEM, code=code, name="接诉即办月报", fields=fields)


def test_report_request_derivable_fields_are_flagged_and_filled(bworld):
    from gongzhi.cases import demo as cases_demo

    w = bworld
    cases_demo.generate(seed=2, scale="tiny", progress=lambda *a: None)
    d = S.issue_demand(
        SYSTEM,
        issuer=w.gov,
        title="区月报",
        kind="report",
        definition=_definition(),
        period=f"{day(w, 40):%Y-%m}",
        units=[w.comm_a_unit, w.comm_b_unit],
    )
    assert (d.minutes, d.full_minutes) == (30, 65)  # only the manual field is left for the worker
    flags = AuditFlag.objects.filter(demand=d, kind="duplicate").order_by("field_code")
    assert [f.field_code for f in flags] == ["overdue", "requests"]
    assert "可由平台从记录自动生成" in flags[1].reason and flags[1].minutes_saved == 20
    start, end = parse_period(d.period)
    for region in (w.comm_a, w.comm_b):
        sources.clear_cache()
        expected = sources.compute_field("cases.requests", region, start, end)
        assert d.prefilled[region.code]["requests"] == expected
    assert sum(d.prefilled[r.code]["requests"] for r in (w.comm_a, w.comm_b)) > 0
    assert set(DemandItem.objects.filter(demand=d).values_list("minutes", flat=True)) == {30}


def test_a_fully_derivable_report_costs_nothing_and_is_done_by_the_platform(bworld):
    w = bworld
    d = S.issue_demand(
        SYSTEM,
        issuer=w.gov,
        title="区月报",
        kind="report",
        definition=_definition(manual_minutes=0),
        period="2026-10",
        units=[w.comm_a_unit],
    )
    item = DemandItem.objects.get(demand=d)
    assert d.minutes == 0 and item.minutes == 0 and item.completed_at is not None and item.auto_filled


def _order(w, region=None, on=None):
    return S.issue_order(
        SYSTEM,
        issuer=w.gov,
        title="关于精简基层报表的通知",
        region=region or w.district,
        effective_on=on or day(w, 60),
        target_cut_pct=30,
    )


def test_a_new_recurring_report_after_an_order_is_a_possible_hidden_assessment(bworld):
    w = bworld
    order = _order(w)
    before = S.issue_demand(
        SYSTEM,
        issuer=w.gov,
        title="旧月报",
        kind="report",
        minutes=30,
        recurrence="monthly",
        issued_on=day(w, 90),
        until=day(w, 0),
        units=[w.comm_a_unit],
    )
    once = S.issue_demand(
        SYSTEM, issuer=w.gov, title="一次性统计", kind="form", minutes=30, issued_on=day(w, 10), units=[w.comm_a_unit]
    )
    meeting = S.issue_demand(
        SYSTEM,
        issuer=w.gov,
        title="周例会",
        kind="meeting",
        minutes=60,
        recurrence="weekly",
        issued_on=day(w, 10),
        until=day(w, 0),
        units=[w.comm_a_unit],
    )
    new = S.issue_demand(
        SYSTEM,
        issuer=w.gov,
        title="治理成效月度统计表",
        kind="report",
        minutes=50,
        recurrence="monthly",
        issued_on=day(w, 20),
        until=day(w, -100),
        units=[w.comm_a_unit],
    )
    photo = S.issue_demand(
        SYSTEM,
        issuer=w.gov_a,
        title="每日拍照上传",
        kind="photo",
        minutes=10,
        recurrence="daily",
        issued_on=day(w, 5),
        until=day(w, 0),
        workers=[w.worker],
    )
    assert not before.hidden_assessment and not once.hidden_assessment and not meeting.hidden_assessment
    assert new.hidden_assessment and photo.hidden_assessment
    flag = AuditFlag.objects.get(demand=new)
    assert flag.kind == "hidden" and flag.order == order
    assert "关于精简基层报表的通知" in flag.reason and "治理成效月度统计表" in flag.reason and "每月" in flag.reason
    assert "留痕" in AuditFlag.objects.get(demand=photo).reason


def test_an_order_covers_only_its_region(bworld):
    w = bworld
    S.issue_order(SYSTEM, issuer=w.gov_b, title="乡镇减负令", region=w.street_b, effective_on=day(w, 60))
    a = S.issue_demand(
        SYSTEM,
        issuer=w.gov,
        title="A月报",
        kind="report",
        minutes=30,
        recurrence="monthly",
        issued_on=day(w, 10),
        units=[w.comm_a_unit],
    )
    b = S.issue_demand(
        SYSTEM,
        issuer=w.gov,
        title="B月报",
        kind="report",
        minutes=30,
        recurrence="monthly",
        issued_on=day(w, 10),
        units=[w.comm_b_unit],
    )
    assert not a.hidden_assessment and b.hidden_assessment
    with pytest.raises(DomainError) as e:
        S.issue_order(SYSTEM, issuer=w.gov_b, title="越界", region=w.street_a, effective_on=day(w, 1))
    assert e.value.field == "region"


def test_completion_by_the_worker_once(bworld):
    w = bworld
    d = S.issue_demand(SYSTEM, issuer=w.gov_a, title="入户走访登记", kind="form", minutes=20, workers=[w.worker])
    item = d.items.get()
    done = S.complete_item(w.users["grid_worker"], item)
    assert done.completed_at is not None
    with pytest.raises(Conflict):
        S.complete_item(w.users["grid_worker"], item)
    other = S.issue_demand(SYSTEM, issuer=w.gov, title="B表", kind="form", minutes=20, units=[w.comm_b_unit])
    with pytest.raises(Forbidden):
        S.complete_item(w.users["grid_worker"], other.items.get())
