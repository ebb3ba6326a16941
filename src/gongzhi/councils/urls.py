from django.urls import path

from . import views

app_name = "councils"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/meetings/new/", views.hold_meeting, name="hold_meeting"),
    path("meetings/<int:pk>/", views.meeting, name="meeting"),
    path("meetings/<int:pk>/decisions/", views.record_decision, name="record_decision"),
    path("matters/new/", views.propose, name="propose"),
    path("matters/<int:pk>/", views.matter, name="matter"),
    path("matters/<int:pk>/step/", views.matter_step, name="matter_step"),
]
