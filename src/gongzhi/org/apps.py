from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import DemoStep, Manifest, Nav, Urls


class OrgConfig(AppConfig):
    name = "gongzhi.org"
    label = "org"
    verbose_name = _("组织体系")

    manifest = Manifest(
        api="gongzhi.org.api:router",
        urls=(
            Urls("audit/", "gongzhi.org.audit_urls"),  # the security audit log (auditors)
            Urls("party/", "gongzhi.org.party_urls"),  # 应建未建: where a party organisation should exist
        ),
        nav=(
            Nav(_("应建未建"), "party_gaps", 25, action="view"),
            Nav(_("包片联户"), "coverage", 26, action="view"),  # party members' household coverage (seed 002)
        ),
        figures="gongzhi.org.figures",
        demo=DemoStep("gongzhi.org.demo_visits:generate", 15),  # household visits (after the cases demo)
    )

    def ready(self) -> None:
        from gongzhi.core import manifest

        from . import auditlog, geo, permissions

        for _app, roles, labels in manifest.loaded().permissions:  # every app's actions, from its manifest
            permissions.register(roles, labels)
        geo.connect_signals()
        auditlog.connect()  # the security audit log: log-ins, role and permission changes, admin actions
