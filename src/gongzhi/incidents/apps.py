from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "gongzhi.incidents"
    label = "incidents"
    verbose_name = _("应急")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from gongzhi.cases.routing import register_override

        from . import (
            perms,  # noqa: F401  (registers the actions)
            routing,
        )
        from .models import Incident, IncidentGrid

        register_override(routing.override)
        for model in (Incident, IncidentGrid):
            post_save.connect(routing.clear, sender=model, dispatch_uid=f"incidents_routing_{model.__name__}_save")
            post_delete.connect(routing.clear, sender=model, dispatch_uid=f"incidents_routing_{model.__name__}_del")
