from django.contrib.auth import views as auth_views
from django.urls import path

from gongzhi.security.otp import two_factor
from gongzhi.security.views import LoginView

from . import basemap, pickers, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("account/2fa/", two_factor, name="two_factor"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("org/", views.org_tree, name="org_tree"),
    path("org/unit/<str:code>/", views.unit_detail, name="unit"),
    path("org/unit/<str:code>/children/", views.unit_children, name="unit_children"),
    path("org/person/<int:pk>/", views.person_detail, name="person"),
    path("map/", views.grid_map, name="map"),
    path("map/communities.geojson", basemap.communities_geojson, name="communities_geojson"),
    path("grid/<str:code>/", views.grid_detail, name="grid"),
    path("search/", views.search, name="search"),
    path("pick/<slug:kind>/", pickers.pick, name="picker"),
    path("lists/", views.lists, name="lists"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.web_manifest, name="web_manifest"),
]
