"""Hidden assessment in disguise (seed 001, issue 21 item 8): responsibility pledges with targets or
penalties on units a burden-reduction order protects (变相责任状), and repeated research visits that ask
for materials or score (以调研代替检查); reasons stored as a code and params, rendered in the viewer's
language; pages and API."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from gongzhi.burden import disguise
from gongzhi.burden import services as S
from gongzhi.burden.models import AuditFlag
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError

from .conftest import day


def _order(w, region=None, back=60):
    return S.issue_order(
        SYSTEM,
        issuer=w.gov,
        title="关于为基层减负的通知",
        region=region or w.district,
        effective_on=day(w, back),
        target_cut_pct=30,
    )


def _pledge(w, back=10, units=None, **kw):
    return S.issue_demand(
        SYSTEM,
        issuer=w.gov,
        title="社区安全生产目标责任书",
        kind="pledge",
        minutes=60,
        issued_on=day(w, back),
        units=units or [w.comm_a_unit],
        **kw,
    )


def _visit(w, back, units=None, issuer=None, **kw):
    return S.issue_demand(
        SYSTEM,
        issuer=issuer or w.gov,
        title="基层治理专题调研",
        kind="research",
        minutes=120,
        issued_on=day(w, back),
        units=units if units is not None else [w.comm_a_unit],
        **kw,
    )


# ----------------------------------------------------------------- 变相责任状


def test_a_pledge_with_targets_or_penalties_on_protected_units_is_flagged(bworld):
    w = bworld
    order = _order(w)
    p = _pledge(w, has_targets=True, has_penalties=True, units=[w.comm_a_unit, w.comm_b_unit])
    (flag,) = p.flags.all()
    assert flag.kind == "pledge" and flag.order == order and p.hidden_assessment
    assert flag.code == "pledge_targets_penalties" and flag.reason == ""
    assert flag.params["targets"] == 2 and flag.params["order"] == order.title
    assert flag.params["effective_on"] == order.effective_on.isoformat()
    assert "变相责任状" in flag.reason_text and order.title in flag.reason_text
    assert _pledge(w, has_targets=True).flags.get().code == "pledge_targets"
    assert _pledge(w, has_penalties=True).flags.get().code == "pledge_penalties"


def test_pledges_not_flagged(bworld):
    w = bworld
    assert not _pledge(w, has_targets=True).flags.exists()  # no order at all
    _order(w, region=w.street_b)
    assert not _pledge(w, has_targets=True).flags.exists()  # the order protects street B, not community A
    _order(w, back=5)
    assert not _pledge(w, back=10, has_penalties=True).flags.exists()  # signed before the order
    plain = _pledge(w, back=1)  # a commitment with neither targets nor penalties
    assert not plain.flags.exists() and not plain.hidden_assessment
    assert _pledge(w, back=1, has_targets=True).flags.get().kind == "pledge"


def test_pledge_and_visit_fields_belong_to_their_kinds(bworld):
    w = bworld
    with pytest.raises(DomainError) as e:
        S.issue_demand(
            SYSTEM, issuer=w.gov, title="月报", kind="report", minutes=5, units=[w.comm_a_unit], has_targets=True
        )
    assert e.value.field == "kind"
    with pytest.raises(DomainError):
        _pledge(w, scores=True)
    with pytest.raises(DomainError):
        _pledge(w, grid=w.grid)


# ----------------------------------------------------------------- 以调研代替检查


def test_repeated_research_visits_asking_for_materials_or_scores_are_flagged(bworld):
    w = bworld
    first = _visit(w, 20, asks_materials=True)
    assert not first.flags.exists()
    second = _visit(w, 8, issuer=w.gov_a, scores=True)
    (flag,) = second.flags.all()
    assert flag.kind == "research" and flag.code == "research_scores" and second.hidden_assessment
    assert flag.params["visits"] == 2 and flag.params["first_on"] == day(w, 20).isoformat()
    assert flag.params["window"] == disguise.RESEARCH_WINDOW_DAYS and flag.params["target"] == w.comm_a_unit.name
    third = _visit(w, 2, asks_materials=True, scores=True)
    assert third.flags.get().params["visits"] == 3 and third.flags.get().code == "research_materials_scores"
    assert "以调研代替检查" in third.flags.get().reason_text


def test_research_visits_not_flagged(bworld):
    w = bworld
    for back in (25, 15, 5):
        assert not _visit(w, back).flags.exists()  # listening visits, however often
    _visit(w, 90, asks_materials=True)
    assert not _visit(w, 50, asks_materials=True).flags.exists()  # 40 days apart: outside the window
    _visit(w, 3, units=[w.comm_b_unit], scores=True)
    assert not _visit(w, 1, scores=True).flags.exists()  # the last such visit to community A was 50 days back


def test_research_visits_to_the_same_grid(bworld):
    w = bworld
    _visit(w, 12, units=[w.comm_a_unit], grid=w.grid, asks_materials=True)
    v = _visit(w, 2, units=[w.comm_b_unit], grid=w.grid, asks_materials=True)
    (flag,) = v.flags.all()
    assert flag.params["target_kind"] == "grid" and flag.params["target"] == w.grid.name


def test_reasons_render_in_the_viewers_language(bworld):
    w = bworld
    _order(w)
    flag = _pledge(w, has_targets=True).flags.get()
    with translation.override("zh-hans"):
        zh = flag.reason_text
    assert "变相责任状" in zh
    # an unknown code or bad params never breaks a page: the stored text, or the template, is shown
    bad = AuditFlag(code="no_such_code", reason="旧文本")
    assert bad.reason_text == "旧文本"
    broken = AuditFlag(code="pledge_targets", params={})
    assert "%(" in broken.reason_text


def test_yearly_view_counts_each_guise(bworld):
    from gongzhi.burden import audit

    w = bworld
    order = _order(w)
    _pledge(w, has_targets=True)
    _visit(w, 9, asks_materials=True)
    _visit(w, 4, asks_materials=True)
    v = audit.yearly_view(w.district, order)
    assert v["hidden_by_kind"] == {"hidden": 0, "pledge": 1, "research": 1} and v["hidden"] == 2


# ----------------------------------------------------------------- pages and API


def test_pages_show_the_flags(bworld, client):
    w = bworld
    _order(w)
    p = _pledge(w, has_targets=True)
    client.force_login(w.users["street_cadre"])
    page = client.get("/burden/audit/?kind=pledge").content.decode()
    assert "社区安全生产目标责任书" in page and "变相责任状" in page
    detail = client.get(f"/burden/demands/{p.pk}/").content.decode()
    assert 'id="demand-terms"' in detail and "疑似变相责任状" in detail


def test_issue_a_research_visit_by_form_and_api(bworld, client):
    w = bworld
    client.force_login(w.users["district_admin"])
    base = {
        "issuer": w.gov.code,
        "title": "网格治理调研",
        "kind": "research",
        "minutes": 90,
        "recurrence": "once",
        "units": w.comm_a_unit.code,
        "asks_materials": "on",
        "grid": w.grid.code,
    }
    r = client.post("/burden/demands/", {**base, "issued_on": day(w, 6).isoformat()})
    assert r.status_code == 302
    r = client.post("/burden/demands/", {**base, "issued_on": day(w, 2).isoformat()})
    assert r.status_code == 302
    d = S.Demand.objects.filter(title="网格治理调研").order_by("-id").first()
    assert d.grid == w.grid and d.asks_materials and d.flags.filter(kind="research").count() == 2  # unit and grid
    body = {
        "issuer": w.gov.code,
        "title": "安全承诺书",
        "kind": "pledge",
        "minutes": 30,
        "units": [w.comm_a_unit.code],
        "has_penalties": True,
    }
    _order(w)
    r = client.post("/api/v1/burden/demands", json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    (flag,) = r.json()["flags"]
    assert flag["kind"] == "pledge" and flag["code"] == "pledge_penalties" and "变相责任状" in flag["reason"]
    r = client.post("/api/v1/burden/demands", json.dumps({**body, "kind": "report"}), content_type="application/json")
    assert r.status_code == 400 and r.json()["field"] == "kind"
    r = client.post(
        "/api/v1/burden/demands",
        json.dumps({**body, "kind": "research", "has_penalties": False, "grid": "999"}),
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["field"] == "grid"
    audit = client.get(f"/api/v1/burden/audit?region={w.district.code}").json()
    assert audit["hidden_by_kind"]["pledge"] == 1 and audit["hidden_by_kind"]["research"] == 2


def test_the_demo_shows_each_guise(world):
    from gongzhi.burden.models import Demand

    from .test_demo import _run

    _run(world)
    pledge = AuditFlag.objects.filter(kind="pledge")
    assert [f.demand.title for f in pledge] == ["社区安全生产和信访稳定目标责任书"]
    assert pledge[0].code == "pledge_targets_penalties"
    research = AuditFlag.objects.filter(kind="research")
    assert sorted({f.demand.title for f in research}) == ["“减负增效”落实情况调研", "网格化管理工作调研"]
    assert sorted(f.params["target_kind"] for f in research) == ["grid", "grid", "unit", "unit"]
    for title in ("文明城市创建倡议承诺书", "听取居民意见座谈调研", "基层治理现代化专题调研"):
        assert not Demand.objects.get(title=title).flags.exists()


def test_admin_shows_the_rendered_reason(bworld, client):
    from django.contrib.auth import get_user_model

    w = bworld
    _order(w)
    _pledge(w, has_targets=True)
    admin = get_user_model().objects.create_superuser("t_super", password="pw-super-123")
    client.force_login(admin)
    page = client.get("/admin/burden/auditflag/").content.decode()
    assert "pledge_targets" in page and "变相责任状" in page
