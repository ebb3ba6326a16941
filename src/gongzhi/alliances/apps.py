from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import DemoStep, Manifest, Nav, Permissions, Urls


class AlliancesConfig(AppConfig):
    name = "gongzhi.alliances"
    label = "alliances"
    verbose_name = _("党建联合体")
    default_auto_field = "django.db.models.BigAutoField"

    manifest = Manifest(
        api="gongzhi.alliances.api:router",
        urls=(Urls("alliances/", "gongzhi.alliances.urls"),),
        demo=DemoStep("gongzhi.alliances.demo:generate", 20),
        permissions=Permissions("gongzhi.alliances.permissions:ROLE_ACTIONS", "gongzhi.alliances.permissions:LABELS"),
        figures="gongzhi.alliances.figures",
        nav=(Nav(_("党建联合体"), "alliances:index", 70, action="view_alliance"),),
    )

    def ready(self) -> None:
        # consult sits below alliances: hand it the alliance electorate (the active member units).
        from gongzhi.consult.votes import register_unit_electorate

        from .appraisal import member_unit_ids

        register_unit_electorate("alliance", member_unit_ids)
