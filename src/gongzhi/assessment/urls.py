from django.urls import path

from . import views

app_name = "assessment"
urlpatterns = [
    path("", views.index, name="index"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("results/<int:pk>/", views.result, name="result"),
    path("results/<int:pk>/records/<str:name>/", views.measure_records, name="records"),
]
