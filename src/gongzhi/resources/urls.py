from django.urls import path

from . import views

app_name = "resources"
urlpatterns = [
    path("", views.index, name="index"),
    path("needs/new/", views.need_new, name="need_new"),
    path("needs/<int:pk>/", views.need_detail, name="need"),
    path("resources/new/", views.resource_new, name="resource_new"),
    path("resources/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("run/", views.run, name="run"),
    path("inbox/", views.inbox, name="inbox"),
    path("assignments/<int:pk>/", views.act, name="act"),
]
