"""Shared fixtures: a tiny synthetic district (two streets: one urban, one rural)
and users holding each platform role."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def world(db):
    """The 'tiny' demo: city → district → street A (urban) and township B (rural), two communities each."""
    from gongzhi.core.models import Region
    from gongzhi.demo.generator import DemoGenerator
    from gongzhi.org import geo

    gen = DemoGenerator(seed=7, scale="tiny")
    gen.build()
    gen.check()
    gen.write()
    geo.invalidate()
    streets = list(Region.objects.filter(level="street").order_by("code"))
    w = type("World", (), {})()
    w.gen = gen
    w.district = Region.objects.get(level="district")
    w.street_a, w.street_b = streets
    w.comm_a = Region.objects.filter(parent=w.street_a).order_by("code").first()
    w.comm_b = Region.objects.filter(parent=w.street_b).order_by("code").first()
    return w


@pytest.fixture
def users(world):
    """One user per role: district admin; street cadre, community cadre, grid worker of street A;
    department staff; auditor; and a street cadre of street B."""
    from django.contrib.auth import get_user_model

    from gongzhi.org.models import StaffRole, Unit

    User = get_user_model()

    def make(name, unit, role):
        u = User.objects.create_user(name, password="pw-" + name, is_staff=True)
        StaffRole.objects.create(user=u, unit=unit, role=role, region=unit.region)
        return u

    d = world.district.code
    out = {
        "district_admin": make("t_district", Unit.objects.get(code=f"{d}-GOV"), "district_admin"),
        "street_cadre": make("t_street", Unit.objects.get(code=f"{world.street_a.code}-GOV"), "street_cadre"),
        "community_cadre": make(
            "t_comm", Unit.objects.get(region=world.comm_a, kind="residents_committee"), "community_cadre"
        ),
        "grid_worker": make("t_grid", Unit.objects.get(region=world.comm_a, kind="residents_committee"), "grid_worker"),
        "department_staff": make("t_dept", Unit.objects.get(code=f"{d}-CGJ"), "department_staff"),
        "auditor": make("t_audit", Unit.objects.get(code=f"{d}-GOV"), "auditor"),
        "other_street_cadre": make("t_street_b", Unit.objects.get(code=f"{world.street_b.code}-GOV"), "street_cadre"),
    }
    return out


@pytest.fixture
def scratch_database_url(tmp_path, request):
    """A database for a test that starts real processes: a SQLite file, or, when the suite runs on
    PostgreSQL, a scratch database made for the test (named after its module) and dropped after it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    import psycopg

    name = f"gongzhi_{request.module.__name__.rsplit('.', 1)[-1]}_{os.getpid()}"[:63]
    admin = psycopg.connect(url, autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def square(lon: float, lat: float, size: float = 0.001) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]],
    }
