from django.urls import path

from . import views

app_name = "opendata"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("figures/schema", views.figures_schema, name="figures_schema"),
    path("import/", views.import_page, name="import"),
    path("import/template/<str:kind>.xlsx", views.import_template, name="import_template"),
    path("<slug:slug>/meta.json", views.meta, name="meta"),
    path("<slug:slug>/download", views.download, name="download"),
]
