"""Alliances and their member units (the caps of the source in one place)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import Region
from gongzhi.org.models import Unit

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
    lead_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="led_alliances", verbose_name=_("牵头单位")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="alliances", verbose_name=_("所在区域"))
    proposed_members = models.ManyToManyField(
        Unit, blank=True, related_name="proposed_alliances", verbose_name=_("拟加入单位")
    )
    partner_province = models.CharField(_("结对单位所在省份"), max_length=40, blank=True)
    partner_unit_name = models.CharField(_("外省结对单位"), max_length=120, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.APPLIED)
    applied_on = models.DateField(_("申请日期"))
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approver_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("审批党组织")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
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
    special_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["alliance", "-role", "joined_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "unit"],
                condition=models.Q(status__in=["pending", "active"]),
                name="uniq_open_alliance_member",
            ),
        ]
        verbose_name = _("联合体成员单位")
        verbose_name_plural = _("联合体成员单位")

    def __str__(self) -> str:
        return f"{self.unit} @ {self.alliance}"
