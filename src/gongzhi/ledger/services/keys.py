"""The log's signing key: where it lives, making a new one, loading it and the log's origin line.

The key is shared by every node, never made up on a host's disk:

* ``GONGZHI_LEDGER_KEY`` (a key, or the path of a key file made by ``gongzhi ledger keygen --out``) when
  set: what production uses (``ops/checks.py`` requires it there);
* otherwise the one row of ``ledger.SigningKey`` in the database, created by the first process that needs
  it. Two processes starting at once both try ``INSERT … ON CONFLICT DO NOTHING`` on the same primary key
  and then read the row, so they end with the same key. The first time, an existing
  ``VAR_DIR/ledger/signer.key`` (what earlier versions made on the host) is adopted, so an install keeps
  its key and its published verifier key.

A process keeps the key it loaded and rechecks the row's ``version`` at most every ``RECHECK_SECONDS``,
so a rotation (``gongzhi ledger keygen --force``) reaches every node within that time.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction

from ..note import Signer, Verifier
from .errors import LedgerError

log = logging.getLogger("gongzhi.ledger")

RECHECK_SECONDS = 10.0


def origin() -> str:
    return getattr(settings, "GONGZHI_LEDGER_ORIGIN", "gongzhi.local/ledger")


def key_path() -> Path:
    """Where earlier versions kept a host's own key; read once, to adopt it into the database."""
    return Path(settings.VAR_DIR) / "ledger" / "signer.key"


def write_new_key(path: Path, name: str | None = None, force: bool = False) -> Signer:
    """Create a signer key file (mode 0600) and its ``.pub`` verifier key beside it, to give as
    ``GONGZHI_LEDGER_KEY``."""
    signer = Signer.generate(name or origin())
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise LedgerError(f"{path} already exists; refusing to replace a log key (use --force)") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(signer.to_key() + "\n")
    path.with_suffix(".pub").write_text(signer.verifier.to_key() + "\n")
    return signer


def key_from_settings() -> str | None:
    """The key given by ``GONGZHI_LEDGER_KEY`` (a key or a key file), or None when it is not set."""
    env = os.environ.get("GONGZHI_LEDGER_KEY", "").strip()
    if not env:
        return None
    if env.startswith("PRIVATE+KEY+"):
        return env
    try:
        return Path(env).read_text().strip()
    except FileNotFoundError:
        raise LedgerError(f"ledger signer key {env} does not exist; run `gongzhi ledger keygen --out {env}`") from None


_signer_cache: dict[str, Signer] = {}
_db_lock = threading.Lock()
_db_key: tuple[int, str] | None = None  # (version, key) of the database row this process holds
_db_checked_at = 0.0


def _signer(source: str) -> Signer:
    if source not in _signer_cache:
        _signer_cache[source] = Signer.from_key(source)
    return _signer_cache[source]


def _legacy_key() -> str | None:
    try:
        return key_path().read_text().strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None


def _create_db_key() -> None:
    """Insert the key row unless another process did first (then theirs stands)."""
    from ..models import SigningKey

    source = _legacy_key()
    kind = SigningKey.Source.ADOPTED if source else SigningKey.Source.GENERATED
    signer = Signer.from_key(source) if source else Signer.generate(origin())
    row = SigningKey(id=1, key=signer.to_key(), verifier_key=signer.verifier.to_key(), source=kind)
    with transaction.atomic():
        SigningKey.objects.bulk_create([row], ignore_conflicts=True)
    created = SigningKey.objects.filter(pk=1, key=row.key).exists()
    if created:
        log.warning(
            "%s the ledger signing key into the database; verifier key %s",
            "adopted " + str(key_path()) if source else "created",
            row.verifier_key,
        )


def _db_signer(create: bool) -> Signer:
    global _db_key, _db_checked_at
    from ..models import SigningKey

    now = time.monotonic()
    with _db_lock:
        if _db_key is not None and now - _db_checked_at < RECHECK_SECONDS:
            return _signer(_db_key[1])
        held = _db_key
        if held is not None:
            version = SigningKey.objects.filter(pk=1).values_list("version", flat=True).first()
            if version == held[0]:
                _db_checked_at = now
                return _signer(held[1])
        row = SigningKey.objects.filter(pk=1).values_list("version", "key").first()
        if row is None:
            if not create:
                raise LedgerError(
                    "the ledger has no signing key yet: set GONGZHI_LEDGER_KEY or run `gongzhi ledger keygen`"
                )
            _create_db_key()
            row = SigningKey.objects.filter(pk=1).values_list("version", "key").get()
            if transaction.get_connection().in_atomic_block:
                # Possibly our own insert, not yet committed: never hold a key a rollback could take back.
                _db_key = None
                return _signer(row[1])
        _db_key, _db_checked_at = (row[0], row[1]), now
        return _signer(row[1])


def load_signer(create: bool = True) -> Signer:
    """The log key: ``GONGZHI_LEDGER_KEY`` (a key or a key file) or the database's key (created on first
    use when ``create``)."""
    source = key_from_settings()
    if source is not None:
        return _signer(source)
    return _db_signer(create)


def forget() -> None:
    """Drop what this process holds (tests; after a rotation in this process)."""
    global _db_key
    with _db_lock:
        _db_key = None
    _signer_cache.clear()


def database_key(actor: object, *, name: str | None = None, force: bool = False) -> Signer:
    """Create the database's signing key, or with ``force`` replace it (a rotation: publish the new
    verifier key; the next checkpoint is signed with it). Refuses to replace without ``force``."""
    from gongzhi.core.actors import is_system
    from gongzhi.core.errors import Forbidden

    from ..models import SigningKey

    if not is_system(actor):
        raise Forbidden("只有平台运维（gongzhi ledger keygen）可以生成或更换公开记录签名密钥")
    signer = Signer.generate(name or origin())
    with transaction.atomic():
        row = SigningKey.objects.select_for_update().filter(pk=1).first()
        if row is None:
            SigningKey.objects.create(
                id=1, key=signer.to_key(), verifier_key=signer.verifier.to_key(), source=SigningKey.Source.GENERATED
            )
        elif not force:
            raise LedgerError(
                f"the database already holds the ledger signing key ({row.verifier_key}); "
                "refusing to replace it (use --force to rotate)"
            )
        else:
            row.key, row.verifier_key = signer.to_key(), signer.verifier.to_key()
            row.source, row.version = SigningKey.Source.ROTATED, row.version + 1
            row.save(update_fields=["key", "verifier_key", "source", "version"])
        transaction.on_commit(forget)
    return signer


def verifier() -> Verifier:
    return load_signer().verifier
