"""A request id for every request: taken from a trusted proxy's ``X-Request-ID`` when it is
well-formed, made up otherwise; put on the request, in every log record written while the
request runs, in the response's ``X-Request-ID`` header and on the 500 page."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

HEADER = "X-Request-ID"
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
current: contextvars.ContextVar[str] = contextvars.ContextVar("gongzhi_request_id", default="-")


def new_id() -> str:
    return uuid.uuid4().hex


def from_header(value: str | None) -> str:
    return value if value and _VALID.match(value) else new_id()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = from_header(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = rid
        token = current.set(rid)
        try:
            response = self.get_response(request)
        finally:
            current.reset(token)
        response[HEADER] = rid
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            rid = current.get()
            if rid == "-":  # logged after the middleware returned (Django's 4xx/5xx line): ask the request
                rid = getattr(getattr(record, "request", None), "request_id", "-")
            record.request_id = rid
        return True
