from django.contrib import admin
from django.urls import include, path

from gongzhi.api.api import api

handler403 = "gongzhi.ops.errors.permission_denied"
handler404 = "gongzhi.ops.errors.page_not_found"
handler500 = "gongzhi.ops.errors.server_error"

urlpatterns = [
    path("", include("gongzhi.ops.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("ledger/", include("gongzhi.ledger.urls")),
    path("consult/", include("gongzhi.consult.urls")),
    path("resources/", include("gongzhi.resources.urls")),
    path("pool/", include("gongzhi.resources.legacy_urls")),  # old links: 308 to /resources/
    path("requests/", include("gongzhi.cases.urls")),
    path("open311/v2/", include("gongzhi.cases.open311_urls")),
    path("alliances/", include("gongzhi.alliances.urls")),
    path("volunteers/", include("gongzhi.volunteers.urls")),
    path("plans/", include("gongzhi.plans.urls")),
    path("assessment/", include("gongzhi.assessment.urls")),
    path("burden/", include("gongzhi.burden.urls")),
    path("command/", include("gongzhi.command.urls")),
    path("alerts/", include("gongzhi.alerts.urls")),
    path("incidents/", include("gongzhi.incidents.urls")),
    path("audit/", include("gongzhi.org.audit_urls")),  # the security audit log (auditors)
    path("", include("gongzhi.privacy.urls")),  # /account/my-data/, /privacy/person/<id>/export/
    path("", include("gongzhi.web.urls")),
]
