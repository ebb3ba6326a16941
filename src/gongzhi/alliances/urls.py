from django.urls import path

from . import views

app_name = "alliances"
urlpatterns = [
    path("", views.index, name="index"),
    path("apply/", views.apply, name="apply"),
    path("inbox/", views.inbox, name="inbox"),
    path("unit/<str:code>/", views.unit_view, name="unit"),
    path("membership/<int:pk>/", views.membership, name="membership"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/decide/", views.decide, name="decide"),
    path("<str:code>/invite/", views.invite, name="invite"),
    path("<str:code>/funds/", views.funds, name="funds"),
    path("<str:code>/activities/", views.activity, name="activity"),
    path("<str:code>/meetings/<int:pk>/", views.record_meeting, name="meeting"),
    path("<str:code>/points/<int:year>/<int:q>/", views.quarter, name="quarter"),
    path("<str:code>/review/<int:year>/", views.review, name="review"),
    path("<str:code>/rectification/<int:pk>/", views.rectification, name="rectification"),
]
