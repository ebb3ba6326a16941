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
        RECTIFY = "rectify", _("整顿")
        SUPPORT = "support", _("政策和经费支持")

    review = models.ForeignKey(YearReview, on_delete=models.CASCADE, related_name="units")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="alliance_reviews")
    report = models.TextField(_("述职报告"), blank=True)
    reported_on = models.DateField(null=True, blank=True)
    points = models.FloatField(_("全年积分"), null=True, blank=True)
    breakdown = models.JSONField(_("积分构成"), default=dict, blank=True)  # rating.annual_breakdown()
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


class Rectification(models.Model):
    """A weak member unit's rectification (整顿) after a grade: a plan of tasks, a deadline and a
    re-review that closes it passed or failed (seed 000: "对工作不力的基层党组织及时进行整顿"); a failed
    re-review opens the next round with the tasks not done."""

    class Status(models.TextChoices):
        OPEN = "open", _("整顿中")
        PASSED = "passed", _("复核通过")
        FAILED = "failed", _("复核未通过")

    unit_review = models.ForeignKey(UnitReview, on_delete=models.PROTECT, related_name="rectifications")
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)  # a failed re-review opens the next round
    alliance = models.ForeignKey(Alliance, on_delete=models.PROTECT, related_name="rectifications")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="alliance_rectifications")
    opened_on = models.DateField(_("开始日期"))
    deadline = models.DateField(_("整顿期限"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    reviewed_on = models.DateField(_("复核日期"), null=True, blank=True)
    review_note = models.TextField(_("复核意见"), blank=True)
    evidence = models.JSONField(_("复核依据"), default=list, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # set by services.rereview: the round a failed re-review opened
    next_round: Rectification | None = None

    class Meta:
        ordering = ["-opened_on", "id"]
        constraints = [models.UniqueConstraint(fields=["unit_review", "round"], name="uniq_rectification_round")]
        verbose_name = _("整顿")
        verbose_name_plural = _("整顿")

    def __str__(self) -> str:
        return f"{self.unit} {self.unit_review.review.year} {self.get_status_display()}"


class RectificationTask(models.Model):
    """One task of a rectification plan, aimed at a weak dimension (or written by the rating body)."""

    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("整改任务"), max_length=200)
    dimension = models.CharField(_("维度"), max_length=12, choices=Dimension.choices, blank=True)
    due_on = models.DateField(_("完成时限"))
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    note = models.CharField(_("完成情况"), max_length=300, blank=True)

    class Meta:
        ordering = ["rectification", "due_on", "id"]
        verbose_name = _("整改任务")
        verbose_name_plural = _("整改任务")


class Support(models.Model):
    """Support recorded for a top-graded member unit (seed 000: "对成效良好的适当给予政策资金倾斜"):
    a funding tilt paid into the alliance's funds for the unit, or priority in the common pool."""

    class Kind(models.TextChoices):
        FUNDING = "funding", _("经费倾斜")
        POOL_PRIORITY = "pool_priority", _("资源池优先")

    unit_review = models.ForeignKey(UnitReview, on_delete=models.PROTECT, related_name="supports")
    alliance = models.ForeignKey(Alliance, on_delete=models.PROTECT, related_name="supports")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="alliance_supports")
    kind = models.CharField(_("支持方式"), max_length=14, choices=Kind.choices)
    amount = models.DecimalField(_("金额(元)"), max_digits=12, decimal_places=2, null=True, blank=True)
    fund_entry = models.OneToOneField(
        "alliances.FundEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="support"
    )
    priority = models.PositiveSmallIntegerField(_("优先顺位"), null=True, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    recorded_on = models.DateField(_("记录日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["-recorded_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit_review"], condition=models.Q(kind="pool_priority"), name="uniq_support_pool_priority"
            )
        ]
        verbose_name = _("星级支持")
        verbose_name_plural = _("星级支持")
