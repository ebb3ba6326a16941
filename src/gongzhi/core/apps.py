import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import Job, Manifest


class CoreConfig(AppConfig):
    name = "gongzhi.core"
    label = "core"
    verbose_name = _("平台核心")

    manifest = Manifest(
        jobs=(
            Job(
                "core.dispatch_events",
                dt.timedelta(minutes=1),
                "gongzhi.core.tasks.sweep_events",
                "wake each event queue's dispatcher, for any outbox events a lost wake-up left behind",
            ),
            Job(
                "core.prune_security_log",
                dt.timedelta(hours=24),
                "gongzhi.core.tasks.prune_security_log",
                "delete security audit log rows past their retention (never younger than 180 days)",
            ),
            Job(
                "core.prune_outbox",
                dt.timedelta(hours=24),
                "gongzhi.core.prune.prune_outbox_task",
                "delete outbox events (and deliveries) older than GONGZHI_OUTBOX_KEEP_DAYS that every subscriber "
                "has handled and the ledger holds (core/prune.py)",
            ),
            Job(
                "core.prune_idempotency_keys",
                dt.timedelta(hours=24),
                "gongzhi.core.prune.prune_idempotency_keys_task",
                "delete idempotency keys older than GONGZHI_IDEMPOTENCY_KEEP_DAYS",
            ),
        ),
    )

    def ready(self):
        from . import audit, contracts, figures, manifest

        manifest.load()  # every app's manifest; a missing or broken piece fails start-up here
        contracts.load()  # every app's declared event types and error codes
        figures.load()  # every app's figures registered (core/figures.py)

        audit.connect()  # the security audit log's append-only guard (its signals: org.auditlog)
