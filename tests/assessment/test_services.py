"""Schemes, weights, runs, the negative list and exemptions, drill-down sources."""

import datetime as dt

import pytest
from django.utils import timezone

from gongzhi.assessment import records as REC
from gongzhi.assessment import services as A
from gongzhi.assessment.catalogue import DEFAULT_INDICATORS, DEFAULT_WEIGHTS
from gongzhi.assessment.models import Indicator, Result, Run, Scheme, SchemeWeight
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Conflict, DomainError
from gongzhi.core.models import Event


def weights(**over):
    w = {k: {c: list(v) for c, v in d.items()} for k, d in DEFAULT_WEIGHTS.items()}
    for k, v in over.items():
        w[k] = v
    return w


def test_catalogue_installs_every_default_indicator_once(world):
    A.install_catalogue(SYSTEM)
    A.install_catalogue(SYSTEM)
    assert set(Indicator.objects.values_list("code", flat=True)) == set(DEFAULT_INDICATORS)
    assert Indicator.objects.get(code="no_return").measures == ["return_rate"]
    assert {e for e in Indicator.objects.values_list("element", flat=True) if e} == {
        "concept",
        "structure",
        "platform",
        "mechanism",
    }


def test_weights_must_sum_to_one_per_area_kind(world):
    A.install_catalogue(SYSTEM)
    bad = weights(rural={"satisfaction": 0.5, "resolution": 0.45})
    with pytest.raises(DomainError) as e:
        A.create_scheme(SYSTEM, code="s1", name="方案", region=world.district, weights=bad)
    assert "农村类指标权重合计为0.95" in e.value.message and "应等于1" in e.value.message
    assert e.value.field == "weights" and e.value.code == "weights_sum"
    assert not Scheme.objects.exists() and not SchemeWeight.objects.exists()  # nothing written


@pytest.mark.parametrize(
    "bad,says",
    [
        ({"urban": {"satisfaction": 1.0}}, "缺少农村类"),
        ({"urban": {"satisfaction": 1.0}, "rural": {"nosuch": 1.0}}, "未知指标“nosuch”"),
        ({"urban": {"satisfaction": 1.0}, "rural": {"satisfaction": 1.0}, "suburb": {}}, "未知的区域类型"),
        ({"urban": {"satisfaction": 1.5}, "rural": {"satisfaction": 1.0}}, "应大于0且不超过1"),
        ({"urban": {"satisfaction": [1.0, 3]}, "rural": {"satisfaction": 1.0}}, "应在-1到1之间"),
        ({"urban": {"satisfaction": "x"}, "rural": {"satisfaction": 1.0}}, "不是数字"),
    ],
)
def test_bad_weights_refused_with_reason(world, bad, says):
    A.install_catalogue(SYSTEM)
    with pytest.raises(DomainError) as e:
        A.create_scheme(SYSTEM, code="s1", name="方案", region=world.district, weights=bad)
    assert says in e.value.message


def test_scheme_may_not_use_an_indicator_on_the_negative_list(world):
    A.install_catalogue(SYSTEM)
    # an indicator slipped into the table without the service (e.g. by SQL): the scheme check still refuses it
    Indicator.objects.create(code="photos", name="照片数", formula="min(1, photo_count / 100)")
    with pytest.raises(DomainError) as e:
        A.create_scheme(
            SYSTEM,
            code="s1",
            name="方案",
            region=world.district,
            weights=weights(urban={"satisfaction": 0.5, "photos": 0.5}),
        )
    assert "photo_count" in e.value.message and "负面清单" in e.value.message


def test_define_indicator_refuses_unknown_field_and_writes_nothing(world):
    with pytest.raises(DomainError) as e:
        A.define_indicator(SYSTEM, code="x", name="X", formula="satisfaction_rate * happiness_index")
    assert "happiness_index" in e.value.message and "可用字段" in e.value.message
    assert not Indicator.objects.exists() and not Event.objects.filter(type__startswith="assessment").exists()


def test_update_indicator_with_version_conflict(world):
    A.install_catalogue(SYSTEM)
    i = Indicator.objects.get(code="satisfaction")
    A.update_indicator(SYSTEM, i, expected_version=1, formula="0.9 * satisfaction_rate + 0.1 * resolution_rate")
    i.refresh_from_db()
    assert i.version == 2 and i.measures == ["satisfaction_rate", "resolution_rate"]
    with pytest.raises(Conflict):
        A.update_indicator(SYSTEM, i, expected_version=1, name="旧版本")
    assert Indicator.objects.get(code="satisfaction").name == "群众满意率"


def test_set_weights_conflict_and_change(world):
    s = A.install_catalogue(SYSTEM, region=world.district)
    new = weights(urban={"satisfaction": 0.6, "resolution": 0.4})
    A.set_weights(SYSTEM, s, expected_version=1, weights=new)
    s.refresh_from_db()
    assert s.version == 2
    assert dict(s.weights.filter(area_kind="urban").values_list("indicator__code", "weight")) == {
        "satisfaction": 0.6,
        "resolution": 0.4,
    }
    with pytest.raises(Conflict):
        A.set_weights(SYSTEM, s, expected_version=1, weights=weights())


def test_run_stores_every_input_with_its_source(records, scheme):
    year = timezone.localdate().year
    run = A.run_assessment(SYSTEM, scheme, str(year))
    results = {r.region.code: r for r in Result.objects.filter(run=run).select_related("region")}
    assert set(results) == {
        records.street_a.code,
        records.street_b.code,
        records.comm_a.code,
        records.comm_b.code,
        *[c.code for c in records.street_a.children.all()],
        *[c.code for c in records.street_b.children.all()],
    }
    a, b = results[records.street_a.code], results[records.street_b.code]
    # urban street → complexity index and urban weights; rural township → accessibility and rural weights
    assert (a.area_kind, a.index_name, b.area_kind, b.index_name) == ("urban", "complexity", "rural", "accessibility")
    assert {i["code"] for i in a.indicators} == set(DEFAULT_WEIGHTS["urban"])
    assert {i["code"] for i in b.indicators} == set(DEFAULT_WEIGHTS["rural"])
    for r in (a, b):
        assert sum(r.weights.values()) == pytest.approx(1)
        assert r.score == pytest.approx(sum(i["contribution"] or 0 for i in r.indicators) - r.penalty)
        for name, m in r.measures.items():
            assert "source" in m and m["source"]["kind"], name
    # the figures are the records': requests counted equal the cases figures for the street
    from gongzhi.cases import figures

    start = timezone.make_aware(dt.datetime(year, 1, 1))
    end = timezone.make_aware(dt.datetime.combine(run.end + dt.timedelta(days=1), dt.time.min))
    total = figures.total(start=start, end=end, within=records.street_a)
    assert a.measures["requests"]["value"] == total["requests"] > 0
    assert a.measures["satisfaction_rate"]["value"] == pytest.approx(total["satisfaction_rate"]["value"])
    # ranked among peers (same level, same area kind): one urban and one rural street, each first of one
    assert [(r.rank, r.rank_of) for r in (a, b)] == [(1, 1), (1, 1)]
    comms_a = sorted((r.rank, r.rank_of) for r in results.values() if r.level == "community" and r.area_kind == "urban")
    assert comms_a == [(1, 2), (2, 2)]
    ev = Event.objects.get(type="assessment.run_completed")
    assert ev.payload["results"][a.region.code] == round(a.score, 2)


def test_category_diversity_is_normalised_entropy(records, scheme):
    import math
    from collections import Counter

    from gongzhi.cases.figures import EXCLUDED
    from gongzhi.cases.models import ServiceRequest

    run = A.run_assessment(SYSTEM, scheme, str(timezone.localdate().year))
    r = Result.objects.get(run=run, region=records.comm_a)
    start = timezone.make_aware(dt.datetime.combine(run.start, dt.time.min))
    qs = ServiceRequest.objects.exclude(state__in=EXCLUDED).filter(created_at__gte=start)
    k = qs.filter(region__path__startswith=records.district.path).values("category").distinct().count()
    c = Counter(qs.filter(region=records.comm_a).values_list("category_id", flat=True))
    n = sum(c.values())
    h = -sum(v / n * math.log(v / n) for v in c.values())
    assert r.measures["category_diversity"]["value"] == pytest.approx(h / math.log(k))


def _bypass(world, acted_hours_ago, filed_after_hours=None):
    from django.contrib.auth import get_user_model

    from gongzhi.cases.models import Bypass
    from gongzhi.org.models import Grid, MatterCategory

    worker = get_user_model().objects.get_or_create(username="bp_worker")[0]
    g = Grid.objects.filter(region=world.comm_a).order_by("code").first()
    at = timezone.now() - dt.timedelta(hours=acted_hours_ago)
    filed = None if filed_after_hours is None else at + dt.timedelta(hours=filed_after_hours)
    return Bypass.objects.create(
        worker=worker,
        grid=g,
        region=g.region,
        category=MatterCategory.objects.first(),
        summary="先行处置",
        acted_at=at,
        filing_due=at + dt.timedelta(hours=24),
        filed_at=filed,
    )


def test_filed_bypasses_are_exempt_unfiled_and_late_are_penalised(world, scheme):
    _bypass(world, 100, filed_after_hours=5)  # filed in time: exempt
    _bypass(world, 100, filed_after_hours=30)  # filed late: penalised
    _bypass(world, 100)  # never filed, window passed: penalised
    _bypass(world, 2)  # window still open: neither
    run = A.run_assessment(SYSTEM, scheme, str(timezone.localdate().year))
    r = Result.objects.get(run=run, region=world.comm_a)
    assert (r.exemptions, r.penalised, r.penalty) == (1, 2, 4.0)
    assert r.measures["bypass_penalised"]["pending"] == 1
    assert r.score == pytest.approx(max(0, r.raw_score - 4))
    street = Result.objects.get(run=run, region=world.street_a)
    assert (street.exemptions, street.penalised) == (1, 2)  # counted up the tree
    other = Result.objects.get(run=run, region=world.street_b)
    assert (other.exemptions, other.penalised, other.penalty) == (0, 0, 0)
    listing = REC.records_for(r, "bypasses")
    assert listing.total == 4
    assert sorted(row[6] for row in listing.rows) == sorted(
        ["按时备案·免责", "逾期备案·扣分", "未备案·扣分", "备案期内"]
    )


def test_drill_down_lists_the_records_behind_a_number(records, scheme):
    run = A.run_assessment(SYSTEM, scheme, str(timezone.localdate().year))
    r = Result.objects.get(run=run, region=records.street_a)
    req = REC.records_for(r, "requests")
    assert req.total == r.measures["requests"]["value"]
    assert req.rows[0][0][1].startswith("/requests/r/")
    rated = REC.records_for(r, "satisfaction_rate")
    assert rated.total == r.measures["satisfaction_rate"]["den"]
    meetings = REC.records_for(r, "meetings_1142_kept")
    assert meetings.total == r.measures["meetings_1142_kept"]["den"] > 0
    assert sum(1 for row in meetings.rows if row[-1] == "是") == r.measures["meetings_1142_kept"]["num"]
    grids = REC.records_for(r, "service_distance_m")
    assert grids.total == r.measures["area_km2"]["num"]
    units = REC.records_for(r, "alliance_unit_share")
    assert units.total == r.measures["alliance_unit_share"]["den"]
    assert sum(1 for row in units.rows if row[-1] == "是") == r.measures["alliance_unit_share"]["num"]
    persons = REC.records_for(r, "mobile_share")
    assert sum(row[1] for row in persons.rows) == r.measures["population"]["value"]


def test_fusion_four_elements_from_data(records, scheme):
    run = A.run_assessment(SYSTEM, scheme, str(timezone.localdate().year))
    r = Result.objects.get(run=run, region=records.street_a)
    el = r.fusion["elements"]
    assert set(el) == {"concept", "structure", "platform", "mechanism"}
    for e in el.values():
        assert e["indicators"]
    struct = {i["code"]: i["value"] for i in el["structure"]["indicators"]}
    assert struct["alliance_units"] == pytest.approx(r.measures["alliance_unit_share"]["value"])
    mech = {i["code"]: i["value"] for i in el["mechanism"]["indicators"]}
    assert mech["meetings_1142"] == pytest.approx(r.measures["meetings_1142_kept"]["value"])


def test_run_refuses_future_period_and_region_outside_scheme(world, scheme):
    with pytest.raises(DomainError) as e:
        A.run_assessment(SYSTEM, scheme, f"{timezone.localdate().year + 1}-Q1")
    assert "尚未开始" in e.value.message
    other = Scheme.objects.create(code="street-only", name="街道方案", region=world.street_a)
    for k, d in DEFAULT_WEIGHTS.items():
        for c, (w, s) in d.items():
            SchemeWeight.objects.create(
                scheme=other, area_kind=k, indicator=Indicator.objects.get(code=c), weight=w, shift=s
            )
    with pytest.raises(DomainError) as e:
        A.run_assessment(SYSTEM, other, "2026", world.street_b)
    assert "不在其范围内" in e.value.message
    assert not Run.objects.exists()


def test_period_end_is_clipped_to_today(world, scheme):
    today = timezone.localdate()
    run = A.run_assessment(SYSTEM, scheme, str(today.year))
    assert run.start == dt.date(today.year, 1, 1) and run.end == today
