"""The JSON API at /api/v1/ (Django Ninja): OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

Each app contributes a ``router`` in its ``api`` module; domain errors become
4xx answers with a message saying what to fix.
"""

from __future__ import annotations

import importlib

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from gongzhi.core.errors import DomainError

from .auth import AUTH

api = NinjaAPI(
    title="Gongzhi 共治 API",
    version="1",
    description="党建引领基层治理平台 API. Authenticate with `Authorization: Bearer <token>` "
    "(`gongzhi token USER NAME`) or a browser session.",
    urls_namespace="api",
    auth=AUTH,
)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    problems = []
    for e in exc.errors:
        loc = ".".join(str(x) for x in e.get("loc", [])[1:]) or "body"
        problems.append(f"{loc}: {e.get('msg')}")
    return api.create_response(
        request, {"detail": "请求格式错误：" + "; ".join(problems), "code": "invalid", "errors": exc.errors},
        status=422,
    )


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return api.create_response(request, {"detail": "需要登录或提供有效的API令牌 (Authorization: Bearer …)",
                                         "code": "unauthorized"}, status=401)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "不存在", "code": "not_found"}, status=404)


ROUTERS = ["gongzhi.org.api", "gongzhi.ledger.api", "gongzhi.consult.api", "gongzhi.resources.api",
           "gongzhi.cases.api", "gongzhi.alliances.api", "gongzhi.volunteers.api",
           "gongzhi.plans.api", "gongzhi.assessment.api", "gongzhi.burden.api", "gongzhi.command.api", "gongzhi.alerts.api", "gongzhi.incidents.api"]

for name in ROUTERS:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            continue
        raise
    api.add_router(getattr(module, "PREFIX", ""), module.router)
