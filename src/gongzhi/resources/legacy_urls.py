"""The common pool's pages were served under ``/pool/`` until issue 22; they live under
``/resources/`` (the app's name). Old links and bookmarks keep working: every ``/pool/...`` answers
with a permanent redirect to the same path under ``/resources/``, query string kept. It is a 308, so a
POST is repeated as a POST (a 301 would turn it into a GET)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.urls import path, reverse


def to_resources(request: HttpRequest, rest: str = "") -> HttpResponsePermanentRedirect:
    return permanent(request, reverse("resources:index") + rest)


def permanent(request: HttpRequest, url: str) -> HttpResponsePermanentRedirect:
    """A 308 to ``url`` with the request's query string (a POST is repeated as a POST)."""
    if request.META.get("QUERY_STRING"):
        url += "?" + request.META["QUERY_STRING"]
    return HttpResponsePermanentRedirect(url, preserve_request=True)


app_name = "pool_legacy"
urlpatterns = [
    path("", to_resources, name="index"),
    path("<path:rest>", to_resources, name="any"),
]
