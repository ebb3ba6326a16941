from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import DemoStep, Manifest, Nav, Permissions, Urls


class CouncilsConfig(AppConfig):
    name = "gongzhi.councils"
    label = "councils"
    verbose_name = _("议事平台")
    default_auto_field = "django.db.models.BigAutoField"

    manifest = Manifest(
        api="gongzhi.councils.api:router",
        urls=(Urls("councils/", "gongzhi.councils.urls"),),
        demo=DemoStep("gongzhi.councils.demo:generate", 75),
        permissions=Permissions("gongzhi.councils.perms:ROLE_ACTIONS", "gongzhi.councils.perms:ACTION_LABELS"),
        nav=(Nav(_("议事平台"), "councils:index", 105, action="view"),),
    )

    def ready(self) -> None:
        from gongzhi.core import approvals

        from . import procedure

        approvals.register(procedure.require_approved)
