from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "gongzhi.privacy"
    label = "privacy"
    verbose_name = "个人信息保护"

    def ready(self):
        from . import perms  # noqa: F401  (adds the export action to the one permission table)
        from gongzhi.ledger import public_fields

        # The purge's own event is on the public record: counts, kinds and times only.
        public_fields.register("privacy.purged", frozenset({"kind", "action", "rows", "cutoff", "days"}))
