"""The common pool (公共池塘): resources offered by units, needs, and the assignments matching them.

Ownership stays with the offering unit; the pool holds use rights.  The
matching itself is the pure module :mod:`gongzhi.resources.matching`; these
models store its input and its explained output, and the loop
need → response → delivery → closed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import Region
from gongzhi.org.models import Grid, Unit


class Kind(models.TextChoices):
    PERSON = "person", _("人员/技能")
    FUNDS = "funds", _("资金")
    MATERIAL = "material", _("物资")
    VENUE = "venue", _("场地")
    VEHICLE = "vehicle", _("车辆")
    INFORMATION = "information", _("信息")


class Priority(models.IntegerChoices):
    """Lower is served first (matches :class:`gongzhi.resources.matching.Priority`)."""

    EMERGENCY = 0, _("应急")
    BASIC = 1, _("基本民生")
    DEVELOPMENT = 2, _("发展")


class Source(models.TextChoices):
    REQUEST = "request", _("接诉即办")
    ALLIANCE = "alliance", _("联合体需求清单")
    EMERGENCY = "emergency", _("应急事件")
    DIRECT = "direct", _("直接录入")


class PoolResource(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("可用")
        WITHDRAWN = "withdrawn", _("已撤回")

    name = models.CharField(_("名称"), max_length=120)
    owner = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="pool_resources", verbose_name=_("所有单位"))
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    quantity = models.PositiveIntegerField(_("可用数量"))
    unit_label = models.CharField(_("计量单位"), max_length=16, blank=True)
    skills = models.JSONField(_("技能"), default=list, blank=True)
    certificates = models.JSONField(_("资质(领域→等级)"), default=dict, blank=True)
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pool_resources",
        verbose_name=_("志愿者"),
    )
    available_from = models.DateTimeField(_("可用开始"), null=True, blank=True)
    available_until = models.DateTimeField(_("可用结束"), null=True, blank=True)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("网格")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区域"))
    share_with_paired = models.BooleanField(_("与结对乡镇共享"), default=False)
    use_cost = models.PositiveIntegerField(_("使用成本"), default=0)
    conditions = models.CharField(_("使用条件"), max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "kind"])]
        verbose_name = _("池内资源")
        verbose_name_plural = _("池内资源")

    def __str__(self) -> str:
        return f"{self.name}（{self.owner}）"


class PoolNeed(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("待满足")
        CLOSED = "closed", _("已闭环")
        CANCELLED = "cancelled", _("已取消")

    title = models.CharField(_("需求"), max_length=120)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    quantity = models.PositiveIntegerField(_("数量"))
    priority = models.PositiveSmallIntegerField(_("优先级"), choices=Priority.choices, default=Priority.BASIC)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.DIRECT)
    source_ref = models.CharField(_("来源编号"), max_length=60, blank=True)
    skills = models.JSONField(_("所需技能"), default=list, blank=True)
    certificates = models.JSONField(_("所需资质(领域→最低等级)"), default=dict, blank=True)
    window_start = models.DateTimeField(_("需要开始"), null=True, blank=True)
    window_end = models.DateTimeField(_("需要结束"), null=True, blank=True)
    deadline = models.DateTimeField(_("截止时间"), null=True, blank=True)
    max_distance_m = models.PositiveIntegerField(_("最大距离(米)"), null=True, blank=True)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("网格")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区域"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["priority", "-id"]
        indexes = [
            models.Index(fields=["status", "priority"]),
            # need_from(): a need fed by another module is looked up by its source reference on every
            # delivery of the event that raises or cancels it.
            models.Index(fields=["source", "source_ref"], name="res_need_source_ref"),
        ]
        verbose_name = _("需求")
        verbose_name_plural = _("需求")

    def __str__(self) -> str:
        return self.title


class MatchRun(models.Model):
    """One run of the matcher (or one repair), with its figures."""

    method = models.CharField(max_length=32)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    seconds = models.FloatField(default=0)
    needs = models.PositiveIntegerField(default=0)
    resources = models.PositiveIntegerField(default=0)
    assignments = models.PositiveIntegerField(default=0)
    served = models.PositiveIntegerField(default=0)
    demand = models.PositiveIntegerField(default=0)
    total_cost = models.BigIntegerField(default=0)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("匹配运行")
        verbose_name_plural = _("匹配运行")


class Assignment(models.Model):
    """Units of one resource given to one need, with why."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待资源方确认")
        ACCEPTED = "accepted", _("已承诺")
        IN_TRANSIT = "in_transit", _("在途")
        DELIVERED = "delivered", _("已送达")
        DECLINED = "declined", _("资源方拒绝")
        DROPPED = "dropped", _("资源退出/让给更高优先级")
        SUPERSEDED = "superseded", _("被新一轮匹配替代")

    need = models.ForeignKey(PoolNeed, on_delete=models.CASCADE, related_name="assignments")
    resource = models.ForeignKey(PoolResource, on_delete=models.CASCADE, related_name="assignments")
    run = models.ForeignKey(MatchRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="rows")
    quantity = models.PositiveIntegerField(_("数量"))
    delivered_quantity = models.PositiveIntegerField(_("实收数量"), default=0)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PROPOSED)
    distance_m = models.FloatField(default=0)
    unit_cost = models.IntegerField(default=0)
    rank = models.PositiveIntegerField(default=1)
    candidates = models.PositiveIntegerField(default=1)
    explanation = models.TextField(blank=True)
    checks = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=300, blank=True)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    ACTIVE = (Status.PROPOSED, Status.ACCEPTED, Status.IN_TRANSIT)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "resource"]), models.Index(fields=["status", "need"])]
        verbose_name = _("匹配分配")
        verbose_name_plural = _("匹配分配")

    def __str__(self) -> str:
        return f"{self.resource.name} → {self.need.title} × {self.quantity}"

    @property
    def cost(self) -> int:
        return self.unit_cost * self.quantity
