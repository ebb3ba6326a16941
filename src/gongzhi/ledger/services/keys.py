"""The log's signing key: where it lives (``GONGZHI_LEDGER_KEY`` or ``VAR_DIR/ledger/signer.key``), making
a new one, loading it (once per process) and the log's origin line."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from django.conf import settings

from ..note import Signer, Verifier
from .errors import LedgerError

log = logging.getLogger("gongzhi.ledger")


def origin() -> str:
    return getattr(settings, "GONGZHI_LEDGER_ORIGIN", "gongzhi.local/ledger")


def key_path() -> Path:
    return Path(settings.VAR_DIR) / "ledger" / "signer.key"


def write_new_key(path: Path, name: str | None = None, force: bool = False) -> Signer:
    """Create a signer key file (mode 0600) and its ``.pub`` verifier key beside it."""
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


_signer_cache: dict[str, Signer] = {}


def load_signer(create: bool = True) -> Signer:
    """The log key: ``GONGZHI_LEDGER_KEY`` (a key or a key file) or ``VAR_DIR/ledger/signer.key``."""
    env = os.environ.get("GONGZHI_LEDGER_KEY", "").strip()
    if env.startswith("PRIVATE+KEY+"):
        source = env
    else:
        path = Path(env) if env else key_path()
        try:
            source = path.read_text().strip()
        except FileNotFoundError:
            if env or not create:
                raise LedgerError(f"ledger signer key {path} does not exist; run `gongzhi ledger keygen`") from None
            try:
                write_new_key(path)
                log.warning("created a new ledger signer key at %s", path)
            except LedgerError:
                pass  # created concurrently by another process
            source = path.read_text().strip()
    if source not in _signer_cache:
        _signer_cache[source] = Signer.from_key(source)
    return _signer_cache[source]


def verifier() -> Verifier:
    return load_signer().verifier
