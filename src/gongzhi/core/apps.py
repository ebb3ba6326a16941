from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gongzhi.core"
    label = "core"
    verbose_name = _("平台核心")

    def ready(self):
        from . import audit, contracts, figures

        contracts.load()  # every app's declared event types and error codes
        figures.load()  # every app's figures registered (core/figures.py)

        audit.connect()  # the security audit log's append-only guard (its signals: org.auditlog)
