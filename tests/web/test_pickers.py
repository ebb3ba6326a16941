"""Pickers (issue 19 item 5): the search endpoint's scoping and masking, the widget, and forms that
report every error at once."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from gongzhi.org import pickers
from gongzhi.org.models import Grid, Person, Unit

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _pick(c: Client, kind: str, q: str = "", purpose: str = "") -> list[dict]:
    r = c.get(f"/pick/{kind}/", {"q": q, **({"for": purpose} if purpose else {})})
    assert r.status_code == 200, r.content
    return r.json()["results"]


# ------------------------------------------------------------------ who may ask


def test_anonymous_is_sent_to_log_in_and_a_log_in_without_a_role_is_refused(world, users):
    from django.contrib.auth import get_user_model

    assert Client().get("/pick/grid/").status_code == 302
    nobody = get_user_model().objects.create_user("t_nobody", password="pw")
    assert _client(nobody).get("/pick/grid/?q=1").status_code == 403
    assert _client(users["street_cadre"]).post("/pick/grid/").status_code == 405


def test_unknown_kind_and_purpose(world, users):
    c = _client(users["street_cadre"])
    assert c.get("/pick/planet/").status_code == 404
    r = c.get("/pick/unit/?for=everything")
    assert r.status_code == 400 and r.json()["field"] == "for"


# ------------------------------------------------------------------ scope


def test_a_street_cadre_never_gets_another_streets_grids_units_or_people(world, users):
    a, b = world.street_a.path, world.street_b.path
    for who, mine, other in (("street_cadre", a, b), ("other_street_cadre", b, a)):
        c = _client(users[who])
        grids = _pick(c, "grid")
        assert grids, who
        paths = dict(Grid.objects.values_list("code", "region__path"))
        assert all(paths[g["value"]].startswith(mine) for g in grids)
        # every grid of the other street, asked by its own code: nothing
        for code in Grid.objects.filter(region__path__startswith=other).values_list("code", flat=True)[:5]:
            assert _pick(c, "grid", code) == []
        units = _pick(c, "unit", purpose="any")
        upaths = dict(Unit.objects.values_list("code", "region__path"))
        assert units and all(upaths[u["value"]].startswith(mine) for u in units)
        other_unit = Unit.objects.filter(region__path__startswith=other).first()
        assert _pick(c, "unit", other_unit.code, "handling") == []
        assert _pick(c, "unit", other_unit.name, "any") == []
        other_person = Person.objects.filter(region__path__startswith=other).first()
        assert _pick(c, "person", str(other_person.pk)) == []
        assert _pick(c, "person", other_person.name) == []
        regions = _pick(c, "region")
        assert regions and all(r["value"] != world.street_b.code or who == "other_street_cadre" for r in regions)
        assert _pick(c, "region", (world.street_b if who == "street_cadre" else world.street_a).code) == []


def test_handling_units_reach_the_departments_above_the_street_but_only_handling_kinds(world, users):
    c = _client(users["street_cadre"])
    dept = Unit.objects.filter(kind="department", region=world.district).first()
    assert [u["value"] for u in _pick(c, "unit", dept.code, "handling")] == [dept.code]
    assert _pick(c, "unit", dept.code, "any") == []  # "any" stays within the street
    party = Unit.objects.filter(kind__startswith="party_", region__path__startswith=world.street_a.path).first()
    assert _pick(c, "unit", party.code, "handling") == []
    assert [u["value"] for u in _pick(c, "unit", party.code, "party")] == [party.code]
    kinds = dict(Unit.objects.values_list("code", "kind"))
    assert all(kinds[u["value"]] in pickers.HANDLING_KINDS for u in _pick(c, "unit", "", "handling"))


def test_categories_offer_leaves_or_majors_as_the_field_admits(world, users):
    c = _client(users["grid_worker"])
    leaves = _pick(c, "category", "", "leaf")
    assert leaves and all(re.fullmatch(r"\d{5}", x["value"]) for x in leaves)
    majors = _pick(c, "category", "", "major")
    assert majors and all(re.fullmatch(r"\d{2}", x["value"]) for x in majors)
    one = leaves[0]
    assert one["value"] in [x["value"] for x in _pick(c, "category", one["label"].split("·")[-1], "leaf")]


def test_alliance_goals_are_scoped_and_approved_only(world, users):
    from gongzhi.alliances.models import Goal

    c = _client(users["district_admin"])
    got = _pick(c, "goal", "", "approved")
    statuses = dict(Goal.objects.values_list("pk", "status"))
    assert all(statuses[int(g["value"])] == "approved" for g in got)
    other = _client(users["other_street_cadre"])
    paths = dict(Goal.objects.values_list("pk", "alliance__region__path"))
    assert all(paths[int(g["value"])].startswith(world.street_b.path) for g in _pick(other, "goal", "", "any"))


# ------------------------------------------------------------------ masking


def test_people_are_labelled_by_the_masking_rule(world, users):
    p = Person.objects.filter(region=world.comm_a).exclude(phone="").exclude(id_number="").first()
    # the street cadre may see street A's personal data: the name in clear, the phone masked
    got = _pick(_client(users["street_cadre"]), "person", p.name)
    mine = [x for x in got if x["value"] == str(p.pk)]
    assert mine and mine[0]["label"] == p.name
    # department staff see the district but not personal data: found by number only, name masked
    dept = _client(users["department_staff"])
    assert str(p.pk) not in [x["value"] for x in _pick(dept, "person", p.name)]
    got = _pick(dept, "person", str(p.pk))
    assert [x["label"] for x in got] == [p.name[:1] + "*"]
    for who in ("street_cadre", "department_staff", "district_admin"):
        body = _client(users[who]).get("/pick/person/", {"q": str(p.pk)}).content.decode()
        assert p.phone not in body and p.id_number not in body, who


# ------------------------------------------------------------------ the widget


def test_the_widget_is_a_text_input_with_the_pickers_data_and_the_values_labels(world):
    from django import forms

    g = Grid.objects.select_related("region").first()
    p = Person.objects.first()

    class F(forms.Form):
        grid = pickers.PickerField("grid")
        people = pickers.PickerField("person", multiple=True, required=False)

    html = str(F(initial={"grid": g.code, "people": str(p.pk)})["grid"])
    assert 'type="text"' in html and 'name="grid"' in html and f'value="{g.code}"' in html
    assert 'data-picker="grid"' in html and 'data-picker-url="/pick/grid/"' in html
    assert 'autocomplete="off"' in html
    labels = json.loads(re.search(r'data-picker-labels="([^"]*)"', html).group(1).replace("&quot;", '"'))
    assert labels == {g.code: f"{g.region.name} · {g.name}"}
    html = str(F(initial={"grid": g.code, "people": str(p.pk)})["people"])
    assert 'data-picker-multiple="1"' in html
    assert p.name not in html or len(p.name) == 1  # a person's label outside a request is masked


def test_the_field_names_every_unknown_value_in_one_error(world):
    from django import forms

    g = Grid.objects.first()

    class F(forms.Form):
        grids = pickers.PickerField("grid", multiple=True)

    f = F({"grids": f"{g.code}，999999999999999,888"})
    assert not f.is_valid()
    (msg,) = f.errors["grids"]
    assert "999999999999999" in msg and "888" in msg
    f = F({"grids": f"{g.code}, {g.code}"})
    assert f.is_valid() and f.cleaned_data["grids"] == g.code


def test_bound_to_a_user_the_field_admits_only_their_scope(world, users):
    from django import forms

    b_grid = Grid.objects.filter(region__path__startswith=world.street_b.path).first()

    class F(forms.Form):
        grid = pickers.PickerField("grid")

    assert F({"grid": b_grid.code}).is_valid()
    assert not pickers.bind(F({"grid": b_grid.code}), users["street_cadre"]).is_valid()


def test_pages_load_the_picker_script_and_render_pickers(world, users):
    c = _client(users["district_admin"])
    html = c.get("/requests/hotline/").content.decode()
    assert "gongzhi/picker.js" in html
    assert 'data-picker="category"' in html and 'data-picker="grid"' in html
    assert 'list="category-list"' not in html  # the datalist of every category is gone
    html = c.get("/plans/goals/new/").content.decode()
    for kind in ("goal", "unit", "region"):
        assert f'data-picker="{kind}"' in html, kind


# ------------------------------------------------------------------ every error at once


def _errors(html: str) -> int:
    return html.count('aria-invalid="true"')


def test_burden_demand_form_reports_issuer_and_targets_at_once(world, users):
    from gongzhi.burden.models import Demand

    n = Demand.objects.count()
    r = _client(users["district_admin"]).post(
        "/burden/demands/",
        {
            "issuer": "NO-SUCH-UNIT",
            "title": "",
            "kind": "report",
            "recurrence": "once",
            "issued_on": "2026-12-01",
            "units": "NOPE-1, NOPE-2",
        },
    )
    html = r.content.decode()
    assert "NO-SUCH-UNIT" in html and "NOPE-1" in html and "NOPE-2" in html
    assert html.count("errorlist") >= 3  # issuer, targets, title
    assert Demand.objects.count() == n


def test_burden_order_form_reports_issuer_and_region_at_once(world, users):
    from gongzhi.burden.models import BurdenReductionOrder

    n = BurdenReductionOrder.objects.count()
    r = _client(users["district_admin"]).post(
        "/burden/audit/",
        {"issuer": "NO-SUCH-UNIT", "title": "减负", "region": "000000000", "effective_on": "2026-12-01"},
    )
    html = r.content.decode()
    assert "NO-SUCH-UNIT" in html and "000000000" in html
    assert BurdenReductionOrder.objects.count() == n


def test_plans_goal_form_reports_region_units_and_alliance_goal_at_once(world, users):
    from gongzhi.plans.models import Goal

    n = Goal.objects.count()
    r = _client(users["district_admin"]).post(
        "/plans/goals/new/",
        {
            "title": "一个目标",
            "source_kind": "alliance",
            "alliance_goal": "999999",
            "region": "000000000",
            "lead_unit": "NO-LEAD",
            "directive_issuer": "NO-ISSUER",
        },
    )
    html = r.content.decode()
    for bad in ("999999", "000000000", "NO-LEAD", "NO-ISSUER"):
        assert bad in html, bad
    assert _errors(html) >= 4
    assert Goal.objects.count() == n
    r = _client(users["district_admin"]).post(
        "/plans/goals/new/",
        {"title": "协商目标", "source_kind": "consultation", "follow_up": "999999", "region": "000000000"},
    )
    html = r.content.decode()
    assert "没有这个协商落实事项" in html and "000000000" in html
    assert Goal.objects.count() == n


def test_incident_declaration_reports_grids_polygon_and_desk_at_once(world, users):
    from gongzhi.incidents.models import Incident

    n = Incident.objects.count()
    r = _client(users["district_admin"]).post(
        "/incidents/declare/",
        {
            "name": "内涝",
            "kind": Incident._meta.get_field("kind").choices[0][0],
            "severity": "4",
            "grids": "111111111111111",
            "polygon": "{not json",
            "desk_unit": "NO-DESK",
        },
    )
    html = r.content.decode()
    assert "111111111111111" in html and "GeoJSON" in html and "NO-DESK" in html
    assert Incident.objects.count() == n


def test_request_action_reports_unit_and_category_at_once(world, users):
    from gongzhi.cases.forms import ActionForm

    f = ActionForm({"action": "dispatch", "unit": "NO-UNIT", "category": "99999"})
    assert not f.is_valid()
    assert set(f.errors) >= {"unit", "category"}


def _volunteer(world):
    """A volunteer of community A with a time bank and one catalogue item (rows only: the tiny world has none)."""
    import datetime as dt

    from gongzhi.volunteers.models import CatalogueItem, TimeBank, Volunteer

    bank = TimeBank.objects.create(code="TB-PICK", name="拾取时间银行", region=world.street_a)
    CatalogueItem.objects.create(bank=bank, code="PICK-1", name="理发券", points=5, stock=3)
    person = Person.objects.filter(region=world.comm_a).first()
    return Volunteer.objects.create(person=person, region=world.comm_a, bank=bank, joined_on=dt.date(2026, 1, 1))


def test_volunteers_are_scoped_and_masked(world, users):
    va = _volunteer(world)
    assert [v["value"] for v in _pick(_client(users["street_cadre"]), "volunteer", str(va.pk))] == [str(va.pk)]
    assert _pick(_client(users["other_street_cadre"]), "volunteer", str(va.pk)) == []
    got = _pick(_client(users["department_staff"]), "volunteer", str(va.pk))
    assert [v["label"] for v in got] == [va.person.name[:1] + "*"]


def test_the_catalogue_offers_a_volunteer_picker(world, users):
    _volunteer(world)
    html = _client(users["street_cadre"]).get("/volunteers/catalogue/").content.decode()
    assert 'data-code="PICK-1"' in html
    assert 'data-picker="volunteer"' in html and 'type="number" min="1" placeholder' not in html
