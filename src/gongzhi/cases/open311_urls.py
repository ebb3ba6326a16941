"""Open311 GeoReport v2, mounted at /open311/v2/."""

from django.urls import re_path

from . import open311

F = r"\.(?P<fmt>json|xml)"

urlpatterns = [
    re_path(rf"^services{F}$", open311.services_list, name="open311_services"),
    re_path(rf"^services/(?P<code>[0-9A-Za-z_-]+){F}$", open311.service_definition, name="open311_service"),
    re_path(rf"^requests{F}$", open311.requests_endpoint, name="open311_requests"),
    re_path(rf"^requests/(?P<number>[0-9A-Za-z_-]+){F}$", open311.request_detail, name="open311_request"),
    re_path(rf"^tokens/(?P<token>[0-9A-Za-z_-]+){F}$", open311.token_detail, name="open311_token"),
]
