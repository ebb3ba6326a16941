"""Every app declares what it adds in one manifest, read at start-up; a broken one fails loudly."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.apps import AppConfig, apps
from django.core.exceptions import ImproperlyConfigured

from gongzhi.core import manifest
from gongzhi.core.manifest import DemoStep, Job, Manifest, Permissions, Urls

ROOT = Path(__file__).resolve().parents[2]


def _config(label: str, m) -> AppConfig:
    """A stand-in app config (not installed) carrying manifest ``m``."""
    cfg = AppConfig.__new__(AppConfig)
    cfg.name, cfg.label, cfg.manifest = f"gongzhi.{label}", label, m
    return cfg


def test_every_gongzhi_app_has_a_manifest():
    configs = [c for c in apps.get_app_configs() if c.name.startswith("gongzhi.")]
    assert len(configs) >= 20
    for cfg in configs:
        assert isinstance(getattr(type(cfg), "manifest", None), Manifest), cfg.label


def test_the_core_lists_come_from_the_manifests():
    from gongzhi.api.api import api
    from gongzhi.core import schedule

    loaded = manifest.loaded()
    # the API: one router per app that names one, all mounted
    declared = {label for label, m in loaded.manifests.items() if m.api}
    assert {label for label, _prefix, _router in loaded.routers} == declared
    assert {"cases", "org", "ledger", "privacy", "resources"} <= declared
    mounted = {router for _prefix, router in api._routers}
    assert all(router in mounted for _label, _prefix, router in loaded.routers)
    # the jobs: each app's own
    assert {j.name.split(".")[0] for j in schedule.JOBS} == {
        "core",
        "cases",
        "consult",
        "alerts",
        "plans",
        "privacy",
        "notify",
        "opendata",
        "command",
    }
    assert tuple(schedule.JOBS) == tuple(loaded.jobs)
    # the demo steps, in their order (an app's demo may need another's data)
    steps = [label for label, _step, _fn in loaded.demos]
    assert steps[0] == "cases" and steps.index("alliances") < steps.index("resources") < steps.index("plans")
    # permission actions registered in the one table
    from gongzhi.org import permissions as perm

    for _label, roles, labels in loaded.permissions:
        for role, actions in roles.items():
            assert actions <= perm.ROLE_ACTIONS[role]
        assert set(labels) <= set(perm.ACTION_LABELS)


def test_the_urls_come_from_the_manifests():
    from django.urls import reverse

    assert reverse("cases:index") == "/requests/"
    assert reverse("resources:index") == "/resources/"
    assert reverse("audit_log") == "/audit/"
    assert reverse("healthz") == "/healthz"
    assert reverse("my_data") == "/account/my-data/"


def test_the_navigation_is_read_from_the_manifests(db, users, client):
    client.force_login(users["street_cadre"])
    html = client.get("/").content.decode()
    nav = html[html.index('<nav id="site-nav"') : html.index("</nav>")]
    hrefs = re.findall(r'href="([^"]+)"', nav)
    assert hrefs == [
        "/",
        "/org/",
        "/party/gaps/",
        "/party/coverage/",
        "/map/",
        "/lists/",
        "/requests/",
        "/patrols/",
        "/alerts/",
        "/alerts/agenda/",
        "/alliances/",
        "/resources/",
        "/volunteers/",
        "/consult/",
        "/councils/",
        "/plans/",
        "/plans/reviews/",
        "/assessment/",
        "/burden/",
        "/command/",
        "/command/mechanisms/",
        "/incidents/",
        "/ledger/",
        "/data/",
        "/notify/messages/",
        "/api/v1/docs",
        "/admin/",
    ]  # the street cadre is staff


@pytest.mark.parametrize(
    "broken, says",
    [
        (Manifest(api="gongzhi.nosuchapp.api:router"), "does not import"),
        (Manifest(api="gongzhi.cases.api:no_router"), "has no 'no_router'"),
        (Manifest(api="gongzhi.cases.api"), "must name the router"),
        (Manifest(urls=(Urls("x/", "gongzhi.nosuchapp.urls"),)), "does not import"),
        (Manifest(demo=DemoStep("gongzhi.cases.demo:no_such_step", 1)), "has no 'no_such_step'"),
        (Manifest(jobs=(Job("x.y", dt.timedelta(minutes=1), "gongzhi.cases.tasks.no_such_task", ""),)), "no_such_task"),
        (Manifest(permissions=Permissions("gongzhi.cases.perms:NO_ROLES", "gongzhi.cases.perms:LABELS")), "NO_ROLES"),
        (
            Manifest(
                subscribers=("gongzhi.cases.no_subscribers",),
            ),
            "does not import",
        ),
        (Manifest(figures="gongzhi.cases.no_figures"), "does not import"),
        (Manifest(contracts="gongzhi.cases.no_contracts"), "does not import"),
    ],
)
def test_a_broken_manifest_piece_fails_loudly(broken, says):
    with pytest.raises(ImproperlyConfigured, match=re.escape(says)) as exc:
        manifest.load([_config("broken", broken)])
    assert "'broken'" in str(exc.value)  # names the app


def test_an_app_without_a_manifest_fails_loudly():
    cfg = _config("bare", None)
    with pytest.raises(ImproperlyConfigured, match="declares no `manifest"):
        manifest.load([cfg])


def test_a_missing_default_contracts_module_is_fine_a_declared_one_is_not():
    assert manifest.load([_config("web", Manifest())]).contracts == []  # gongzhi.web.contracts: absent
    assert manifest.load([_config("cases", Manifest(contracts=None))]).contracts == []


def test_start_up_fails_with_a_broken_manifest(tmp_path):
    """The whole start-up (``gongzhi check``), not just :func:`manifest.load`: an installed app whose
    manifest names a module that does not import stops it with ImproperlyConfigured."""
    (tmp_path / "brokensettings.py").write_text(
        textwrap.dedent("""
        from gongzhi.settings_test import *  # noqa: F403
        from gongzhi.cases.apps import CasesConfig
        from gongzhi.core.manifest import Manifest

        CasesConfig.manifest = Manifest(api="gongzhi.cases.no_such_api:router")
    """)
    )
    env = {
        "PYTHONPATH": f"{tmp_path}:{ROOT / 'src'}",
        "DJANGO_SETTINGS_MODULE": "brokensettings",
        "GONGZHI_VAR_DIR": str(tmp_path / "var"),
        "PATH": "/usr/bin:/bin",
    }
    r = subprocess.run(
        [sys.executable, "-m", "gongzhi.cli", "check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert r.returncode != 0
    assert "ImproperlyConfigured" in r.stderr and "no_such_api" in r.stderr and "'cases'" in r.stderr
