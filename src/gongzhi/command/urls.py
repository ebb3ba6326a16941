from django.urls import path

from . import mechanism_views, views

app_name = "command"
urlpatterns = [
    path("", views.index, name="index"),
    path("mechanisms/", mechanism_views.mechanisms_index, name="mechanisms_index"),
    path("<str:code>/", views.centre, name="centre"),
    path("<str:code>/wall/", views.wall, name="wall"),
    path("<str:code>/wall/panel/", views.wall_panel, name="wall_panel"),
    path("<str:code>/desk/", views.desk_view, name="desk"),
    path("<str:code>/brief.pdf", views.brief_pdf, name="brief"),
    path("<str:code>/map/<str:name>.geojson", views.layer, name="layer"),
    path("<str:code>/boards/", mechanism_views.boards_view, name="boards"),
    path("<str:code>/mechanisms/", mechanism_views.mechanisms_view, name="mechanisms"),
    path("<str:code>/mechanisms/<int:pk>/", mechanism_views.session_view, name="session"),
]
