"""Differentiated assessment (差异化考核): an indicator catalogue defined as data (formulas over
measures computed from records), schemes with weights per area kind, and runs that store, per region,
every input value and its source so a page can drill down to the records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import Region


class Element(models.TextChoices):
    """The four elements of fusion party-building (融合式党建, seed 002)."""

    NONE = "", _("—")
    CONCEPT = "concept", _("融合理念")
    STRUCTURE = "structure", _("融合结构")
    PLATFORM = "platform", _("融合平台")
    MECHANISM = "mechanism", _("融合机制")


class AreaKind(models.TextChoices):
    URBAN = "urban", _("城市街道/社区")
    RURAL = "rural", _("农村乡镇/村")


class Indicator(models.Model):
    """A formula over named measures giving a value in [0, 1], higher is better (clamped)."""

    code = models.SlugField(_("指标代码"), max_length=40, unique=True)
    name = models.CharField(_("指标名称"), max_length=80)
    formula = models.CharField(_("计算公式"), max_length=400)
    measures = models.JSONField(_("引用字段"), default=list, editable=False)
    element = models.CharField(_("融合要素"), max_length=10, choices=Element.choices, blank=True, default="")
    description = models.CharField(_("说明"), max_length=300, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Scheme(models.Model):
    """An assessment scheme of a region: weights per area kind (urban / rural) and parameters."""

    code = models.SlugField(_("方案代码"), max_length=40, unique=True)
    name = models.CharField(_("方案名称"), max_length=120)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("适用区域"))
    params = models.JSONField(_("参数"), default=dict, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")

    def __str__(self) -> str:
        return self.name


class SchemeWeight(models.Model):
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="weights")
    area_kind = models.CharField(_("区域类型"), max_length=8, choices=AreaKind.choices)
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+", verbose_name=_("指标"))
    weight = models.FloatField(_("基础权重"))
    shift = models.FloatField(_("随指数调整系数"), default=0.0)

    class Meta:
        ordering = ["scheme", "area_kind", "-weight", "indicator__code"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "area_kind", "indicator"], name="assessment_uniq_weight")
        ]
        verbose_name = _("指标权重")
        verbose_name_plural = _("指标权重")


class Run(models.Model):
    """One assessment of a scheme over a period, below a region."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="runs", verbose_name=_("方案"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("考核范围"))
    period = models.CharField(_("考核期"), max_length=10)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("截止日期"))
    params = models.JSONField(default=dict)
    weights = models.JSONField(default=dict, help_text="the scheme's base weights and formulas at run time")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("考核批次")
        verbose_name_plural = _("考核批次")

    def __str__(self) -> str:
        return f"{self.scheme} · {self.period}"


class Result(models.Model):
    """One region's result in a run, with every input value and its source."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="results")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    level = models.CharField(max_length=12)
    area_kind = models.CharField(_("区域类型"), max_length=8, choices=AreaKind.choices)
    index_name = models.CharField(max_length=16)
    index_value = models.FloatField(null=True)
    index_parts = models.JSONField(default=dict)
    measures = models.JSONField(default=dict)
    indicators = models.JSONField(default=list)
    weights = models.JSONField(default=dict)
    fusion = models.JSONField(default=dict)
    raw_score = models.FloatField(null=True)
    penalty = models.FloatField(default=0)
    exemptions = models.PositiveIntegerField(default=0)
    penalised = models.PositiveIntegerField(default=0)
    score = models.FloatField(null=True)
    rank = models.PositiveIntegerField(null=True)
    rank_of = models.PositiveIntegerField(null=True)

    class Meta:
        ordering = ["run", "level", "rank", "region__code"]
        constraints = [models.UniqueConstraint(fields=["run", "region"], name="assessment_uniq_result")]
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")
