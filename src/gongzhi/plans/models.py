"""Goals → tasks → responsibility (目标—任务—责任) and the closed loop
decision → execution → feedback → supervision → adjustment (决策—执行—反馈—监督—调整).

A :class:`Goal` comes from a real source row (an approved alliance goal, a consultation decision
— a ``consult.FollowUp`` created by a passed vote — or a directive from above) and is decomposed into
a tree of :class:`Task` rows, each with a responsible unit, a deadline, a quality standard and a
measurable indicator.  Progress, feedback, supervision flags and adjustments are separate rows, so
the timeline of a goal is its history; the goal's status and progress % are computed from its tasks
(:mod:`gongzhi.plans.status`), never typed in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import Region
from gongzhi.org.models import Unit


class SourceKind(models.TextChoices):
    ALLIANCE = "alliance", _("党建联合体目标")
    CONSULTATION = "consultation", _("议事协商决定")
    DIRECTIVE = "directive", _("上级部署")


class Goal(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", _("实施中")
        CLOSED = "closed", _("已完成")
        CANCELLED = "cancelled", _("已撤销")

    title = models.CharField(_("目标"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    source_kind = models.CharField(_("来源"), max_length=14, choices=SourceKind.choices)
    alliance_goal = models.ForeignKey(
        "alliances.Goal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_goals",
        verbose_name=_("联合体目标"),
    )
    follow_up = models.ForeignKey(
        "consult.FollowUp",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_goals",
        verbose_name=_("协商决定落实事项"),
    )
    directive_ref = models.CharField(_("文件文号"), max_length=80, blank=True)
    directive_issuer = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("部署单位")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区域"))
    lead_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="led_plan_goals", verbose_name=_("牵头单位")
    )
    starts_on = models.DateField(_("开始日期"))
    due_on = models.DateField(_("完成时限"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.ACTIVE)
    closed_on = models.DateField(_("完成日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("目标")
        verbose_name_plural = _("目标")

    def __str__(self) -> str:
        return self.title


class Task(models.Model):
    """A quantifiable task with a responsible unit, a deadline, a quality standard and an indicator."""

    class State(models.TextChoices):
        OPEN = "open", _("进行中")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已撤销")

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="tasks")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children", verbose_name=_("上级任务")
    )
    title = models.CharField(_("任务"), max_length=200)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="plan_tasks", verbose_name=_("责任单位"))
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", help_text="the responsible unit's region (scope key)"
    )
    deadline = models.DateField(_("完成时限"))
    quality_standard = models.CharField(_("质量标准"), max_length=300)
    weight = models.PositiveSmallIntegerField(_("权重"), default=1)
    indicator_name = models.CharField(_("指标"), max_length=100)
    indicator_unit = models.CharField(_("计量单位"), max_length=20, blank=True)
    baseline = models.FloatField(_("基线值"), default=0)
    target = models.FloatField(_("目标值"))
    indicator_source = models.CharField(
        _("指标数据来源"),
        max_length=40,
        blank=True,
        help_text="a key of plans.indicators.REGISTRY; blank = manual reports",
    )
    indicator_params = models.JSONField(default=dict, blank=True)
    current_value = models.FloatField(_("当前值"), null=True, blank=True)
    current_at = models.DateTimeField(_("取值时间"), null=True, blank=True)
    progress = models.FloatField(_("进度(%)"), default=0)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["region", "deadline"]), models.Index(fields=["unit", "state"])]
        verbose_name = _("任务")
        verbose_name_plural = _("任务")

    def __str__(self) -> str:
        return self.title


class Link(models.Model):
    """A goal's or task's link to an operational record (request, vote, meeting, …) or evidence of completion."""

    class Kind(models.TextChoices):
        REQUEST = "request", _("诉求")
        VOTE = "vote", _("表决")
        MEETING = "meeting", _("会议")
        ALLIANCE_TASK = "alliance_task", _("联合体任务")
        FOLLOW_UP = "follow_up", _("协商落实事项")
        ACTIVITY = "activity", _("活动")

    class Purpose(models.TextChoices):
        RELATED = "related", _("关联")
        EVIDENCE = "evidence", _("完成佐证")

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="links")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(_("记录类型"), max_length=16, choices=Kind.choices)
    object_id = models.BigIntegerField(_("记录编号"))
    label = models.CharField(_("记录"), max_length=200)
    purpose = models.CharField(_("用途"), max_length=10, choices=Purpose.choices, default=Purpose.RELATED)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "task", "kind", "object_id", "purpose"], name="plans_link_unique")
        ]
        verbose_name = _("关联记录")
        verbose_name_plural = _("关联记录")


class ProgressUpdate(models.Model):
    """One progress report: a manual one (who reported, for which unit) or an indicator reading."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("人工报告")
        COMPUTED = "computed", _("数据自动计算")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="updates")
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    value = models.FloatField(_("指标值"), null=True, blank=True)
    progress = models.FloatField(_("进度(%)"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reporter_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("报告单位")
    )
    at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("进度报告")
        verbose_name_plural = _("进度报告")


class Feedback(models.Model):
    class Source(models.TextChoices):
        RESIDENT = "resident", _("居民")
        UNIT = "unit", _("单位")

    class Rating(models.TextChoices):
        SATISFIED = "satisfied", _("满意")
        BASICALLY = "basically", _("基本满意")
        UNSATISFIED = "unsatisfied", _("不满意")

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="feedback")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.CASCADE, related_name="feedback")
    source = models.CharField(_("反馈方"), max_length=10, choices=Source.choices)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("反馈单位")
    )
    rating = models.CharField(_("评价"), max_length=12, choices=Rating.choices, blank=True)
    text = models.CharField(_("反馈内容"), max_length=500)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("反馈")
        verbose_name_plural = _("反馈")


class SupervisionFlag(models.Model):
    class Kind(models.TextChoices):
        OVERDUE = "overdue", _("逾期未完成")
        OFF_TRACK = "off_track", _("指标偏离进度")
        QUALITY = "quality", _("质量检查不合格")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(_("督办类型"), max_length=10, choices=Kind.choices)
    detail = models.CharField(_("说明"), max_length=300)
    raised_at = models.DateTimeField(_("发起时间"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(_("处理结果"), max_length=300, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "kind"],
                condition=models.Q(resolved_at__isnull=True),
                name="plans_one_open_flag_per_kind",
            )
        ]
        verbose_name = _("督办事项")
        verbose_name_plural = _("督办事项")

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class Adjustment(models.Model):
    """A change of a task (new deadline, re-scoping, another unit, cancellation): old → new, reason, who.

    Requested by the responsible unit and decided by a planner, or made directly by a planner
    (then approved at once).  Only an approved adjustment changes the task."""

    class Kind(models.TextChoices):
        DEADLINE = "deadline", _("调整时限")
        SCOPE = "scope", _("调整任务内容/指标")
        UNIT = "unit", _("调整责任单位")
        CANCEL = "cancel", _("撤销任务")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="adjustments")
    kind = models.CharField(_("调整类型"), max_length=10, choices=Kind.choices)
    changes = models.JSONField(_("调整内容"), help_text='{"field": [old, new]}')
    reason = models.CharField(_("调整理由"), max_length=300)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)
    # the joint review meeting that decided it (定期会商研判), if any
    review = models.ForeignKey(
        "ReviewMeeting",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="adjustments",
        verbose_name=_("会商研判"),
    )

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("调整")
        verbose_name_plural = _("调整")


# ----------------------------------------------------------------- regular joint reviews (定期会商研判, seed 003)


class Cadence(models.TextChoices):
    MONTHLY = "monthly", _("每月")
    BIMONTHLY = "bimonthly", _("每两月")
    QUARTERLY = "quarterly", _("每季度")


CADENCE_MONTHS = {Cadence.MONTHLY: 1, Cadence.BIMONTHLY: 2, Cadence.QUARTERLY: 3}


class ReviewSchedule(models.Model):
    """How often a goal is reviewed jointly (定期会商研判): the periodic job keeps one review meeting
    scheduled for each active goal with an active schedule."""

    goal = models.OneToOneField(Goal, on_delete=models.CASCADE, related_name="review_schedule")
    cadence = models.CharField(_("会商周期"), max_length=10, choices=Cadence.choices)
    first_on = models.DateField(_("首次会商日期"))
    active = models.BooleanField(_("启用"), default=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(_("设定时间"))

    class Meta:
        verbose_name = _("会商计划")
        verbose_name_plural = _("会商计划")

    def __str__(self) -> str:
        return f"{self.goal} · {self.get_cadence_display()}"


class ReviewMeeting(models.Model):
    """A joint review meeting of a goal (会商研判): scheduled, then held — reading the computed indicators
    (stored as a snapshot at the time), judging each task, deciding adjustments (through the adjustments
    service) and following up with supervision."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("待召开")
        HELD = "held", _("已召开")

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="reviews")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", help_text="the goal's region")
    scheduled_on = models.DateField(_("计划日期"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.SCHEDULED)
    held_on = models.DateField(_("召开日期"), null=True, blank=True)
    participants = models.ManyToManyField(Unit, blank=True, related_name="plan_reviews", verbose_name=_("参会单位"))
    indicators = models.JSONField(
        _("指标快照"), default=list, blank=True, help_text="the tasks' indicators read at the meeting"
    )
    summary = models.CharField(_("会商结论"), max_length=500, blank=True)
    auto = models.BooleanField(_("定期生成"), default=False)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    held_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["scheduled_on", "id"]
        indexes = [models.Index(fields=["region", "state", "scheduled_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["goal"], condition=models.Q(state="scheduled"), name="plans_one_scheduled_review_per_goal"
            )
        ]
        verbose_name = _("会商研判")
        verbose_name_plural = _("会商研判")

    def __str__(self) -> str:
        return f"{self.goal} · {self.held_on or self.scheduled_on}"


class Judgement(models.TextChoices):
    ON_TRACK = "on_track", _("正常推进")
    AT_RISK = "at_risk", _("存在风险")
    OFF_TRACK = "off_track", _("偏离目标")


class JudgementReason(models.TextChoices):
    AS_PLANNED = "as_planned", _("按计划推进")
    RESOURCES = "resources", _("资源不足")
    COORDINATION = "coordination", _("协调不畅")
    EXTERNAL = "external", _("外部因素")
    SCOPE = "scope", _("任务设定不合理")
    DATA_LAG = "data_lag", _("指标数据滞后")
    RESIDENTS = "residents", _("群众意见分歧")


class ReviewJudgement(models.Model):
    """The meeting's judgement of one task: on track / at risk / off track, with a reason code."""

    meeting = models.ForeignKey(ReviewMeeting, on_delete=models.CASCADE, related_name="judgements")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="judgements")
    status = models.CharField(_("研判结论"), max_length=10, choices=Judgement.choices)
    reason = models.CharField(_("原因"), max_length=14, choices=JudgementReason.choices)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    flag = models.ForeignKey(
        SupervisionFlag, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("跟进督办")
    )

    class Meta:
        ordering = ["meeting", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "task"], name="plans_one_judgement_per_task")]
        verbose_name = _("研判结论")
        verbose_name_plural = _("研判结论")
