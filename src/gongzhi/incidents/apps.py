from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import DemoStep, Manifest, Nav, Permissions, Urls


class IncidentsConfig(AppConfig):
    name = "gongzhi.incidents"
    label = "incidents"
    verbose_name = _("应急")
    default_auto_field = "django.db.models.BigAutoField"

    manifest = Manifest(
        api="gongzhi.incidents.api:router",
        urls=(Urls("incidents/", "gongzhi.incidents.urls"),),
        demo=DemoStep("gongzhi.incidents.demo:generate", 70),
        permissions=Permissions("gongzhi.incidents.perms:ROLE_ACTIONS", "gongzhi.incidents.perms:ACTION_LABELS"),
        nav=(Nav(_("应急"), "incidents:index", 150, action="view"),),
    )

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from gongzhi.cases.routing import register_override

        from . import routing
        from .models import Incident, IncidentGrid

        register_override(routing.override)
        for model in (Incident, IncidentGrid):
            post_save.connect(routing.clear, sender=model, dispatch_uid=f"incidents_routing_{model.__name__}_save")
            post_delete.connect(routing.clear, sender=model, dispatch_uid=f"incidents_routing_{model.__name__}_del")
