from django.urls import path

from . import views

app_name = "patrols"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("cadence/<str:code>/", views.cadence, name="cadence"),
]
