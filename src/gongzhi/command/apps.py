from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandConfig(AppConfig):
    name = "gongzhi.command"
    label = "command"
    verbose_name = _("指挥中心")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import perms, subscribers  # noqa: F401  (actions registered; rollups kept by request events)
