"""Open data: the published snapshots of each public dataset, and the record of every spreadsheet import."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Snapshot(models.Model):
    """One published version of a dataset: the exact bytes served, their SHA-256, and the signed ledger
    checkpoint at the time it was taken. Publishing emits ``opendata.snapshot_published`` (dataset,
    digest, rows), which the ledger appends, so a reader can prove a download was not altered."""

    dataset = models.CharField(_("数据集"), max_length=64, db_index=True)
    created_at = models.DateTimeField(_("发布时间"), auto_now_add=True)
    rows = models.PositiveIntegerField(_("记录数"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content = models.BinaryField(_("内容"))
    content_type = models.CharField(max_length=80)
    filename = models.CharField(max_length=120)
    checkpoint_size = models.BigIntegerField(_("检查点树大小"), null=True, blank=True)
    checkpoint_root = models.CharField(_("检查点根哈希"), max_length=64, blank=True)
    checkpoint_note = models.TextField(_("签名检查点"), blank=True)
    event_id = models.UUIDField(_("发布事件"), null=True, blank=True)

    class Meta:
        ordering = ["dataset", "-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["dataset", "sha256"], name="opendata_snapshot_once")]
        verbose_name = _("数据快照")
        verbose_name_plural = _("数据快照")

    def __str__(self) -> str:
        return f"{self.dataset} {self.sha256[:12]}"


class ImportRun(models.Model):
    """A spreadsheet import, dry run or applied: what was read, what was refused and why."""

    class Kind(models.TextChoices):
        UNITS = "units", _("单位")
        PEOPLE = "people", _("人员")
        HOUSEHOLDS = "households", _("户")

    kind = models.CharField(_("导入类型"), max_length=12, choices=Kind.choices)
    filename = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    dry_run = models.BooleanField(_("试运行"), default=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    accepted = models.PositiveIntegerField(_("可导入"), default=0)
    refused = models.JSONField(_("拒绝的行"), default=list)  # [{"row", "column", "code", "message"}]
    applied = models.BooleanField(_("已导入"), default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("导入记录")
        verbose_name_plural = _("导入记录")

    def __str__(self) -> str:
        return f"{self.kind} {self.filename}"
