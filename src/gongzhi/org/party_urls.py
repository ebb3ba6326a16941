from django.urls import path

from . import coverage_views, party_views

urlpatterns = [
    path("gaps/", party_views.gaps_page, name="party_gaps"),
    path("coverage/", coverage_views.coverage_page, name="coverage"),  # 包片联户 (seed 002)
    path("coverage/members/<int:pk>/", coverage_views.member_page, name="coverage_member"),
]
