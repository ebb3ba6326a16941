from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("simple/", views.new, {"simple": True}, name="simple"),
    path("mine/", views.mine, name="mine"),
    path("r/<str:number>/", views.detail, name="detail"),
    path("r/<str:number>/attachments/<int:pk>/", views.attachment, name="attachment"),
    path("inbox/grid/", views.grid_inbox, name="grid_inbox"),
    path("inbox/dept/", views.dept_inbox, name="dept_inbox"),
    path("inbox/pushdowns/", views.pushdown_inbox, name="pushdown_inbox"),
    path("powers/", views.power_list, name="power_list"),
    path("desk/", views.desk, name="desk"),
    path("hotline/", views.hotline, name="hotline"),
    path("figures/", views.figures_page, name="figures"),
    path("bypass/", views.bypass, name="bypass"),
    path("mediation/", views.mediation, name="mediation"),
    path("mediation/<int:pk>/", views.mediation_detail, name="mediation_detail"),
    path("grids.geojson", views.grids_geojson, name="grids_geojson"),
    path("places.json", views.places, name="places"),
    path("locate/", views.locate, name="locate"),
    path("suggest/", views.suggest, name="suggest"),
]
