"""Fixtures: units of street A (urban) and township B (rural) and an established alliance."""

from __future__ import annotations

import datetime as dt

import pytest

from gongzhi.alliances import services as S
from gongzhi.core.actors import SYSTEM
from gongzhi.org.models import Unit

Y = 2025
FOUNDED = dt.date(Y, 1, 6)


@pytest.fixture
def units(world):
    a, b = world.street_a, world.street_b
    u = type("Units", (), {})()
    u.street_party = Unit.objects.get(code=f"{a.code}-PARTY")
    u.township_party = Unit.objects.get(code=f"{b.code}-PARTY")
    u.district_party = Unit.objects.get(code=f"{world.district.code}-PARTY")
    u.comm_party = Unit.objects.filter(region=world.comm_a, kind="party_community").first()
    u.residents = Unit.objects.get(region=world.comm_a, kind="residents_committee")
    u.village_party = Unit.objects.filter(region=world.comm_b, kind="party_village").first()
    u.school = Unit.objects.get(region=a, kind="school")
    u.hospital = Unit.objects.get(region=a, kind="hospital")
    u.firms = list(Unit.objects.filter(region=a, kind__startswith="enterprise").order_by("code"))
    u.social = Unit.objects.get(region=a, kind="social_org")
    u.property = Unit.objects.filter(region=world.comm_a, kind="property_company").first()
    u.state_firm = Unit.objects.filter(region=b, kind="enterprise_state").first()
    u.pool = [u.school, u.hospital, *u.firms, u.social, u.property, u.residents]
    return u


def found(lead, members, *, name="联合体", kind="cross_domain", on=FOUNDED, actor=SYSTEM, **kw):
    a = S.apply_alliance(
        lead_unit=lead, kind=kind, name=name, purpose="共建共治", members=members, actor=actor, on=on, **kw
    )
    return S.decide_application(a, approve=True, actor=actor, on=on)


@pytest.fixture
def alliance(units):
    return found(units.comm_party, [units.school, units.property, units.firms[0]], name="社区共建联合体")
