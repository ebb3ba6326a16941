"""System checks of a production deployment (run by ``gongzhi check --deploy``, ``serve`` and ``migrate``)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=False)
def production_keys(app_configs=None, **kwargs):
    """In production the ledger's signing key is given explicitly: no host makes up its own."""
    if not getattr(settings, "GONGZHI_PRODUCTION", False):
        return []
    errors = []
    if not os.environ.get("GONGZHI_LEDGER_KEY", "").strip():
        errors.append(
            Error(
                "GONGZHI_LEDGER_KEY is not set: in production the public record's signing key is given explicitly "
                "(a key, or the path of a key file) so that every node signs with the same key.",
                hint="Run `gongzhi ledger keygen --out /etc/gongzhi/ledger.key` once and set "
                "GONGZHI_LEDGER_KEY=/etc/gongzhi/ledger.key on every node.",
                id="gongzhi.E001",
            )
        )
    return errors
