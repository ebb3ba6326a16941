"""Per-process caches notice other processes' changes: a region or matter category edited elsewhere (the
admin of another node) moves a shared generation, and this process drops its regions' ancestor chains
and its routing snapshot within RECHECK_SECONDS. One test runs two real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from gongzhi.core import generations
from gongzhi.core import models as core_models
from gongzhi.core.models import Region
from gongzhi.org import responsibility
from gongzhi.org.models import Grid, MatterCategory


@pytest.fixture
def fast_recheck(monkeypatch):
    monkeypatch.setattr(generations, "RECHECK_SECONDS", 0.0)
    monkeypatch.setattr(responsibility, "RECHECK_SECONDS", 0.0)


def _other_process_bumps(name):
    """What the signal in another process leaves behind: the shared token moved (no local signal ran)."""
    from django.core.cache import cache

    cache.set(generations.KEY % name, f"other-{time.monotonic_ns()}", timeout=None)


@pytest.mark.django_db
def test_bump_is_published_on_commit_once_per_transaction(django_capture_on_commit_callbacks):
    before = generations.current("t")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        generations.bump("t")
        generations.bump("t")
    assert len(callbacks) == 1 and generations.current("t") not in (None, before)


@pytest.mark.django_db
def test_a_region_renamed_elsewhere_is_seen_in_the_ancestor_chain(world, fast_recheck):
    comm = world.comm_a
    assert comm.ancestors()[-2].name == world.street_a.name
    core_models._regions_generation.changed(force=True)  # settled
    Region.objects.filter(pk=world.street_a.pk).update(name="改名街道")  # no signal here: as elsewhere
    assert comm.ancestors()[-2].name == world.street_a.name  # the token has not moved: still cached
    _other_process_bumps("regions")
    assert comm.ancestors()[-2].name == "改名街道"


@pytest.mark.django_db
def test_a_category_edited_elsewhere_reaches_the_routing_snapshot(world, fast_recheck):
    grid = Grid.objects.filter(region=world.comm_a).order_by("code").first()
    cat = MatterCategory.objects.get(code="02003")
    sla = responsibility.resolve("02003", grid=grid).sla
    other = next(s for s in ("emergency", "general", "complex") if s != cat.default_sla)
    MatterCategory.objects.filter(pk=cat.pk).update(default_sla=other)  # counts and ids unchanged
    assert responsibility.resolve("02003", grid=grid).sla == sla  # the watermark cannot see it
    _other_process_bumps("categories")
    assert responsibility.resolve("02003", grid=grid).category.default_sla == other


# --------------------------------------------------------------------------- two real processes

READER = """
import sys, time
import django
django.setup()
from gongzhi.core import generations
from gongzhi.core.models import Region
generations.RECHECK_SECONDS = 0.5
comm = Region.objects.get(code="990102001001")
print("before", comm.ancestors()[1].name, flush=True)
sys.stdin.readline()  # the other process has renamed the district
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    name = comm.ancestors()[1].name
    if name != "旧区":
        break
    time.sleep(0.1)
print("after", name, flush=True)
"""

WRITER = """
import django
django.setup()
from gongzhi.core.models import Region
r = Region.objects.get(code="990102")
r.name = "新区"
r.save()  # as the admin does: post_save in this process only
"""

SETUP = """
import django
django.setup()
from gongzhi.core import services
from gongzhi.core.actors import SYSTEM
city = services.create_region(SYSTEM, code="990100", name="市", level="city")
d = services.create_region(SYSTEM, code="990102", name="旧区", level="district", parent=city)
s = services.create_region(SYSTEM, code="990102001", name="街道", level="street", parent=d)
services.create_region(SYSTEM, code="990102001001", name="社区", level="community", parent=s)
"""


@pytest.mark.slow  # migrates core in a scratch database and runs four processes
def test_a_region_renamed_in_another_process_is_seen_here(tmp_path, scratch_database_url):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="gongzhi.settings",
        DATABASE_URL=scratch_database_url,
        GONGZHI_VAR_DIR=str(tmp_path / "var"),
        GONGZHI_TASKS="immediate",
    )
    env.pop("GONGZHI_CACHE_URL", None)
    env.pop("GONGZHI_REDIS_URL", None)  # the database's cache table: shared through the database
    py = sys.executable
    subprocess.run([py, "-m", "django", "migrate", "core", "-v0"], env=env, check=True, timeout=600)
    subprocess.run([py, "-c", SETUP], env=env, check=True, timeout=120)
    reader = subprocess.Popen(
        [py, "-c", READER], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout.readline().split() == ["before", "旧区"]
        subprocess.run([py, "-c", WRITER], env=env, check=True, timeout=120)
        reader.stdin.write("go\n")
        reader.stdin.flush()
        out, err = reader.communicate(timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
    assert out.split() == ["after", "新区"], err


@pytest.mark.django_db
def test_the_category_suggester_retrains_when_categories_change_elsewhere(world, monkeypatch):
    from gongzhi.cases import classify

    monkeypatch.setattr(classify, "CHECK_EVERY_S", 0.0)
    monkeypatch.setattr(classify, "_model", None)
    first = classify.model()
    assert first is not None and classify.model() is first  # nothing changed: the same model
    _other_process_bumps("categories")
    second = classify.model()
    assert second is not None and second is not first and classify.model() is second
