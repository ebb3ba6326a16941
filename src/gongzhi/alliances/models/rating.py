"""The star rating: versioned rule sets, quarterly points and their lines, the year-end review and
the appraisal's link to its formal votes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.org.models import Unit

from ..contracts import AllianceError
from .alliance import Alliance


class RuleSet(models.Model):
    """A version of the scoring rules (weights, caps, per-dimension formulas) and the date it took effect.
    A quarter is scored with the version in force on its first day."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    effective_from = models.DateField(_("生效日期"), unique=True)
    rules = models.JSONField(_("规则"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["effective_from"]
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")

    def __str__(self) -> str:
        return f"v{self.version} ({self.effective_from})"


class Quarter(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("计分中")
        CLOSED = "closed", _("已结账")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="quarters")
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    ruleset = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    computed_at = models.DateTimeField(null=True, blank=True)
    closed_on = models.DateField(_("结账日期"), null=True, blank=True)

    class Meta:
        ordering = ["alliance", "year", "quarter"]
        constraints = [models.UniqueConstraint(fields=["alliance", "year", "quarter"], name="uniq_alliance_quarter")]
        verbose_name = _("季度积分")
        verbose_name_plural = _("季度积分")

    def __str__(self) -> str:
        return f"{self.alliance} {self.year}Q{self.quarter}"

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class Dimension(models.TextChoices):
    ATTENDANCE = "attendance", _("出席会议")
    SUGGESTIONS = "suggestions", _("建言献策")
    RESOURCES = "resources", _("资源供给")
    ACTIVITIES = "activities", _("活动参建")
    TASKS = "tasks", _("任务落实")


class ScoreLine(models.Model):
    """One point-producing record (or a correction) in a quarter: the drill-down of every score.
    Lines of a closed quarter are never changed; corrections are new lines with a reason."""

    class Kind(models.TextChoices):
        RECORD = "record", _("记录")
        CORRECTION = "correction", _("更正")

    quarter = models.ForeignKey(Quarter, on_delete=models.CASCADE, related_name="lines")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    dimension = models.CharField(_("维度"), max_length=12, choices=Dimension.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.RECORD)
    record_type = models.CharField(max_length=20, blank=True)
    record_id = models.BigIntegerField(null=True, blank=True)
    on_date = models.DateField(null=True, blank=True)
    description = models.CharField(_("来源记录"), max_length=300)
    points = models.FloatField(_("原始分"))
    reason = models.CharField(_("更正理由"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["quarter", "unit", "dimension", "on_date", "id"]
        indexes = [models.Index(fields=["quarter", "unit"])]
        verbose_name = _("积分明细")
        verbose_name_plural = _("积分明细")

    def save(self, *args, **kwargs):
        from gongzhi.core.errors import Conflict

        if self.quarter.is_closed and (self.pk is not None or self.kind != self.Kind.CORRECTION):
            raise Conflict("已结账季度的积分明细不能修改；请添加带理由的更正记录", code=AllianceError.QUARTER_CLOSED)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        from gongzhi.core.errors import Conflict

        if self.quarter.is_closed:
            raise Conflict("已结账季度的积分明细不能删除", code=AllianceError.QUARTER_CLOSED)
        return super().delete(*args, **kwargs)


class YearReview(models.Model):
    """The year-end review: reports (述职) → points published (通报积分) → democratic appraisal → grade."""

    class Stage(models.TextChoices):
        REPORTS = "reports", _("分头述职")
        PUBLISHED = "published", _("已通报积分")
        APPRAISAL = "appraisal", _("民主评议中")
        GRADED = "graded", _("已定级")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="reviews")
    year = models.PositiveSmallIntegerField(_("年度"))
    stage = models.CharField(_("阶段"), max_length=10, choices=Stage.choices, default=Stage.REPORTS)
    ruleset = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    published_on = models.DateField(null=True, blank=True)
    graded_on = models.DateField(null=True, blank=True)
    ballot_ref = models.CharField(max_length=80, blank=True, help_text="formal vote id when delegated")
    alliance_score = models.FloatField(null=True, blank=True)
    alliance_stars = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["alliance", "year"]
        constraints = [models.UniqueConstraint(fields=["alliance", "year"], name="uniq_year_review")]
        verbose_name = _("年终考评")
        verbose_name_plural = _("年终考评")


class UnitReview(models.Model):
    """A member unit's year: its report, its published points, its appraisal and its grade."""

    class Outcome(models.TextChoices):
        NONE = "", _("—")
        RECTIFY = "rectify", _("整改")
        SUPPORT = "support", _("政策和经费支持")

    review = models.ForeignKey(YearReview, on_delete=models.CASCADE, related_name="units")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="alliance_reviews")
    report = models.TextField(_("述职报告"), blank=True)
    reported_on = models.DateField(null=True, blank=True)
    points = models.FloatField(_("全年积分"), null=True, blank=True)
    appraisal = models.FloatField(_("民主评议得分"), null=True, blank=True)
    final_score = models.FloatField(_("综合得分"), null=True, blank=True)
    stars = models.PositiveSmallIntegerField(_("星级"), null=True, blank=True)
    outcome = models.CharField(_("结果"), max_length=8, choices=Outcome.choices, blank=True, default="")

    class Meta:
        ordering = ["review", "-final_score", "unit"]
        constraints = [models.UniqueConstraint(fields=["review", "unit"], name="uniq_unit_review")]


class AppraisalVote(models.Model):
    """Links a year-end review's rated unit to its formal vote in the consultation module
    (one single-choice vote per rated unit; see :mod:`gongzhi.alliances.appraisal`)."""

    review = models.ForeignKey(YearReview, on_delete=models.CASCADE, related_name="formal_votes")
    subject = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    vote_id = models.PositiveIntegerField(help_text="gongzhi.consult FormalVote id")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "subject"], name="uniq_appraisal_vote")]
