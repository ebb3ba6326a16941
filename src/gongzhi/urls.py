from django.conf.urls.i18n import i18n_patterns  # noqa: F401
from django.contrib import admin
from django.urls import include, path

from gongzhi.api.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("ledger/", include("gongzhi.ledger.urls")),
    path("consult/", include("gongzhi.consult.urls")),
    path("pool/", include("gongzhi.resources.urls")),
    path("", include("gongzhi.web.urls")),
]
