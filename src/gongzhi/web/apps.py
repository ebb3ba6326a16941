from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import Manifest, Nav, Urls


class WebConfig(AppConfig):
    name = "gongzhi.web"
    label = "web"

    manifest = Manifest(
        urls=(Urls("", "gongzhi.web.urls"),),
        nav=(
            Nav(_("首页"), "home", 10),
            Nav(_("组织架构"), "org_tree", 20, action="view"),
            Nav(_("网格地图"), "map", 30),
            Nav(_("权责清单"), "lists", 40, action="view"),
            Nav(_("管理后台"), "admin:index", 1000, staff=True),
        ),
    )
