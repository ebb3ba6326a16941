"""Requests refused at the door, for every route (pages, the JSON API, Open311, the back office).

* A body larger than its path accepts is refused with 413 from its ``Content-Length`` alone, before a
  byte of it is read and before any view, authentication or form runs. Every path accepts
  ``GONGZHI_MAX_BODY_BYTES``; the paths that take attachments (``UPLOAD_URLS``) accept
  ``GONGZHI_MAX_UPLOAD_BODY_BYTES`` and the grid import (``IMPORT_URLS``) ``GONGZHI_MAX_IMPORT_BODY_BYTES``.
  The lean intake route (``gongzhi.api.fastpath``) hands an oversized body to Django, so it is
  answered here too. (A body without ``Content-Length`` is never read by Django.)
* A NUL character in the path, the query string, a header or a urlencoded form field is refused
  (PostgreSQL cannot store or compare it: it was a 500). Lone surrogates cannot arise from URL
  decoding; in JSON bodies they, NUL and out-of-range numbers are refused by the API's parser
  (``gongzhi.core.validation``), which also checks API forms.

Answers come in the shape the caller reads: the JSON API's ``{"detail", "code", "field"}`` (422 for
bad characters, as the API's other input refusals), Open311's error list, and for pages a 400/413
page.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from xml.sax.saxutils import escape

from django.conf import settings
from django.http import HttpResponse, JsonResponse, UnreadablePostError
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from .validation import text_problem

log = logging.getLogger("gongzhi.inputguard")

API_PREFIX = "/api/"
OPEN311_PREFIX = "/open311/"
UPLOAD_URLS = ("cases:new", "cases:simple", "api:create_request_with_attachments")
IMPORT_URLS = ("api:import_grids",)
DEFAULT_MAX_BODY = 2_621_440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE default
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # outside XML 1.0


def max_body() -> int:
    return int(getattr(settings, "GONGZHI_MAX_BODY_BYTES", DEFAULT_MAX_BODY))


@functools.cache
def _large_paths() -> dict[str, int]:
    out = {}
    upload = int(getattr(settings, "GONGZHI_MAX_UPLOAD_BODY_BYTES", max_body()))
    bulk = int(getattr(settings, "GONGZHI_MAX_IMPORT_BODY_BYTES", max_body()))
    for names, cap in ((UPLOAD_URLS, upload), (IMPORT_URLS, bulk)):
        for name in names:
            try:
                out[reverse(name)] = cap
            except NoReverseMatch:  # an app not installed
                continue
    return out


def body_cap(path: str) -> int:
    """The largest body ``path`` accepts, in bytes."""
    return max(max_body(), _large_paths().get(path, 0))


def content_length(environ) -> int | None:
    """The declared body length (0 when absent); None when it is not a non-negative number."""
    try:
        n = int(environ.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        return None
    return n if n >= 0 else None


def _mib(n: int) -> str:
    return f"{n / 1048576:.1f} MiB" if n >= 1048576 else f"{n} B"


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self.check(request)
        if refusal is not None:
            return refusal
        return self.get_response(request)

    def check(self, request):
        length = content_length(request.META)
        if length is None:  # Django would fail on it when reading the body
            return self.refuse(request, 400, "invalid", "Content-Length", _("Content-Length 须为非负整数。"))
        if length > max_body():
            cap = body_cap(request.path_info)
            if length > cap:
                log.warning("body of %s bytes refused on %s (cap %s)", length, request.path_info, cap)
                return self.refuse(
                    request,
                    413,
                    "too_large",
                    None,
                    _("请求内容过大：%(size)s，此地址最多接受 %(cap)s。") % {"size": _mib(length), "cap": _mib(cap)},
                )
        try:
            found = self.bad_text(request)
        except UnreadablePostError:
            # The client stopped sending its body (GONGZHI_BODY_READ_TIMEOUT) or went away.
            log.warning("body not received in full on %s", request.path_info)
            return self.refuse(request, 400, "incomplete_body", None, _("请求内容没有完整收到，请重新提交。"))
        if found is not None:
            where, reason = found
            # In the API bad characters are a validation refusal (422), as its other input refusals.
            return self.refuse(
                request,
                400,
                "invalid",
                where,
                _("%(where)s：%(reason)s") % {"where": where, "reason": reason},
                api_status=422,
            )
        return None

    @staticmethod
    def bad_text(request) -> tuple[str, str] | None:
        """``(where, why)`` for the first NUL in the path, query string, headers or a urlencoded form."""
        reason = text_problem(request.path)
        if reason:
            return "path", reason
        for key, values in request.GET.lists():
            for v in [key, *values]:
                if reason := text_problem(v):
                    return key, reason
        for key, value in request.META.items():
            if key.startswith("HTTP_") and isinstance(value, str) and (reason := text_problem(value)):
                return key[5:].replace("_", "-").title(), reason
        if (
            request.method == "POST"
            and request.content_type == "application/x-www-form-urlencoded"
            and not request.path_info.startswith(API_PREFIX)
        ):  # the API's parser checks its forms
            for key, values in request.POST.lists():
                for v in [key, *values]:
                    if reason := text_problem(v):
                        return key, reason
        return None

    def refuse(self, request, status: int, code: str, field: str | None, message: str, api_status: int | None = None):
        path = request.path_info
        if path.startswith(API_PREFIX):
            body = {"detail": message, "code": code}
            if field:
                body["field"] = field
            return JsonResponse(body, status=api_status or status)
        if path.startswith(OPEN311_PREFIX):
            if path.endswith(".xml"):
                text = _NOT_XML.sub("\ufffd", message)  # the field name may hold control characters
                xml = (
                    f'<?xml version="1.0" encoding="utf-8"?><errors><error><code>{status}</code>'
                    f"<description>{escape(text)}</description></error></errors>"
                )
                return HttpResponse(xml.encode(), status=status, content_type="text/xml; charset=utf-8")
            return HttpResponse(
                json.dumps([{"code": status, "description": message}], ensure_ascii=False),
                status=status,
                content_type="application/json",
            )
        try:
            body = loader.render_to_string("errors/400.html", {"message": message, "status": status}, request)
        except Exception:  # noqa: BLE001 - no layout at hand: the message alone
            return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
        return HttpResponse(body, status=status)
