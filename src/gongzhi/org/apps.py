from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "gongzhi.org"
    label = "org"
    verbose_name = _("组织体系")

    def ready(self) -> None:
        from . import auditlog, geo

        geo.connect_signals()
        auditlog.connect()  # the security audit log: log-ins, role and permission changes, admin actions
