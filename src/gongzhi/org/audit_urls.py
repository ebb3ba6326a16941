from django.urls import path

from . import audit_views

urlpatterns = [
    path("", audit_views.log_page, name="audit_log"),
    path("export.csv", audit_views.log_export, name="audit_log_export"),
]
