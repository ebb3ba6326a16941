"""The power list (权力清单) beside the responsibility list (issue 20, item 2).

Seed 001: "制定并动态优化基层治理权责清单 … 坚决扭转‘权力上收、责任下移’的错配现象" and "破解‘权小责大’";
seed 002: "通过制定街道乡镇权力清单、责任清单 … 防止向基层增加负担、转嫁责任". The power list says what a unit may
decide (enforcement, inspection …), where; a matter's category says which powers it needs.
"""

from __future__ import annotations

import datetime as dt

import pytest

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.models import Event
from gongzhi.org import responsibility, services
from gongzhi.org.demo import install_power_list
from gongzhi.org.models import MatterCategory, Power, Unit


def test_define_and_grant_are_list_management(world, users):
    cat = MatterCategory.objects.get(code="03003")
    with pytest.raises(Forbidden):
        services.define_power(users["street_cadre"], code="gas_safety", name="燃气安全监管", categories=[cat])
    p = services.define_power(users["district_admin"], code="gas_safety", name="燃气安全监管", categories=[cat])
    cgw = Unit.objects.get(code=f"{world.district.code}-CGW")
    with pytest.raises(Forbidden):
        services.grant_power(users["street_cadre"], unit=cgw, power=p, region=world.district)
    g = services.grant_power(users["district_admin"], unit=cgw, power="gas_safety", region=world.district)
    assert g.effective_from == dt.date.today() or g.effective_from is not None
    ev = Event.objects.get(type="org.power_granted")
    assert ev.public and ev.payload == {
        "power": "gas_safety",
        "unit": cgw.code,
        "region": world.district.code,
        "effective_from": g.effective_from.isoformat(),
        "grant": g.pk,
    }
    assert Event.objects.get(type="org.power_defined").payload["categories"] == ["03003"]
    with pytest.raises(DomainError) as e:
        services.grant_power(SYSTEM, unit=cgw, power="no_such", region=world.district)
    assert e.value.code == "unknown_power" and e.value.field == "power"
    with pytest.raises(DomainError) as e:
        services.define_power(SYSTEM, code="Bad Code", name="x")
    assert e.value.field == "code"


def test_a_unit_holds_a_power_where_granted_and_while_in_force(world):
    install_power_list()
    gas = MatterCategory.objects.get(code="03003")
    cgw = Unit.objects.get(code=f"{world.district.code}-CGW")
    rc = Unit.objects.get(region=world.comm_a, kind="residents_committee")
    # granted district-wide: holds it in every community below
    assert responsibility.missing_powers(cgw, gas, world.comm_a) == []
    assert responsibility.missing_powers(cgw, gas, world.comm_b) == []
    assert [p.code for p in responsibility.missing_powers(rc, gas, world.comm_a)] == ["gas_safety"]
    # a street's government holds enforcement in its own street, not in the other one
    illegal = MatterCategory.objects.filter(code__startswith="08", parent__isnull=False).first()
    gov_a = Unit.objects.get(code=f"{world.street_a.code}-GOV")
    assert responsibility.missing_powers(gov_a, illegal, world.comm_a) == []  # the minor class inherits 08's need
    assert [p.code for p in responsibility.missing_powers(gov_a, illegal, world.comm_b)] == ["enforcement"]
    # a category needing nothing can go to anyone
    assert responsibility.missing_powers(rc, MatterCategory.objects.get(code="01001"), world.comm_a) == []
    # an ended line no longer holds
    grant = cgw.power_grants.get(power__code="gas_safety")
    services.end_power_grant(SYSTEM, grant, effective_to=dt.date.today())
    assert responsibility.missing_powers(cgw, gas, world.comm_a)
    with pytest.raises(DomainError):
        services.end_power_grant(SYSTEM, grant, effective_to=grant.effective_from)


def test_every_unit_the_demo_list_names_holds_what_the_matter_needs(world):
    """The demo's power list agrees with its responsibility list: routing by the list is never refused."""
    from gongzhi.org.models import Grid

    install_power_list()
    assert Power.objects.count() == 3
    needing = MatterCategory.objects.filter(code__regex=r"^\d{5}$")
    for grid in Grid.objects.filter(region__in=[world.comm_a, world.comm_b]).select_related("region")[:2]:
        for cat in needing:
            if not responsibility.needs_powers(cat):
                continue
            d = responsibility.resolve(cat.code, grid=grid)
            assert responsibility.missing_powers(d.unit, cat, grid.region) == [], (cat.code, d.unit.code)


def test_power_list_page_and_needs_cache(world, users, client):
    install_power_list()
    client.force_login(users["street_cadre"])
    r = client.get("/requests/powers/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "燃气安全监管" in body and "城市管理委员会" in body
    # a category gaining a need is seen at once in this process
    cat = MatterCategory.objects.get(code="04002")
    assert not responsibility.needs_powers(cat)
    services.define_power(SYSTEM, code="greening", name="绿化管理", categories=[cat])
    assert responsibility.needs_powers(cat)
