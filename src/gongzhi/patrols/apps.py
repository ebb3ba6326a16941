from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import DemoStep, Manifest, Nav, Permissions, Urls


class PatrolsConfig(AppConfig):
    name = "gongzhi.patrols"
    label = "patrols"
    verbose_name = "网格巡查"

    manifest = Manifest(
        api="gongzhi.patrols.api:router",
        urls=(Urls("patrols/", "gongzhi.patrols.urls"),),
        demo=DemoStep("gongzhi.patrols.demo:generate", 15),
        permissions=Permissions("gongzhi.patrols.perms:ROLE_ACTIONS", "gongzhi.patrols.perms:LABELS"),
        nav=(Nav(_("网格巡查"), "patrols:index", 52, action="record_patrol"),),
    )
