from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import DemoStep, Manifest, Nav, Permissions, Urls


class VolunteersConfig(AppConfig):
    name = "gongzhi.volunteers"
    label = "volunteers"
    verbose_name = _("志愿者")
    default_auto_field = "django.db.models.BigAutoField"

    manifest = Manifest(
        api="gongzhi.volunteers.api:router",
        urls=(Urls("volunteers/", "gongzhi.volunteers.urls"),),
        demo=DemoStep("gongzhi.volunteers.demo:generate", 40),
        permissions=Permissions("gongzhi.volunteers.services:VOL_ACTIONS", "gongzhi.volunteers.services:ACTION_LABELS"),
        figures="gongzhi.volunteers.figures",
        nav=(Nav(_("志愿者"), "volunteers:index", 90),),
    )
