import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import DemoStep, Job, Manifest, Nav, Permissions, Urls


class CasesConfig(AppConfig):
    name = "gongzhi.cases"
    label = "cases"
    verbose_name = _("接诉即办")

    manifest = Manifest(
        api="gongzhi.cases.api:router",
        urls=(Urls("requests/", "gongzhi.cases.urls"), Urls("open311/v2/", "gongzhi.cases.open311_urls")),
        demo=DemoStep("gongzhi.cases.demo:generate", 10),
        jobs=(
            Job(
                "cases.escalate_overdue",
                dt.timedelta(minutes=5),
                "gongzhi.cases.tasks.escalate_overdue",
                "escalate overdue requests to the level above; flag emergency bypasses not filed in time",
            ),
        ),
        permissions=Permissions("gongzhi.cases.perms:CASE_ROLE_ACTIONS", "gongzhi.cases.perms:LABELS"),
        figures="gongzhi.cases.figures",
        nav=(Nav(_("接诉即办"), "cases:index", 50),),
    )

    def ready(self) -> None:
        from . import routing, visit_intake

        routing.connect_signals()
        visit_intake.register()  # a matter raised on a household visit becomes a request (org → cases)
