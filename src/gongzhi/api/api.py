"""The JSON API at /api/v1/ (Django Ninja): OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

Each app contributes a ``router`` in its ``api`` module; domain errors become
4xx answers with a message saying what to fix.
"""

from __future__ import annotations

import importlib

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from gongzhi.core.errors import DomainError

from gongzhi.core import validation
from .auth import AUTH

# Answers any operation may give besides its own: validation (422), the body cap (413, from
# core.middleware.InputGuardMiddleware), the domain errors of core.errors and authentication. They are
# declared on every operation of the OpenAPI document, in the one error shape below, so a client (and
# Schemathesis) finds every status it can receive described.
ERROR_SCHEMA = {
    "title": "Error", "type": "object", "required": ["detail", "code"],
    "properties": {"detail": {"type": "string", "description": "what is wrong and how to fix it"},
                   "code": {"type": "string", "description": "a stable code, e.g. invalid, not_found, conflict"},
                   "field": {"anyOf": [{"type": "string"}, {"type": "null"}],
                             "description": "the input to fix, as a dotted path"},
                   "errors": {"type": "array", "items": {"type": "object"},
                              "description": "each validation problem (422 from validation)"}},
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


class GongzhiAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for methods in schema.get("paths", {}).values():
            for method, op in methods.items():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                for code, text in COMMON_ERRORS.items():
                    if code in BODY_ONLY and method not in ("post", "put", "patch"):
                        continue
                    if code == "401" and not op.get("security"):
                        continue
                    op["responses"].setdefault(code, {"description": text, **ref})
        return schema


api = GongzhiAPI(
    title="Gongzhi 共治 API",
    version="1",
    description="党建引领基层治理平台 API. Authenticate with `Authorization: Bearer <token>` "
    "(`gongzhi token USER NAME`) or a browser session.",
    urls_namespace="api",
    auth=AUTH,
    parser=validation.Parser(),
)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


def _field(loc) -> str:
    """A validation error's place as the client wrote it: without the source (``body``, ``query``…)
    and, for a JSON body, without the Python name of the body parameter."""
    loc = [str(x) for x in loc or ()]
    if len(loc) > 2 and loc[0] == "body":
        loc = loc[2:]
    else:
        loc = loc[1:]
    return ".".join(loc) or "body"


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    problems, errors = [], []
    for e in exc.errors:
        problems.append(f"{_field(e.get('loc'))}: {e.get('msg')}")
        # What the client sent is echoed only as far as JSON can carry it (no exceptions in ``ctx``).
        errors.append({k: v for k, v in e.items() if k in ("type", "loc", "msg")})
    body = {"detail": "请求格式错误：" + "; ".join(problems), "code": "invalid", "errors": errors}
    if exc.errors:
        body["field"] = _field(exc.errors[0].get("loc"))
    return api.create_response(request, body, status=422)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    # Ninja wraps whatever the body parser raised (validation.Parser: BadInput, malformed JSON).
    if isinstance(exc.__cause__, DomainError):
        return domain_error(request, exc.__cause__)
    code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
            409: "conflict", 413: "too_large"}.get(exc.status_code, "invalid")
    return api.create_response(request, {"detail": str(exc), "code": code}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return api.create_response(request, {"detail": "需要登录或提供有效的API令牌 (Authorization: Bearer …)",
                                         "code": "unauthorized"}, status=401)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "不存在", "code": "not_found"}, status=404)


ROUTERS = ["gongzhi.org.api", "gongzhi.ledger.api", "gongzhi.consult.api", "gongzhi.resources.api",
           "gongzhi.cases.api", "gongzhi.alliances.api", "gongzhi.volunteers.api",
           "gongzhi.plans.api", "gongzhi.assessment.api", "gongzhi.burden.api", "gongzhi.command.api", "gongzhi.alerts.api", "gongzhi.incidents.api",
           "gongzhi.privacy.api"]

for name in ROUTERS:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            continue
        raise
    api.add_router(getattr(module, "PREFIX", ""), module.router)
