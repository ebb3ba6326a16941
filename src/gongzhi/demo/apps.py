from django.apps import AppConfig

from gongzhi.core.manifest import Manifest


class DemoConfig(AppConfig):
    name = "gongzhi.demo"
    label = "demo"

    manifest = Manifest()  # the district generator itself; each app declares its own demo step
