from django.urls import path

from . import views

app_name = "volunteers"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.profile, name="profile"),
    path("records/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("catalogue/", views.catalogue, name="catalogue"),
]
