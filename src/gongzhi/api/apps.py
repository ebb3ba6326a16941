from django.apps import AppConfig

from gongzhi.core.manifest import Manifest, Nav


class ApiConfig(AppConfig):
    name = "gongzhi.api"
    label = "api"

    manifest = Manifest(nav=(Nav("API", "/api/v1/docs", 900),))
