from django.urls import path

from . import views, views_agenda

app_name = "alerts"
urlpatterns = [
    path("", views.index, name="index"),
    path("scan/", views.scan, name="scan"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/", views.act, name="act"),
    path("agenda/", views_agenda.index, name="agenda"),
    path("agenda/scan/", views_agenda.scan, name="agenda_scan"),
    path("agenda/<int:pk>/", views_agenda.detail, name="agenda_detail"),
    path("agenda/<int:pk>/decide/", views_agenda.decide, name="agenda_decide"),
]
