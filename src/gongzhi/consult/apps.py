import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import DemoStep, Job, Manifest, Nav, Permissions, Urls


class ConsultConfig(AppConfig):
    name = "gongzhi.consult"
    label = "consult"
    verbose_name = _("云协商与表决")
    default_auto_field = "django.db.models.BigAutoField"

    manifest = Manifest(
        api="gongzhi.consult.api:router",
        urls=(Urls("consult/", "gongzhi.consult.urls"),),
        demo=DemoStep("gongzhi.consult.demo:generate", 50),
        jobs=(
            Job(
                "consult.close_due_votes",
                dt.timedelta(minutes=1),
                "gongzhi.consult.tasks.close_due_votes",
                "tally formal votes whose time is up; publish tallies, minutes and follow-up items",
            ),
            Job(
                "consult.update_live_analyses",
                dt.timedelta(minutes=1),
                "gongzhi.consult.tasks.update_live_analyses",
                "bring each consultation's opinion groups up to date, one update per burst of votes",
            ),
        ),
        permissions=Permissions("gongzhi.consult.permissions:ROLE_ACTIONS", "gongzhi.consult.permissions:LABELS"),
        nav=(Nav(_("协商议事"), "consult:index", 100),),
    )

    def ready(self) -> None:
        from . import recount  # noqa: F401  registers the recount of formal votes with `gongzhi verify`
