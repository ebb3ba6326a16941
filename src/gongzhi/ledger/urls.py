from django.urls import path, re_path

from . import views

app_name = "ledger"
urlpatterns = [
    path("", views.index, name="index"),
    path("entries/<int:index>/", views.entry, name="entry"),
    path("checkpoint", views.checkpoint, name="checkpoint"),
    re_path(r"^tile/(?P<path>.+)$", views.tile, name="tile"),
    path("proof/inclusion", views.inclusion_proof, name="inclusion"),
    path("proof/record", views.record_proof, name="record"),
    path("proof/consistency", views.consistency_proof, name="consistency"),
]
