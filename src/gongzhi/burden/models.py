"""The burden meter (减负监测): every demand made of grassroots staff, with its estimated minutes;
burden-reduction orders and the penetrating audit's flags; reports and problem lists defined as
data (queries over records) and the reports generated from them.

Burden is never typed in as a figure: it is the sum of the minutes of :class:`DemandItem` rows,
one per target (worker or unit) and occurrence of a demand.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import Region
from gongzhi.org.models import Person, Unit


class DemandKind(models.TextChoices):
    FORM = "form", _("填表")
    REPORT = "report", _("报表")
    CHECKIN = "checkin", _("打卡")
    PHOTO = "photo", _("拍照留痕")
    MEETING = "meeting", _("会议")
    PLEDGE = "pledge", _("责任状/承诺书")
    RESEARCH = "research", _("调研")
    OTHER = "other", _("其他")


class Recurrence(models.TextChoices):
    ONCE = "once", _("一次性")
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    YEARLY = "yearly", _("每年")


class Origin(models.TextChoices):
    HIGHER = "higher", _("上级下达")
    PLATFORM = "platform", _("平台自动记录")


class ReportDefinition(models.Model):
    """A report (报表) or problem list (问题清单) defined as data: fields that name queries over records."""

    class Kind(models.TextChoices):
        REPORT = "report", _("报表")
        PROBLEM_LIST = "problem_list", _("问题清单")

    code = models.CharField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=14, choices=Kind.choices, default=Kind.REPORT)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    list_source = models.CharField(_("清单查询"), max_length=60, blank=True)
    seeded = models.BooleanField(_("“八张报表、八张问题清单”"), default=False)
    owner = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("制定单位")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("报表定义")
        verbose_name_plural = _("报表定义")

    def __str__(self) -> str:
        return self.name


class ReportField(models.Model):
    """One field of a definition: ``source`` names a registered query, or is ``manual``."""

    MANUAL = "manual"

    definition = models.ForeignKey(ReportDefinition, on_delete=models.CASCADE, related_name="fields")
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    code = models.CharField(_("字段编码"), max_length=40)
    label = models.CharField(_("字段名称"), max_length=120)
    source = models.CharField(_("数据来源"), max_length=60, default=MANUAL)
    minutes = models.PositiveIntegerField(_("人工填写估计分钟"), default=5)

    class Meta:
        ordering = ["definition", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["definition", "code"], name="burden_uniq_field_code")]
        verbose_name = _("报表字段")
        verbose_name_plural = _("报表字段")

    @property
    def is_manual(self) -> bool:
        return self.source == self.MANUAL


class BurdenReductionOrder(models.Model):
    """A burden-reduction order (减负令): from its date, new recurring reports in its scope are suspect."""

    title = models.CharField(_("文件名称"), max_length=160)
    issuer = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("发文单位"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("适用范围"))
    effective_on = models.DateField(_("生效日期"))
    target_cut_pct = models.PositiveSmallIntegerField(_("报表压减目标(%)"), default=0)
    text = models.TextField(_("要求"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_on", "-id"]
        verbose_name = _("减负令")
        verbose_name_plural = _("减负令")

    def __str__(self) -> str:
        return self.title


class Demand(models.Model):
    """A demand made of grassroots staff: by a higher level, or by the platform itself (standing demands)."""

    title = models.CharField(_("事项"), max_length=160)
    kind = models.CharField(_("类型"), max_length=10, choices=DemandKind.choices)
    origin = models.CharField(_("来源"), max_length=10, choices=Origin.choices, default=Origin.HIGHER)
    platform_key = models.CharField(_("平台事项"), max_length=40, blank=True)
    issuer = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("下达单位")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("下达范围"))
    minutes = models.PositiveIntegerField(_("每次估计分钟"))
    full_minutes = models.PositiveIntegerField(_("未经穿透审计的估计分钟"), default=0)
    recurrence = models.CharField(_("频次"), max_length=10, choices=Recurrence.choices, default=Recurrence.ONCE)
    issued_on = models.DateField(_("下达日期"))
    due_on = models.DateField(_("首次截止日期"), null=True, blank=True)
    until = models.DateField(_("周期截止"), null=True, blank=True)
    definition = models.ForeignKey(
        ReportDefinition,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="demands",
        verbose_name=_("报表定义"),
    )
    period = models.CharField(_("报表期"), max_length=7, blank=True)
    prefilled = models.JSONField(_("平台自动填报"), default=dict, blank=True)
    hidden_assessment = models.BooleanField(_("疑似隐形考核"), default=False)
    # what a responsibility pledge (责任状/承诺书) or a research visit (调研) asks (the audit reads them)
    has_targets = models.BooleanField(_("载有目标/指标"), default=False)
    has_penalties = models.BooleanField(_("载有问责/扣分条款"), default=False)
    asks_materials = models.BooleanField(_("要求提供材料/数据"), default=False)
    scores = models.BooleanField(_("打分/排名"), default=False)
    grid = models.ForeignKey(
        "org.Grid", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("调研网格")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["origin", "kind", "issued_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["platform_key", "region"],
                condition=models.Q(origin="platform"),
                name="burden_uniq_platform_demand",
            ),
        ]
        verbose_name = _("工作要求")
        verbose_name_plural = _("工作要求")

    def __str__(self) -> str:
        return self.title


class DemandItem(models.Model):
    """One target's share of one occurrence of a demand: a worker (a person) and/or a unit."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="items")
    worker = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("工作人员")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    on = models.DateField(_("日期"), db_index=True)
    minutes = models.PositiveIntegerField(_("估计分钟"))
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    auto_filled = models.BooleanField(_("平台已自动填报"), default=False)
    source_ref = models.CharField(max_length=80, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-on", "-id"]
        indexes = [models.Index(fields=["worker", "on"]), models.Index(fields=["unit", "on"])]
        verbose_name = _("工作要求明细")
        verbose_name_plural = _("工作要求明细")


class AuditFlag(models.Model):
    """A finding of the penetrating audit (穿透式审计), with its reason."""

    class Kind(models.TextChoices):
        DUPLICATE = "duplicate", _("重复填报(平台已有数据)")
        HIDDEN = "hidden", _("疑似隐形考核")
        PLEDGE = "pledge", _("变相责任状")
        RESEARCH = "research", _("以调研代替检查")

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    field_code = models.CharField(_("字段"), max_length=40, blank=True)
    order = models.ForeignKey(
        BurdenReductionOrder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="flags",
        verbose_name=_("减负令"),
    )
    minutes_saved = models.PositiveIntegerField(_("节省分钟/次"), default=0)
    reason = models.CharField(_("原因"), max_length=400, blank=True)
    # the reason as data, rendered in the viewer's language (burden/flagtext.py); ``reason`` is the older
    # composed text, shown when there is no code
    code = models.CharField(_("原因代码"), max_length=40, blank=True)
    params = models.JSONField(_("原因参数"), default=dict, blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    #: the kinds that are a hidden assessment (隐形考核) in one of its guises
    HIDDEN_KINDS = ("hidden", "pledge", "research")

    @property
    def reason_text(self) -> str:
        from .flagtext import render

        return render(self)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("审计发现")
        verbose_name_plural = _("审计发现")


class GeneratedReport(models.Model):
    """A report or problem list generated from records for a region and a month."""

    definition = models.ForeignKey(ReportDefinition, on_delete=models.PROTECT, related_name="generated")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    period = models.CharField(_("报表期"), max_length=7)
    values = models.JSONField(default=list)
    rows = models.JSONField(default=list)
    columns = models.JSONField(default=list)
    generated_at = models.DateTimeField(auto_now_add=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-generated_at", "-id"]
        verbose_name = _("生成的报表")
        verbose_name_plural = _("生成的报表")

    def __str__(self) -> str:
        return f"{self.definition.name} {self.region.name} {self.period}"
