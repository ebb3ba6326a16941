from django.urls import path

from . import views

app_name = "notify"

urlpatterns = [
    path("account/notifications/", views.preferences, name="preferences"),
    path("notify/messages/", views.messages_page, name="messages"),
    path("notify/rate/<str:token>/", views.rate, name="rate"),
]
