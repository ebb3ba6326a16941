from django.urls import path

from . import views

app_name = "incidents"
urlpatterns = [
    path("", views.index, name="index"),
    path("declare/", views.declare, name="declare"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/stand-down/", views.stand_down, name="stand_down"),
    path("<int:pk>/needs/", views.raise_need, name="raise_need"),
    path("<int:pk>/log/", views.note, name="note"),
    path("<int:pk>/report/", views.report_page, name="report"),
    path("<int:pk>/report.pdf", views.report_pdf, name="report_pdf"),
    path("mobilisations/<int:pk>/", views.mobilisation_action, name="mobilisation"),
]
