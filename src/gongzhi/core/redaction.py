"""What personal data looks like once it is removed, and what a structured value looks like.

Defined here, at the bottom, because apps on several layers read them:

* :data:`ANONYMISED` replaces personal free text in an anonymised record: the privacy purge
  (``privacy.retention.MARKER``) writes it, and modules below privacy skip records that carry it
  (the category classifier, ``cases.classify``, learns nothing from removed text);
* :func:`is_token` tells a structured string (a code, id, state, time or amount) from free text or a
  personal number: the public ledger's allow-list (``ledger.public_fields``) and the back office's
  masking (``org.admin_base``) decide by this one rule.
"""

from __future__ import annotations

import re

#: Fixed, so that the purge can tell an anonymised record from one it has yet to do.
ANONYMISED = "〔已匿名〕"

#: A structured string: a code, id, state, ISO date/time or decimal amount.
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+\-/]{0,63}")
#: Personal numbers that would pass as tokens: mainland mobile numbers and 18-character ID numbers.
PERSONAL_NUMBER = re.compile(r"(?:\+?86)?1[3-9]\d{9}|\d{17}[\dXx]")

_token_cache: dict[str, bool] = {}


def is_token(s: str) -> bool:
    """A structured string: empty, or a short token that is not a phone or ID number."""
    ok = _token_cache.get(s)
    if ok is None:
        ok = s == "" or (TOKEN.fullmatch(s) is not None and PERSONAL_NUMBER.fullmatch(s) is None)
        if len(_token_cache) > 50_000:
            _token_cache.clear()
        _token_cache[s] = ok
    return ok
