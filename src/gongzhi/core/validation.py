"""Input every endpoint refuses, checked once for all of them.

Text containing NUL (U+0000) cannot be stored in PostgreSQL and a lone UTF-16 surrogate cannot be
encoded to UTF-8 at all; an integer beyond the 64-bit range overflows every column and ``OFFSET``;
NaN and infinities are not coordinates or amounts. Such a value used to travel until the database
or the encoder raised, a 500 after part of the work was done. Here it is refused at the door:

* ``problem(value)`` walks a decoded document (strings, keys, numbers, lists, objects) and names
  the first offending place; ``text_problem(s)`` checks one string.
* ``Parser`` is the JSON API's parser: request bodies (JSON, forms) and query strings pass through it,
  and a problem becomes ``BadInput``, answered 422 ``{"detail", "code": "invalid", "field"}``.
* ``Offset`` and ``Limit`` are the paging parameters of every list endpoint: non-negative and within
  bigint, so the schema says so and a request outside gets 422 from validation.
* URLs (paths, query strings, headers) of every route, pages included, are checked by
  ``gongzhi.core.middleware.InputGuardMiddleware`` with the same ``text_problem``.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field
from ninja.parser import Parser as NinjaParser

from gongzhi.core.errors import DomainError

BIGINT_MAX = 2**63 - 1
BIGINT_MIN = -(2**63)

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

Offset = Annotated[int, Field(ge=0, le=BIGINT_MAX, description="how many rows to skip (0 or more)")]
Limit = Annotated[int, Field(ge=1, le=BIGINT_MAX, description="at most this many rows (capped per endpoint)")]


class BadInput(DomainError):
    """A value no endpoint accepts (answered 422, before anything is read from or written to the database)."""

    status = 422
    code = "invalid"


def text_problem(s: str) -> str | None:
    """Why ``s`` cannot be accepted as text, or None."""
    if "\x00" in s:
        return _("不能含有NUL字符（U+0000）")
    if not s.isascii() and _LONE_SURROGATE.search(s):
        return _("含有不成对的UTF-16代理项，不是有效的Unicode文本")
    return None


def problem(value: Any, path: tuple = ()) -> tuple[str, str] | None:
    """The first ``(field, reason)`` in a decoded JSON document that no endpoint accepts, or None.
    ``field`` is the dotted path (``departments.1``); ``""`` is the document itself."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        reason = _scalar_problem(value)
        return (_dotted(path), reason) if reason else None
    for k, v in items:
        if type(k) is str and ("\x00" in k or not k.isascii()) and (reason := text_problem(k)):
            return _dotted(path + (k.encode("unicode_escape").decode("ascii"),)), _("字段名%(reason)s") % {
                "reason": reason
            }
        t = type(v)
        if t is str:  # the common case, inline: clean ASCII needs no further look
            if "\x00" not in v and v.isascii():
                continue
        elif v is None or t is bool:
            continue
        found = problem(v, path + (k,))
        if found:
            return found
    return None


def _scalar_problem(value: Any) -> str | None:
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if BIGINT_MIN <= value <= BIGINT_MAX else _("整数超出范围（须在64位有符号整数以内）")
    if isinstance(value, float) and not math.isfinite(value):
        return _("须为有限的数值（不接受NaN或无穷大）")
    return None


def check(value: Any, *, where: str = "") -> None:
    """Raise ``BadInput`` naming the field when ``value`` holds something no endpoint accepts."""
    found = problem(value)
    if found:
        field, reason = found
        field = field or where or None
        raise BadInput(
            _("%(where)s：%(reason)s") % {"where": field, "reason": reason} if field else reason, field=field
        )


def _dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path)


class Parser(NinjaParser):
    """Ninja's parser with the checks above: JSON bodies, form fields and query strings."""

    def parse_body(self, request):
        try:
            data = json.loads(request.body)  # NaN/Infinity decode, then check() names them
        except (ValueError, UnicodeDecodeError) as exc:
            raise DomainError(_("请求体不是有效的JSON（UTF-8）：%(error)s") % {"error": exc}) from exc
        check(data)
        return data

    def parse_querydict(self, data, list_fields, request):
        for key, values in data.lists():
            for v in values:
                if isinstance(v, str):
                    reason = text_problem(key) or text_problem(v)
                    if reason:
                        raise BadInput(_("%(where)s：%(reason)s") % {"where": key, "reason": reason}, field=key)
        return super().parse_querydict(data, list_fields, request)
