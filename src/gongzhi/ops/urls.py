from django.urls import path

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("ops/system/", views.system_page, name="ops_system"),
    path("favicon.ico", views.favicon, name="favicon"),
]
