"""Early-warning alerts (预警): raised by the scan (services.scan) from the
requests, each carrying its own explanation — expected vs observed, the
baseline window, the tail probability, the series for a chart and the
requests behind it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongzhi.cases.models import ServiceRequest
from gongzhi.core.models import Region
from gongzhi.org.models import Grid, MatterCategory, Unit


class Kind(models.TextChoices):
    ARRIVALS = "arrivals", _("诉求量异常")
    REPEAT = "repeat", _("同一地点重复投诉")
    SLA = "sla", _("超时集中")


class Status(models.TextChoices):
    OPEN = "open", _("待处理")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    DISMISSED = "dismissed", _("已排除")
    RESOLVED = "resolved", _("已解除")


class Severity(models.IntegerChoices):
    NOTICE = 1, _("提示")
    WARNING = 2, _("警示")
    URGENT = 3, _("紧急")


ACTIVE = (Status.OPEN, Status.ACKNOWLEDGED)


class Alert(models.Model):
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    key = models.CharField(max_length=120, help_text="the anomaly's identity: one active alert per key")
    severity = models.PositiveSmallIntegerField(_("级别"), choices=Severity.choices, default=Severity.NOTICE)
    title = models.CharField(_("标题"), max_length=200)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("网格")
    )
    category = models.ForeignKey(
        MatterCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("事项类别")
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("承办单位")
    )
    window_start = models.DateField(_("异常起始日"))
    window_end = models.DateField(_("异常截止日"))
    baseline_start = models.DateField(null=True, blank=True)
    baseline_end = models.DateField(null=True, blank=True)
    expected = models.FloatField(_("期望值"))
    observed = models.PositiveIntegerField(_("观测值"))
    p_value = models.FloatField(_("尾概率"))
    score = models.FloatField(_("分值"), help_text="-log10 of the tail probability")
    explanation = models.TextField(_("说明"))
    series = models.JSONField(default=dict, blank=True)
    requests = models.ManyToManyField(ServiceRequest, related_name="+", blank=True, verbose_name=_("相关诉求"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True)
    status_reason = models.TextField(_("处理说明"), blank=True)
    status_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("预警时间"), db_index=True)
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-severity", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(status__in=["open", "acknowledged"]), name="alerts_one_active_per_key"
            )
        ]
        indexes = [models.Index(fields=["status", "-severity", "-created_at"]), models.Index(fields=["key"])]
        verbose_name = _("预警")
        verbose_name_plural = _("预警")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("alerts:detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE


class ScanRun(models.Model):
    """One scan: where, up to which day, what it found (the daily task and the command write these)."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    first_day = models.DateField()
    last_day = models.DateField()
    raised = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    series = models.PositiveIntegerField(default=0)
    phi = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField()
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-started_at"]
