"""Production mode: refuses to start without explicit keys; passes Django's deploy check."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

pytestmark = pytest.mark.sqlite_only


def gongzhi(tmp_path, *args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GONGZHI_", "DJANGO_"))}
    base.update(
        GONGZHI_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="gongzhi.settings",
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "-m", "gongzhi.cli", *args], env=base, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def production(tmp_path):
    key = tmp_path / "ledger.key"
    env = {
        "GONGZHI_DEBUG": "0",
        "GONGZHI_SECRET_KEY": secrets.token_urlsafe(50),
        "GONGZHI_ALLOWED_HOSTS": "gongzhi.example.gov.cn",
    }
    # The documented first step of a deployment: make the log key, then name it.
    out = gongzhi(tmp_path, "ledger", "keygen", "--out", str(key), **env)
    assert out.returncode == 0, out.stderr
    return {**env, "GONGZHI_LEDGER_KEY": str(key)}


def test_deploy_check_passes_in_production(tmp_path, production):
    out = gongzhi(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **production)
    assert out.returncode == 0, out.stdout + out.stderr


def test_refuses_without_secret_key(tmp_path, production):
    del production["GONGZHI_SECRET_KEY"]
    for command in (["check"], ["migrate", "--noinput"], ["serve", "--port", "1"]):
        out = gongzhi(tmp_path, *command, **production)
        assert out.returncode != 0
        assert "GONGZHI_SECRET_KEY is not set" in out.stderr
    assert not (tmp_path / "secret_key").exists()


def test_refuses_a_weak_secret_key(tmp_path, production):
    out = gongzhi(tmp_path, "check", **{**production, "GONGZHI_SECRET_KEY": "short"})
    assert out.returncode != 0 and "too weak" in out.stderr


def test_refuses_without_ledger_key(tmp_path, production):
    del production["GONGZHI_LEDGER_KEY"]
    for command in (["check"], ["serve", "--port", "1"]):
        out = gongzhi(tmp_path, *command, **production)
        assert out.returncode != 0
        assert "GONGZHI_LEDGER_KEY is not set" in out.stderr
    assert not (tmp_path / "ledger").exists() or not any((tmp_path / "ledger").iterdir())


def test_refuses_without_allowed_hosts_or_with_debug(tmp_path, production):
    out = gongzhi(tmp_path, "check", **{**production, "GONGZHI_ALLOWED_HOSTS": ""})
    assert out.returncode != 0 and "GONGZHI_ALLOWED_HOSTS" in out.stderr
    out = gongzhi(tmp_path, "check", **{**production, "GONGZHI_ENV": "production", "GONGZHI_DEBUG": "1"})
    assert out.returncode != 0 and "GONGZHI_DEBUG=1 is not allowed" in out.stderr


def test_https_behind_proxy_settings(tmp_path, production):
    code = (
        "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, s.SECURE_PROXY_SSL_HEADER)"
    )
    out = gongzhi(tmp_path, "shell", "-v", "0", "-c", code, **production)
    assert out.stdout.split() == ["True", "True", "True", "True", "('HTTP_X_FORWARDED_PROTO',", "'https')"], out.stderr
    out = gongzhi(
        tmp_path,
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT)",
        **{**production, "GONGZHI_HTTPS": "off"},
    )
    assert out.stdout.strip() == "False"


def test_local_mode_still_makes_its_own_keys(tmp_path):
    out = gongzhi(tmp_path, "check")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "secret_key").exists()


def test_serve_prints_demo_logins_only_for_the_demo(db):
    from django.contrib.auth import get_user_model

    from gongzhi.demo.generator import DEMO_PASSWORD
    from gongzhi.ops.management.commands.serve import holds_demo

    assert not holds_demo()
    user = get_user_model().objects.create_user("district", password=DEMO_PASSWORD)
    assert holds_demo()
    user.set_password("a-changed-password-123")
    user.save()
    assert not holds_demo()


def test_every_environment_setting_is_documented():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    read = set()
    for path in (root / "src" / "gongzhi").rglob("*.py"):
        read |= set(re.findall(r"environ(?:\.get\(|\[)\s*[\"']((?:GONGZHI|DATABASE)_[A-Z0-9_]+)", path.read_text()))
    documented = (root / "docs" / "deploy.md").read_text()
    missing = sorted(name for name in read if f"`{name}`" not in documented)
    assert not missing, f"settings read from the environment but not in docs/deploy.md's table: {missing}"
