from django.urls import path

from . import views

app_name = "consult"
urlpatterns = [
    path("", views.index, name="index"),
    path("topics/new/", views.topic_new, name="topic_new"),
    path("topics/<int:pk>/", views.topic, name="topic"),
    path("topics/<int:pk>/card/", views.next_card, name="card"),
    path("topics/<int:pk>/moderate/", views.moderate, name="moderate"),
    path("topics/<int:pk>/results/", views.results, name="results"),
    path("topics/<int:pk>/export/<str:name>", views.export, name="export"),
    path("votes/new/", views.vote_new, name="vote_new"),
    path("votes/<int:pk>/", views.vote_page, name="vote"),
    path("votes/<int:pk>/close/", views.vote_close, name="vote_close"),
    path("receipt/", views.ballot_receipt, name="receipt"),
]
