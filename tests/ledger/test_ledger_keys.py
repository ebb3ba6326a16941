"""The log's signing key is shared by every node: from GONGZHI_LEDGER_KEY or the database, never made up
on a host's disk; created once even when processes start together; an old host key file is adopted."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Forbidden
from gongzhi.ledger import services
from gongzhi.ledger.models import SigningKey
from gongzhi.ledger.note import Signer
from gongzhi.ledger.services import keys


@pytest.fixture
def no_env_key(monkeypatch, tmp_path):
    monkeypatch.delenv("GONGZHI_LEDGER_KEY", raising=False)
    keys.forget()
    with override_settings(VAR_DIR=tmp_path / "var"):
        yield tmp_path / "var"
    keys.forget()


@pytest.mark.django_db
def test_database_key_is_created_once_and_nothing_is_written_on_disk(no_env_key):
    signer = services.load_signer()
    row = SigningKey.objects.get()
    assert row.key == signer.to_key() and row.verifier_key == signer.verifier.to_key()
    assert row.source == SigningKey.Source.GENERATED
    keys.forget()
    assert services.load_signer().to_key() == signer.to_key()
    assert not (no_env_key / "ledger").exists()  # no key file made up on this host


@pytest.mark.django_db
def test_an_existing_host_key_file_is_adopted(no_env_key):
    old = Signer.generate("gongzhi.local/ledger")
    (no_env_key / "ledger").mkdir(parents=True)
    (no_env_key / "ledger" / "signer.key").write_text(old.to_key() + "\n")
    assert services.load_signer().to_key() == old.to_key()
    row = SigningKey.objects.get()
    assert row.source == SigningKey.Source.ADOPTED and row.verifier_key == old.verifier.to_key()


@pytest.mark.django_db
def test_settings_key_wins_and_the_database_is_not_touched(no_env_key, monkeypatch):
    given = Signer.generate("gongzhi.local/ledger")
    monkeypatch.setenv("GONGZHI_LEDGER_KEY", given.to_key())
    assert services.load_signer().to_key() == given.to_key()
    assert not SigningKey.objects.exists()


@pytest.mark.django_db
def test_no_key_without_create(no_env_key):
    with pytest.raises(services.LedgerError, match="no signing key"):
        services.load_signer(create=False)


@pytest.mark.django_db
def test_keygen_stores_then_rotates_the_database_key(no_env_key, capsys, monkeypatch):
    call_command("ledger", "keygen")
    first = SigningKey.objects.get()
    assert first.verifier_key in capsys.readouterr().out
    with pytest.raises(CommandError, match="--force"):
        call_command("ledger", "keygen")
    monkeypatch.setattr(keys, "RECHECK_SECONDS", 0.0)
    held = services.load_signer().to_key()
    assert held == first.key
    call_command("ledger", "keygen", "--force")
    second = SigningKey.objects.get()
    assert second.key != first.key and second.version == 2 and second.source == SigningKey.Source.ROTATED
    assert services.load_signer().to_key() == second.key  # noticed through the row's version


@pytest.mark.django_db
def test_keygen_refuses_a_database_key_when_the_setting_names_one(no_env_key, monkeypatch):
    monkeypatch.setenv("GONGZHI_LEDGER_KEY", Signer.generate("x").to_key())
    with pytest.raises(CommandError, match="--out"):
        call_command("ledger", "keygen")


@pytest.mark.django_db
def test_only_the_platform_makes_database_keys(no_env_key, users):
    with pytest.raises(Forbidden):
        services.database_key(users["district_admin"])
    services.database_key(SYSTEM)
    assert SigningKey.objects.count() == 1


@pytest.mark.django_db
def test_a_key_created_in_a_rolled_back_transaction_is_not_kept(no_env_key):
    from django.db import transaction

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        phantom = services.load_signer().to_key()
        raise Rollback
    assert services.load_signer().to_key() != phantom


# --------------------------------------------------------------------------- real processes

RACER = """
import os, sys, time
import django
django.setup()
from gongzhi.ledger.services import keys
start = float(sys.argv[1])
while time.time() < start:
    time.sleep(0.001)
print(keys.load_signer().verifier.to_key())
"""


@pytest.mark.slow  # real processes against a migrated database: ~20 s
def test_processes_starting_together_end_with_one_key(tmp_path, scratch_database_url):
    env = {k: v for k, v in os.environ.items() if k != "GONGZHI_LEDGER_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="gongzhi.settings", DATABASE_URL=scratch_database_url, GONGZHI_TASKS="immediate")
    py = sys.executable
    subprocess.run(
        [py, "-m", "django", "migrate", "ledger", "-v0"],
        env={**env, "GONGZHI_VAR_DIR": str(tmp_path / "m")},
        check=True,
    )
    start = time.time() + 8
    procs = [
        subprocess.Popen(
            [py, "-c", RACER, str(start)],
            env={**env, "GONGZHI_VAR_DIR": str(tmp_path / f"host{i}")},  # each "host" has its own disk
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(out.strip())
    assert len(set(outs)) == 1 and outs[0].startswith("gongzhi.local/ledger+")
    for i in range(4):
        assert not (Path(tmp_path) / f"host{i}" / "ledger").exists()
