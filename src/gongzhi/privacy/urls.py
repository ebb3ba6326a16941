from django.urls import path

from . import views

urlpatterns = [
    path("account/my-data/", views.my_data, name="my_data"),
    path("account/my-data/download/", views.my_data_download, name="my_data_download"),
    path("privacy/person/<int:pk>/export/", views.person_export, name="person_export"),
]
