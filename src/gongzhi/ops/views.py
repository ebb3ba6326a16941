"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: database, migrations, worker,
ledger backlog), as JSON with 200 or 503; no log-in, no session, no personal data."""

from __future__ import annotations

from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health


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
