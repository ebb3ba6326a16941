"""What the operations side records: the background workers' heartbeats."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """One row per task-worker process, refreshed every few seconds while it lives.

    ``/readyz`` and ``gongzhi status`` read the youngest beat: no beat within a minute means no
    worker is taking the background jobs (dispatch, ledger, escalation)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    queues = models.CharField(max_length=255, default="*")
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("任务进程心跳")
        verbose_name_plural = _("任务进程心跳")

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}:{self.pid})"
