"""The common pool's API answered under ``/api/v1/pool/`` until issue 22; it lives under
``/api/v1/resources/`` (the app's name). A client written against the old paths keeps working: every
``/api/v1/pool/...`` answers with a 308 to the same path under ``/api/v1/resources/``, query string
kept, so a POST is repeated as a POST with its body and headers (idempotency key included)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.urls import path

from .legacy_urls import permanent


def to_resources_api(request: HttpRequest, rest: str = "") -> HttpResponsePermanentRedirect:
    return permanent(request, "/api/v1/resources/" + rest)


app_name = "pool_api_legacy"
urlpatterns = [path("<path:rest>", to_resources_api, name="any")]
