from django.urls import path

from . import party_views

urlpatterns = [
    path("gaps/", party_views.gaps_page, name="party_gaps"),
]
