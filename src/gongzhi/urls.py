from django.contrib import admin
from django.urls import include, path

from gongzhi.api.api import api
from gongzhi.core import manifest

handler403 = "gongzhi.ops.errors.permission_denied"
handler404 = "gongzhi.ops.errors.page_not_found"
handler500 = "gongzhi.ops.errors.server_error"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

# Every app's pages, as its manifest declares them (``urls=(Urls("requests/", "gongzhi.cases.urls"),)``).
urlpatterns += [path(urls.prefix, include(urls.module)) for _app, urls in manifest.loaded().urls]
