"""Party-building alliances (党建联合体) and their star rating, as practised in district Y.

Everything the star rating scores is a record here (meetings and their sign-in,
suggestions, resources supplied, activity participation, completed tasks); the
points are computed from those records with a versioned rule set and never typed in.
History is kept: memberships end, they are not deleted; closed quarters are frozen
and corrected by new entries with a reason.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import Region
from gongzhi.org.models import Unit

from .contracts import AllianceError

# The numbers of the source (seed 000), in one place.
MAX_ALLIANCES = 3  # a unit belongs to at most 3 alliances …
MAX_ALLIANCES_SPECIAL = 5  # … up to 5 with a special, justified approval
APPROVING_PARTY_KINDS = frozenset({"party_street", "party_township", "party_district", "party_city"})


class AllianceKind(models.TextChoices):
    CROSS_DOMAIN = "cross_domain", _("跨领域")
    CROSS_INDUSTRY = "cross_industry", _("跨行业")
    CROSS_LEVEL = "cross_level", _("跨层级")
    CROSS_REGION = "cross_region", _("跨地域")


class Alliance(models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", _("待审批")
        ESTABLISHED = "established", _("已成立")
        REJECTED = "rejected", _("未批准")
        DISSOLVED = "dissolved", _("已撤销")

    code = models.CharField(_("编号"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=20, choices=AllianceKind.choices)
    purpose = models.TextField(_("组建目的"))
    initial_needs = models.TextField(_("初步需求"), blank=True)
    lead_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="led_alliances",
                                  verbose_name=_("牵头单位"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="alliances",
                               verbose_name=_("所在区域"))
    proposed_members = models.ManyToManyField(Unit, blank=True, related_name="proposed_alliances",
                                              verbose_name=_("拟加入单位"))
    partner_province = models.CharField(_("结对单位所在省份"), max_length=40, blank=True)
    partner_unit_name = models.CharField(_("外省结对单位"), max_length=120, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.APPLIED)
    applied_on = models.DateField(_("申请日期"))
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    approver_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("审批党组织"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_on = models.DateField(_("审批日期"), null=True, blank=True)
    decision_reason = models.CharField(_("审批意见"), max_length=300, blank=True)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("党建联合体")
        verbose_name_plural = _("党建联合体")

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ESTABLISHED


class AllianceMember(models.Model):
    """A unit's membership of an alliance over time; rows are never deleted."""

    class Role(models.TextChoices):
        LEAD = "lead", _("牵头单位")
        MEMBER = "member", _("成员单位")

    class Via(models.TextChoices):
        FOUNDING = "founding", _("发起成立")
        INVITATION = "invitation", _("邀请加入")
        APPLICATION = "application", _("申请加入")

    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        ACTIVE = "active", _("在册")
        DECLINED = "declined", _("未通过")
        EXITED = "exited", _("任务完成退出")
        REMOVED = "removed", _("经评议移出")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="members")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="alliance_memberships")
    role = models.CharField(_("角色"), max_length=8, choices=Role.choices, default=Role.MEMBER)
    via = models.CharField(_("方式"), max_length=12, choices=Via.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_on = models.DateField(_("发起日期"))
    joined_on = models.DateField(_("加入日期"), null=True, blank=True)
    ended_on = models.DateField(_("退出日期"), null=True, blank=True)
    exit_summary = models.CharField(_("退出小结"), max_length=300, blank=True)
    removal_review = models.CharField(_("移出评议结论"), max_length=300, blank=True)
    beyond_cap = models.BooleanField(_("超过3个(特批)"), default=False)
    special_justification = models.CharField(_("特批理由"), max_length=300, blank=True)
    special_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["alliance", "-role", "joined_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["alliance", "unit"], condition=models.Q(status__in=["pending", "active"]),
                                    name="uniq_open_alliance_member"),
        ]
        verbose_name = _("联合体成员单位")
        verbose_name_plural = _("联合体成员单位")

    def __str__(self) -> str:
        return f"{self.unit} @ {self.alliance}"


class Goal(models.Model):
    """A shared goal, proposed bottom-up; active only once the higher party organisation approves it."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("讨论中")
        SUBMITTED = "submitted", _("已报上级")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(_("目标"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    proposed_by = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("提出单位"))
    # The four principles (因需、管用、精简、高效): each must be argued before the goal is agreed.
    need = models.CharField(_("因需：解决什么需要"), max_length=200, blank=True)
    useful = models.CharField(_("管用：带来什么实效"), max_length=200, blank=True)
    lean = models.CharField(_("精简：如何精简"), max_length=200, blank=True)
    efficient = models.CharField(_("高效：如何高效"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_on = models.DateField(_("提出日期"))
    submitted_on = models.DateField(_("报送日期"), null=True, blank=True)
    decided_on = models.DateField(_("批复日期"), null=True, blank=True)
    decided_by_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decision_reason = models.CharField(_("批复意见"), max_length=300, blank=True)

    class Meta:
        ordering = ["alliance", "id"]
        verbose_name = _("共同目标")
        verbose_name_plural = _("共同目标")

    def __str__(self) -> str:
        return self.title


class ListItem(models.Model):
    """An entry of one of the three lists agreed at the annual kick-off."""

    class Kind(models.TextChoices):
        RESOURCE = "resource", _("资源清单")
        NEED = "need", _("需求清单")
        PROJECT = "project", _("项目清单")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="list_items")
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("清单"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("事项"), max_length=200)
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("提供/提出单位"))
    posts = models.PositiveSmallIntegerField(_("可认领岗位数"), default=1)
    meets = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="met_by",
                              verbose_name=_("对接的需求"))
    agreed_at = models.ForeignKey("Meeting", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("启动会议定"))

    class Meta:
        ordering = ["alliance", "year", "kind", "id"]
        verbose_name = _("清单事项")
        verbose_name_plural = _("清单事项")

    def __str__(self) -> str:
        return self.title


class Task(models.Model):
    """A claim (认领) of a project or a post: an owner, a deadline, a completion record."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="tasks")
    item = models.ForeignKey(ListItem, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("项目"))
    post = models.CharField(_("岗位"), max_length=100, blank=True)
    owner_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="alliance_tasks",
                                   verbose_name=_("认领单位"))
    owner_name = models.CharField(_("责任人"), max_length=40)
    claimed_on = models.DateField(_("认领日期"))
    deadline = models.DateField(_("完成时限"))
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    completion_note = models.CharField(_("完成情况"), max_length=300, blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("认领任务")
        verbose_name_plural = _("认领任务")

    def __str__(self) -> str:
        return f"{self.item} · {self.owner_unit}"

    @property
    def done(self) -> bool:
        return self.completed_on is not None

    @property
    def on_time(self) -> bool:
        return self.completed_on is not None and self.completed_on <= self.deadline


class ResourceSupply(models.Model):
    """A resource actually supplied by a member unit (counts for 资源供给)."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="supplies")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("供给单位"))
    item = models.ForeignKey(ListItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="supplies")
    description = models.CharField(_("供给内容"), max_length=200)
    supplied_on = models.DateField(_("供给日期"))

    class Meta:
        ordering = ["supplied_on", "id"]
        verbose_name = _("资源供给")
        verbose_name_plural = _("资源供给")


class Meeting(models.Model):
    """A required meeting of the 1142 mechanism (or an extra one), recorded once: sign-in, minutes, decisions."""

    class Kind(models.TextChoices):
        KICKOFF = "kickoff", _("年初启动会")
        PROGRESS = "progress", _("月度推进会")
        SCHEDULING = "scheduling", _("季度调度会")
        SUMMARY = "summary", _("半年总结会")
        REVIEW = "review", _("年终考评会")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(_("会议类型"), max_length=12, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    period = models.PositiveSmallIntegerField(_("期次"), default=0, help_text=_("月/季/半年序号，启动会为0"))
    required = models.BooleanField(_("必开会议"), default=True)
    due_on = models.DateField(_("应开日期(截止)"), null=True, blank=True)
    held_on = models.DateField(_("召开日期"), null=True, blank=True)
    recorded_on = models.DateField(_("记录日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    topic = models.CharField(_("议题"), max_length=200, blank=True)
    minutes = models.TextField(_("会议纪要"), blank=True)
    decisions = models.TextField(_("议定事项"), blank=True)
    signin_code = models.CharField(_("签到码"), max_length=8, blank=True)
    late = models.BooleanField(_("逾期"), default=False)
    late_reason = models.CharField(_("逾期说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["alliance", "year", "due_on", "kind", "period"]
        constraints = [
            models.UniqueConstraint(fields=["alliance", "kind", "year", "period"], condition=models.Q(required=True),
                                    name="uniq_required_meeting"),
        ]
        verbose_name = _("会议")
        verbose_name_plural = _("会议")

    def __str__(self) -> str:
        return f"{self.alliance} {self.year} {self.get_kind_display()} {self.period or ''}".strip()

    @property
    def is_recorded(self) -> bool:
        return self.held_on is not None


class Attendance(models.Model):
    class Method(models.TextChoices):
        CODE = "code", _("签到码")
        LIST = "list", _("签到名单")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    attendee = models.CharField(_("出席人"), max_length=40, blank=True)
    method = models.CharField(_("签到方式"), max_length=6, choices=Method.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "unit"], name="uniq_attendance")]
        verbose_name = _("会议签到")
        verbose_name_plural = _("会议签到")


class Suggestion(models.Model):
    """A suggestion made by a member unit (建言献策): in a meeting, on a goal, or on its own."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="suggestions")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("提出单位"))
    text = models.CharField(_("建议"), max_length=300)
    made_on = models.DateField(_("日期"))
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestions")
    goal = models.ForeignKey(Goal, null=True, blank=True, on_delete=models.SET_NULL, related_name="discussion")
    adopted = models.BooleanField(_("已采纳"), default=False)

    class Meta:
        ordering = ["made_on", "id"]
        verbose_name = _("建言献策")
        verbose_name_plural = _("建言献策")


class Activity(models.Model):
    """An activity of the "five ones" (五个一)."""

    class Kind(models.TextChoices):
        LECTURE = "lecture", _("一堂联合党课")
        VISIT = "visit", _("一次参观交流")
        THEMED_DAY = "themed_day", _("一次主题党日")
        MUTUAL_LEARNING = "mutual_learning", _("一次互学互查")
        MUTUAL_EVALUATION = "mutual_evaluation", _("一次互评")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("活动类型"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("主题"), max_length=200)
    held_on = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=120, blank=True)
    organiser = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("承办单位"))

    class Meta:
        ordering = ["held_on", "id"]
        verbose_name = _("联建活动")
        verbose_name_plural = _("联建活动")


class Participation(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="participations")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    people = models.PositiveSmallIntegerField(_("参加人数"), default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activity", "unit"], name="uniq_participation")]


class FundEntry(models.Model):
    """The funding ledger: income by source, spending by project ("量力而行、自愿参与")."""

    class Direction(models.TextChoices):
        INCOME = "income", _("收入")
        SPENDING = "spending", _("支出")

    class Source(models.TextChoices):
        PARTY_FEES = "party_fees", _("党费补")
        DEPARTMENT = "department", _("部门扶")
        ENTERPRISE = "enterprise", _("企业帮")
        REVENUE_SHARE = "revenue_share", _("收益提")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="funds")
    direction = models.CharField(_("收支"), max_length=8, choices=Direction.choices)
    source = models.CharField(_("来源"), max_length=14, choices=Source.choices, blank=True)
    project = models.ForeignKey(ListItem, null=True, blank=True, on_delete=models.PROTECT, related_name="spending",
                                verbose_name=_("项目"))
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("出资/经办单位"))
    amount = models.DecimalField(_("金额(元)"), max_digits=12, decimal_places=2)
    entered_on = models.DateField(_("日期"))
    note = models.CharField(_("摘要"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["entered_on", "id"]
        verbose_name = _("经费收支")
        verbose_name_plural = _("经费收支")


# ---------------------------------------------------------------- star rating

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
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
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
