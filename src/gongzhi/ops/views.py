"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: database, migrations, worker,
ledger backlog), as JSON with 200 or 503; no log-in, no session, no personal data."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _t
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health, system


@never_cache
@require_GET
def healthz(request):
    return JsonResponse(health.liveness())


@never_cache
@require_GET
def readyz(request):
    report = health.readiness()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


def favicon(request):
    return redirect(staticfiles_storage.url("gongzhi/favicon.svg"), permanent=True)


@require_GET
@never_cache
@login_required
def system_page(request: HttpRequest) -> HttpResponse:
    """The command centre's system page: workers, queues, the ledger's backlog and lag (district level)."""
    if not system.may_view(request.user):
        raise PermissionDenied(_t("系统运行页面仅供区级指挥中心和系统管理员查看"))
    return render(request, "ops/system.html", {"s": system.snapshot()})
