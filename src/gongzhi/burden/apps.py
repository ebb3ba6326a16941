from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BurdenConfig(AppConfig):
    name = "gongzhi.burden"
    label = "burden"
    verbose_name = _("减负监测")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            perms,  # noqa: F401  (registers the burden actions)
            platform,  # noqa: F401  (the platform's own demands, from the domain events)
        )
