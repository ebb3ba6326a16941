"""Councils: the governance platforms by level (seed 002) and the 三重一大 procedure (seed 003).

* :class:`Council` — a platform: the street joint meeting (街镇党建联席会), the community's
  co-governance platform (社区共治议事会), and the community's own bodies (residents' committee,
  owners' committee, property company under 红色物业) with their own meetings.
* :class:`Member` — a unit or a person on the platform with a role (the property company's
  party-building instructor is a person member with the role ``instructor``).
* :class:`Meeting` — agenda items drawn from records, attendance, quorum, minutes.
* :class:`Decision` — a vote at a meeting, its outcome and its effect (a plan goal, a pool need, a
  matter's collective decision); the effect is made through the owning app's services and
  referenced here by type and id.
* :class:`Matter` — a 三重一大 matter with its :class:`MatterStep` rows, recorded in order
  (proposal → consultation where required → collective decision → publication), and the
  :class:`MatterUse` rows of the effects it covered.
* :class:`Threshold` — the amounts above which an effect needs an approved matter (data, per region;
  defaults in ``settings.GONGZHI_MAJOR_MATTER_THRESHOLDS``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import Region
from gongzhi.org.models import Person, Unit


class Level(models.TextChoices):
    STREET_JOINT = "street_joint", _("街镇党建联席会")
    COMMUNITY_COGOV = "community_cogov", _("社区共治议事会")
    RESIDENTS = "residents", _("居民委员会会议")
    OWNERS = "owners", _("业主委员会会议")
    PROPERTY = "property", _("红色物业联席会")


class Council(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("运行中")
        DISSOLVED = "dissolved", _("已撤销")

    code = models.CharField(_("编号"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    level = models.CharField(_("层级"), max_length=20, choices=Level.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区域"))
    host = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("召集单位"))
    quorum_num = models.PositiveSmallIntegerField(_("到会比例分子"), default=2)
    quorum_den = models.PositiveSmallIntegerField(_("到会比例分母"), default=3)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["region__path", "level", "code"]
        verbose_name = _("议事平台")
        verbose_name_plural = _("议事平台")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("councils:detail", args=[self.pk])


class Member(models.Model):
    class Role(models.TextChoices):
        CONVENOR = "convenor", _("召集人")
        MEMBER = "member", _("成员")
        INSTRUCTOR = "instructor", _("党建指导员")
        SECRETARY = "secretary", _("联络员")
        OBSERVER = "observer", _("列席")

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="members")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("角色"), max_length=12, choices=Role.choices, default=Role.MEMBER)
    active = models.BooleanField(_("在任"), default=True)
    joined_on = models.DateField(_("加入日期"))

    class Meta:
        ordering = ["council", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit__isnull=False) | models.Q(person__isnull=False), name="councils_member_who"
            ),
        ]
        verbose_name = _("平台成员")
        verbose_name_plural = _("平台成员")

    def __str__(self) -> str:
        who = self.unit.name if self.unit else (self.person.name if self.person else "")
        return f"{who}（{self.get_role_display()}）"

    @property
    def votes(self) -> bool:
        """Observers attend but do not count toward the quorum or vote."""
        return self.role != self.Role.OBSERVER


class Meeting(models.Model):
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="meetings")
    code = models.CharField(_("编号"), max_length=48, unique=True)
    title = models.CharField(_("会议名称"), max_length=120)
    held_on = models.DateField(_("召开日期"))
    members_total = models.PositiveSmallIntegerField(_("应到"), default=0)
    present = models.PositiveSmallIntegerField(_("实到"), default=0)
    quorum_met = models.BooleanField(_("达到法定人数"), default=False)
    minutes = models.TextField(_("会议纪要"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("议事会议")
        verbose_name_plural = _("议事会议")

    def __str__(self) -> str:
        return f"{self.title}（{self.held_on}）"

    def get_absolute_url(self) -> str:
        return reverse("councils:meeting", args=[self.pk])


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(_("到会"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="councils_uniq_attendance")]


class AgendaItem(models.Model):
    class Source(models.TextChoices):
        REQUESTS = "requests", _("群众诉求（按类别、地点）")
        ALLIANCE_NEED = "alliance_need", _("联合体需求清单")
        CONSULTATION = "consultation", _("议事协商结果")
        MATTER = "matter", _("三重一大事项")
        OTHER = "other", _("其他议题")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    order = models.PositiveSmallIntegerField(_("序号"))
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    ref = models.CharField(_("来源编号"), max_length=80, blank=True)
    title = models.CharField(_("议题"), max_length=200)
    count = models.PositiveIntegerField(_("涉及件数"), null=True, blank=True)

    class Meta:
        ordering = ["meeting", "order"]
        constraints = [models.UniqueConstraint(fields=["meeting", "order"], name="councils_uniq_agenda_order")]


class Decision(models.Model):
    class Outcome(models.TextChoices):
        PASSED = "passed", _("通过")
        REJECTED = "rejected", _("未通过")

    class Effect(models.TextChoices):
        NONE = "none", _("无（仅记录）")
        PLAN_GOAL = "plan_goal", _("转为目标任务")
        POOL_NEED = "pool_need", _("提交公共池需求")
        MATTER = "matter", _("三重一大集体决策")

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="decisions")
    agenda_item = models.ForeignKey(AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    code = models.CharField(_("编号"), max_length=56, unique=True)
    title = models.CharField(_("决定事项"), max_length=200)
    votes_for = models.PositiveSmallIntegerField(_("赞成"), default=0)
    votes_against = models.PositiveSmallIntegerField(_("反对"), default=0)
    votes_abstain = models.PositiveSmallIntegerField(_("弃权"), default=0)
    outcome = models.CharField(_("表决结果"), max_length=10, choices=Outcome.choices)
    effect = models.CharField(_("决定去向"), max_length=12, choices=Effect.choices, default=Effect.NONE)
    effect_type = models.CharField(_("去向类型"), max_length=24, blank=True)
    effect_ref = models.CharField(_("去向编号"), max_length=60, blank=True)
    params = models.JSONField(_("去向参数"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting", "id"]
        verbose_name = _("会议决定")
        verbose_name_plural = _("会议决定")

    def __str__(self) -> str:
        return self.title

    @property
    def passed(self) -> bool:
        return self.outcome == self.Outcome.PASSED


class MatterKind(models.TextChoices):
    MAJOR_DECISION = "major_decision", _("重大事项决策")
    IMPORTANT_APPOINTMENT = "important_appointment", _("重要干部任免")
    MAJOR_PROJECT = "major_project", _("重大项目安排")
    LARGE_SPENDING = "large_spending", _("大额度资金使用")


class SubjectType(models.TextChoices):
    ALLIANCE_FUND = "alliance_fund", _("联合体经费支出")
    POOL_NEED = "pool_need", _("公共池资金调配")
    PLAN_GOAL = "plan_goal", _("目标任务预算")
    OTHER = "other", _("其他")


class Matter(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("已提出")
        CONSULTED = "consulted", _("已征求意见")
        DECIDED = "decided", _("已集体决策")
        REJECTED = "rejected", _("集体决策未通过")
        PUBLISHED = "published", _("已公开（生效）")

    code = models.CharField(_("编号"), max_length=40, unique=True)
    kind = models.CharField(_("类别"), max_length=24, choices=MatterKind.choices)
    title = models.CharField(_("事项"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="matters", verbose_name=_("决策机构"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区域"))
    subject_type = models.CharField(_("事项对象"), max_length=16, choices=SubjectType.choices)
    subject_ref = models.CharField(_("对象编号"), max_length=60, blank=True)
    amount = models.DecimalField(_("金额上限(元)"), max_digits=14, decimal_places=2, null=True, blank=True)
    consultation_required = models.BooleanField(_("须征求意见"), default=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PROPOSED)
    decision = models.OneToOneField(
        Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="matter", verbose_name=_("集体决策")
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(_("提出时间"))
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_ref", "status"], name="councils_matter_subject")]
        verbose_name = _("三重一大事项")
        verbose_name_plural = _("三重一大事项")

    def __str__(self) -> str:
        return f"{self.title}（{self.code}）"

    def get_absolute_url(self) -> str:
        return reverse("councils:matter", args=[self.pk])

    @property
    def approved(self) -> bool:
        return self.status == self.Status.PUBLISHED


class MatterStep(models.Model):
    class Kind(models.TextChoices):
        PROPOSAL = "proposal", _("提出动议")
        CONSULTATION = "consultation", _("征求意见")
        DECISION = "decision", _("集体决策")
        PUBLICATION = "publication", _("结果公开")

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("步骤"), max_length=14, choices=Kind.choices)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("记录"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["matter", "at", "id"]
        constraints = [models.UniqueConstraint(fields=["matter", "kind"], name="councils_uniq_matter_step")]


class MatterUse(models.Model):
    """An effect the matter covered (the guard's record): what, which, how much."""

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="uses")
    subject_type = models.CharField(max_length=16, choices=SubjectType.choices)
    subject_ref = models.CharField(max_length=60)
    effect_ref = models.CharField(max_length=60, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    at = models.DateTimeField()

    class Meta:
        ordering = ["matter", "at"]


class Threshold(models.Model):
    """Above ``amount`` yuan an effect of ``subject_type`` in ``region`` (and below) needs an approved matter."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("适用区域"))
    subject_type = models.CharField(_("事项对象"), max_length=16, choices=SubjectType.choices)
    amount = models.DecimalField(_("标准(元)"), max_digits=14, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "subject_type"], name="councils_uniq_threshold"),
        ]
        verbose_name = _("三重一大标准")
        verbose_name_plural = _("三重一大标准")
