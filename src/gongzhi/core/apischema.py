"""The JSON API's error answer, defined once: ``{"detail", "code", "field"}`` (plus ``errors`` on a 422
from validation).

Every app's ``api.py`` declares its operations' error statuses with :class:`ErrorOut`
(``response={201: dict, **ERRORS}``); ``api/api.py`` publishes :data:`ERROR_SCHEMA` as the OpenAPI
``Error`` component and adds :data:`COMMON_ERRORS` to every operation. Here in core (not in the
``api`` app, which sits above every app) so that each app's router can import it.
"""

from __future__ import annotations

from ninja import Schema


class ErrorOut(Schema):
    detail: str
    code: str = "invalid"
    field: str | None = None


#: The statuses most operations may answer besides their own (an app adds 413/422 where it needs them).
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}

# Answers any operation may give besides its own: validation (422), the body cap (413, from
# core.middleware.InputGuardMiddleware), the domain errors of core.errors and authentication. They are
# declared on every operation of the OpenAPI document, in the one error shape below, so a client (and
# Schemathesis) finds every status it can receive described.
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["detail", "code"],
    "properties": {
        "detail": {"type": "string", "description": "what is wrong and how to fix it"},
        "code": {"type": "string", "description": "a stable code, e.g. invalid, not_found, conflict"},
        "field": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "the input to fix, as a dotted path"},
        "errors": {
            "type": "array",
            "items": {"type": "object"},
            "description": "each validation problem (422 from validation)",
        },
    },
}
COMMON_ERRORS = {
    "400": "the request is refused: the message says what to fix",
    "401": "no session and no valid API token",
    "403": "the role does not allow this here",
    "404": "no such object within the caller's scope",
    "409": "someone changed the record first (reload and retry) or it already exists",
    "413": "the request body is larger than this path accepts",
    "422": "the input does not match the schema or holds what no endpoint accepts (NUL, lone surrogates, "
    "numbers out of range)",
}
BODY_ONLY = {"413"}
