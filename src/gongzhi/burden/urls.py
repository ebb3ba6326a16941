from django.urls import path

from . import views

app_name = "burden"
urlpatterns = [
    path("", views.index, name="index"),
    path("items/<int:pk>/complete/", views.complete, name="complete"),
    path("demands/", views.demands, name="demands"),
    path("demands/<int:pk>/", views.demand, name="demand"),
    path("audit/", views.audit_page, name="audit"),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:pk>/", views.report, name="report"),
    path("reports/<int:pk>.<str:fmt>", views.report_download, name="report_download"),
    path("reports/all.<str:fmt>", views.reports_download, name="reports_download"),
]
