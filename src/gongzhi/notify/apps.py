import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import DemoStep, Job, Manifest, Nav, Permissions, Urls


class NotifyConfig(AppConfig):
    name = "gongzhi.notify"
    label = "notify"
    verbose_name = _("通知")
    default_auto_field = "django.db.models.BigAutoField"

    manifest = Manifest(
        api="gongzhi.notify.api:router",
        urls=(Urls("", "gongzhi.notify.urls"),),  # /account/notifications/, /notify/messages/, /notify/rate/<token>/
        demo=DemoStep("gongzhi.notify.demo:generate", 160),
        jobs=(
            Job(
                "notify.send_due",
                dt.timedelta(minutes=1),
                "gongzhi.notify.tasks.send_due",
                "send queued messages: retries after backoff, messages deferred past quiet hours",
            ),
            Job(
                "notify.send_digests",
                dt.timedelta(hours=1),
                "gongzhi.notify.tasks.send_digests",
                "one digest per recipient and channel for the messages held for it",
            ),
            Job(
                "notify.meetings_due",
                dt.timedelta(hours=24),
                "gongzhi.notify.tasks.meetings_due",
                "remind lead units of required alliance meetings due within three days and not yet held",
            ),
        ),
        permissions=Permissions("gongzhi.notify.perms:ROLE_ACTIONS", "gongzhi.notify.perms:LABELS"),
        subscribers=("gongzhi.notify.subscribers",),  # events that call for a message become messages
        nav=(Nav(_("通知记录"), "notify:messages", 170, action="notify_view_messages"),),
    )

    def ready(self) -> None:
        # The burden meter counts each message that asks a worker to act (a dispatch, a reopening, an
        # overdue escalation, an alert) as one of the platform's own demands (burden.platform.STANDARD).
        from gongzhi.burden.models import DemandKind
        from gongzhi.burden.platform import STANDARD, Standard

        STANDARD.setdefault("notify_action", Standard("处理平台通知要求（平台）", DemandKind.OTHER, 2))
