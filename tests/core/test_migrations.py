"""The suite creates its tables from the models (--nomigrations, for speed); these
tests keep the migrations honest: they match the models, and they apply from scratch
(the browser tests' server and `make run` also migrate a fresh database)."""

import os
import subprocess
import sys

import pytest
from django.core.management import call_command


def test_models_and_migrations_agree(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.sqlite_only
def test_migrations_apply_to_a_fresh_sqlite_database(tmp_path):
    env = dict(os.environ, GONGZHI_VAR_DIR=str(tmp_path), DATABASE_URL="", DJANGO_SETTINGS_MODULE="gongzhi.settings")
    out = subprocess.run(
        [sys.executable, "-m", "gongzhi.cli", "migrate", "--noinput"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert (tmp_path / "gongzhi.sqlite3").exists()
