from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "gongzhi.ledger"
    label = "ledger"
    verbose_name = _("公开记录")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import subscribers  # noqa: F401  (registers the outbox subscriber)
