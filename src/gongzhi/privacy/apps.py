import datetime as dt

from django.apps import AppConfig

from gongzhi.core.manifest import Job, Manifest, Permissions, Urls


class PrivacyConfig(AppConfig):
    name = "gongzhi.privacy"
    label = "privacy"
    verbose_name = "个人信息保护"

    manifest = Manifest(
        api="gongzhi.privacy.api:router",
        urls=(Urls("", "gongzhi.privacy.urls"),),  # /account/my-data/, /privacy/person/<id>/export/
        jobs=(
            Job(
                "privacy.purge_expired",
                dt.timedelta(hours=24),
                "gongzhi.privacy.tasks.purge_expired",
                "delete or anonymise personal data past its retention period (gongzhi/privacy/retention.py)",
            ),
        ),
        permissions=Permissions("gongzhi.privacy.perms:ROLE_ACTIONS", "gongzhi.privacy.perms:LABELS"),
    )

    def ready(self):
        from gongzhi.ledger import public_fields

        # The purge's own event is on the public record: counts, kinds and times only.
        public_fields.register("privacy.purged", frozenset({"kind", "action", "rows", "cutoff", "days"}))
