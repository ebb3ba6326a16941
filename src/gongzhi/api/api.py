"""The JSON API at /api/v1/ (Django Ninja): OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

Each app contributes a ``router`` in its ``api`` module; domain errors become
4xx answers with a message saying what to fix.
"""

from __future__ import annotations

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from gongzhi.core import manifest, validation
from gongzhi.core.apischema import BODY_ONLY, COMMON_ERRORS, ERROR_SCHEMA
from gongzhi.core.errors import DomainError

from .auth import AUTH
from .docs import OfflineSwagger

# The one error shape (core.apischema): the OpenAPI ``Error`` component and the statuses every operation may answer.


class GongzhiAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for methods in schema.get("paths", {}).values():
            for method, op in methods.items():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                # Ninja keys responses by int status, COMMON_ERRORS by str: one key per status, or the JSON
                # has "400" twice (Swagger UI's parser then refuses the whole schema: a blank docs page).
                # The one error shape wins over a router's own declaration of the same status, as it did
                # when both were written (a JSON reader keeps the last).
                declared = op["responses"]
                op["responses"] = {str(code): answer for code, answer in declared.items()}
                for code, text in COMMON_ERRORS.items():
                    if code in BODY_ONLY and method not in ("post", "put", "patch"):
                        continue
                    if code == "401" and not op.get("security"):
                        continue
                    if code not in declared:
                        op["responses"][code] = {"description": text, **ref}
        return schema


api = GongzhiAPI(
    title="Gongzhi 共治 API",
    version="1",
    description="党建引领基层治理平台 API. Authenticate with `Authorization: Bearer <token>` "
    "(`gongzhi token USER NAME`) or a browser session.",
    urls_namespace="api",
    auth=AUTH,
    parser=validation.Parser(),
    docs=OfflineSwagger(),  # vendored Swagger UI: the docs page works offline
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
    code = {
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
    }.get(exc.status_code, "invalid")
    return api.create_response(request, {"detail": str(exc), "code": code}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return api.create_response(
        request, {"detail": "需要登录或提供有效的API令牌 (Authorization: Bearer …)", "code": "unauthorized"}, status=401
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "不存在", "code": "not_found"}, status=404)


# Every app's router, as its manifest names it (``api="gongzhi.cases.api:router"``), at its ``PREFIX``;
# a router that does not import fails start-up (gongzhi.core.manifest).
for _app, prefix, router in manifest.loaded().routers:
    api.add_router(prefix, router)
