import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import DemoStep, Job, Manifest, Nav, Permissions, Urls


class AlertsConfig(AppConfig):
    name = "gongzhi.alerts"
    label = "alerts"
    verbose_name = _("预警")
    default_auto_field = "django.db.models.BigAutoField"

    manifest = Manifest(
        api="gongzhi.alerts.api:router",
        urls=(Urls("alerts/", "gongzhi.alerts.urls"),),
        demo=DemoStep("gongzhi.alerts.demo:generate", 80),
        jobs=(
            Job(
                "alerts.daily_scan",
                dt.timedelta(hours=24),
                "gongzhi.alerts.tasks.daily_scan",
                "run the early-warning detectors over yesterday",
            ),
            Job(
                "alerts.agenda_scan",
                dt.timedelta(hours=24),
                "gongzhi.alerts.tasks.agenda_scan",
                "propose this month's recurring matters as consultation topics or plan goals",
            ),
        ),
        permissions=Permissions("gongzhi.alerts.perms:ALERT_ACTIONS", "gongzhi.alerts.perms:LABELS"),
        nav=(Nav(_("预警"), "alerts:index", 60, action="view"), Nav(_("议题建议"), "alerts:agenda", 61, action="view")),
    )
