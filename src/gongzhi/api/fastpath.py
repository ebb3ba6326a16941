"""A lean WSGI route for the busiest API call: filing a request (``POST /api/v1/cases/requests``).

A hotline console, a grid worker's app or a partner system files requests all day; through the
full Django stack (nine middleware, URL resolution over every route, Ninja's operation machinery)
the framework costs about a third of the call. This wrapper answers the *successful* call itself,
with the same pieces the Ninja view uses: the token check of ``core.services``, the request
schema, ``cases.api.file_request`` (which calls the service, where the rules are) and
``request_dict`` for the answer.

Everything else goes to Django unchanged: another path or method, no bearer token, a host not in
``ALLOWED_HOSTS``, an unknown token, a body the schema or ``core.validation`` refuses (NUL, lone
surrogates, non-finite numbers), a body larger than ``GONGZHI_MAX_BODY_BYTES`` or without a valid
length (Django answers 413 without reading it), a domain error (unknown category, outside every
grid, …). The token is checked before the body is read: an unknown token never costs a read. The service validates before it writes, so a refused call has written
nothing and Django's answer to the same bytes is exactly the one it would have given: error
formats are Ninja's, in one place. Turn the route off with ``GONGZHI_API_FASTPATH=0``.
"""

from __future__ import annotations

import io
import json
import os

from django.conf import settings
from django.core import signals
from django.core.serializers.json import DjangoJSONEncoder
from django.http.request import split_domain_port, validate_host
from django.utils import translation
from pydantic import ValidationError

from gongzhi.core.errors import DomainError
from gongzhi.core.inputguard import content_length, max_body
from gongzhi.core.validation import problem

PATH = "/api/v1/cases/requests"
# What SecurityMiddleware and XFrameOptionsMiddleware add to every answer.
_STATIC_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
]


class _LanguageProbe:
    """What ``get_language_from_request`` reads of a request: the cookie and Accept-Language."""

    def __init__(self, environ):
        self.META = environ
        self.COOKIES = {}
        cookie = environ.get("HTTP_COOKIE", "")
        if settings.LANGUAGE_COOKIE_NAME in cookie:
            from django.http.cookie import parse_cookie

            self.COOKIES = parse_cookie(cookie)


class FastIntake:
    def __init__(self, app):
        self.app = app
        self.enabled = os.environ.get("GONGZHI_API_FASTPATH", "1") != "0"

    def __call__(self, environ, start_response):
        if not (
            self.enabled
            and environ.get("REQUEST_METHOD") == "POST"
            and environ.get("PATH_INFO") == PATH
            and environ.get("HTTP_AUTHORIZATION", "").startswith("Bearer ")
            and environ.get("CONTENT_TYPE", "").startswith("application/json")
        ):
            return self.app(environ, start_response)
        length = content_length(environ)
        if length is None or length > max_body() or _suspect_url(environ):
            return self.app(environ, start_response)  # refused by core.inputguard, the body unread
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            answer, body = self._file(environ, length)
        finally:
            signals.request_finished.send(sender=self.__class__)
        if answer is None:  # not the happy path: Django answers the same bytes
            if body is not None:
                environ["wsgi.input"] = io.BytesIO(body)
                environ["CONTENT_LENGTH"] = str(len(body))
            return self.app(environ, start_response)
        headers, payload = answer
        start_response(
            "201 Created",
            [
                ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Length", str(len(payload))),
                *headers,
                *_STATIC_HEADERS,
            ],
        )
        return [payload]

    def _file(self, environ, length: int):
        """``(answer or None, the body if it was read)``."""
        from gongzhi.cases.api import RequestIn, file_request
        from gongzhi.cases.views_common import request_dict
        from gongzhi.core.services import authenticate_token

        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        domain, _port = split_domain_port(host)
        if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
            return None, None
        user = authenticate_token(environ["HTTP_AUTHORIZATION"][7:].strip())
        if user is None:
            return None, None
        body = environ["wsgi.input"].read(length)
        try:
            data = RequestIn.model_validate_json(body)
        except ValidationError:
            return None, body
        if problem(data.__dict__):  # NUL, non-finite numbers (lone surrogates fail the JSON parse)
            return None, body
        lang = translation.get_language_from_request(_LanguageProbe(environ))
        with translation.override(lang):
            try:
                req, created = file_request(user, data, environ.get("HTTP_IDEMPOTENCY_KEY", "").strip())
            except DomainError:  # refused before anything was written
                return None, body
            payload = json.dumps(request_dict(user, req), cls=DjangoJSONEncoder).encode()
        headers = [("Content-Language", lang), ("Vary", "Accept-Language, Cookie")]
        if not created:
            headers.append(("Idempotent-Replayed", "true"))
        return (headers, payload), body


def _suspect_url(environ) -> bool:
    """A NUL in the query string or a header: core.inputguard refuses it, so Django answers."""
    qs = environ.get("QUERY_STRING", "")
    if "%00" in qs or "\x00" in qs:
        return True
    return any("\x00" in v for k, v in environ.items() if k.startswith("HTTP_") and isinstance(v, str))
