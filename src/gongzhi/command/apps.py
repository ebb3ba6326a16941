import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import DemoStep, Job, Manifest, Nav, Permissions, Urls


class CommandConfig(AppConfig):
    name = "gongzhi.command"
    label = "command"
    verbose_name = _("指挥中心")
    default_auto_field = "django.db.models.BigAutoField"

    manifest = Manifest(
        api="gongzhi.command.api:router",
        urls=(Urls("command/", "gongzhi.command.urls"),),
        demo=DemoStep("gongzhi.command.demo:generate", 90),
        permissions=Permissions("gongzhi.command.perms:COMMAND_ROLE_ACTIONS", "gongzhi.command.perms:LABELS"),
        subscribers=("gongzhi.command.subscribers",),  # request events keep the rollup tables current
        figures="gongzhi.command.queries",
        jobs=(
            Job(
                "command.schedule_mechanisms",
                dt.timedelta(hours=1),
                "gongzhi.command.tasks.schedule_mechanisms",
                'the sessions of the "885" mechanisms whose period has ended fall due (once per period)',
            ),
        ),
        nav=(
            Nav(_("指挥中心"), "command:index", 140, action="command_view"),
            Nav(_("五项机制"), "command:mechanisms_index", 141, action="command_view"),  # "885" (seed 004)
        ),
    )
