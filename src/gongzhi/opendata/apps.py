import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import DemoStep, Job, Manifest, Nav, Permissions, Urls


class OpendataConfig(AppConfig):
    name = "gongzhi.opendata"
    label = "opendata"
    verbose_name = "开放数据"

    manifest = Manifest(
        api="gongzhi.opendata.api:router",
        urls=(Urls("data/", "gongzhi.opendata.urls"),),
        demo=DemoStep("gongzhi.opendata.demo:generate", 200),
        jobs=(
            Job(
                "opendata.publish",
                dt.timedelta(hours=24),
                "gongzhi.opendata.tasks.publish",
                "publish a new snapshot of every public dataset that changed (its digest on the ledger)",
            ),
        ),
        permissions=Permissions("gongzhi.opendata.perms:ROLE_ACTIONS", "gongzhi.opendata.perms:LABELS"),
        nav=(Nav(_("开放数据"), "opendata:catalogue", 165),),
    )

    def ready(self) -> None:
        from gongzhi.ledger import public_fields

        # A published snapshot is on the public record: its dataset, digest and counts.
        public_fields.register(
            "opendata.snapshot_published", frozenset({"dataset", "sha256", "rows", "size", "checkpoint_size"})
        )
