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


class AgendaProposal(models.Model):
    """A recurring matter found in a community's requests of a period (:mod:`.agenda`), proposed as a
    consultation topic or a plan goal with its requests as evidence (数据识别需求、优化议题设置, seed 003).
    A cadre accepts it (a consultation topic is drafted) or dismisses it with a reason; the decision is
    recorded here and as an event."""

    class Kind(models.TextChoices):
        TOPIC = "topic", _("协商议题")
        GOAL = "goal", _("计划目标")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待决定")
        ACCEPTED = "accepted", _("已采纳")
        DISMISSED = "dismissed", _("未采纳")

    kind = models.CharField(_("建议类型"), max_length=8, choices=Kind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("社区/村"))
    period = models.CharField(_("期间"), max_length=7, help_text="YYYY-MM: the month whose scan found it")
    signature = models.CharField(max_length=32, help_text="the matter's identity: a hash of its sorted top terms")
    label = models.CharField(_("事项"), max_length=200)
    terms = models.JSONField(_("关键词"), default=list)
    places = models.JSONField(_("地点"), default=list, help_text="[[place, requests], ...], most first")
    categories = models.JSONField(default=list, help_text="[[category code, requests], ...], most first")
    request_count = models.PositiveIntegerField(_("诉求数"), default=0)
    closed_count = models.PositiveIntegerField(_("已办结诉求数"), default=0)
    cohesion = models.FloatField(_("相似度"), default=0)
    first_at = models.DateTimeField(_("最早诉求"), null=True, blank=True)
    last_at = models.DateTimeField(_("最近诉求"), null=True, blank=True)
    requests = models.ManyToManyField(ServiceRequest, related_name="+", blank=True, verbose_name=_("依据诉求"))
    alerts = models.ManyToManyField(Alert, related_name="+", blank=True, verbose_name=_("相关预警"))
    reason_code = models.CharField(max_length=40, help_text="why this kind: a code of services.AGENDA_REASONS")
    reason_params = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PROPOSED, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decision_reason = models.TextField(_("决定说明"), blank=True)
    topic = models.ForeignKey(
        "consult.Topic",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("协商议题"),
    )
    goal_title = models.CharField(_("目标名称"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("提出时间"))
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-period", "-request_count", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "period", "signature"], name="alerts_agenda_one_per_matter")
        ]
        indexes = [models.Index(fields=["status", "-period"])]
        verbose_name = _("议题建议")
        verbose_name_plural = _("议题建议")

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("alerts:agenda_detail", args=[self.pk])
