from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import DemoStep, Manifest, Nav, Permissions, Urls


class BurdenConfig(AppConfig):
    name = "gongzhi.burden"
    label = "burden"
    verbose_name = _("减负监测")
    default_auto_field = "django.db.models.BigAutoField"

    manifest = Manifest(
        api="gongzhi.burden.api:router",
        urls=(Urls("burden/", "gongzhi.burden.urls"),),
        demo=DemoStep("gongzhi.burden.demo:generate", 100),
        permissions=Permissions("gongzhi.burden.perms:BURDEN_ACTIONS", "gongzhi.burden.perms:LABELS"),
        subscribers=("gongzhi.burden.platform",),  # the platform's own demands, from the domain events
        figures="gongzhi.burden.sources",
        nav=(Nav(_("减负监测"), "burden:index", 130, action="view"),),
    )
