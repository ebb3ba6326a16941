from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResourcesConfig(AppConfig):
    name = "gongzhi.resources"
    label = "resources"
    verbose_name = _("公共池")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import subscribers  # noqa: F401  (needs from alliances, requests and bypasses reach the pool)
