"""Volunteers: profiles, certificates, service records, versioned points rules,
a double-entry points ledger, time banks and a redemption catalogue.

Balances are never stored: an account's balance is the sum of its movements,
and every journal entry's movements sum to zero.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import Region
from gongzhi.org.models import Person, Unit


class Field(models.TextChoices):
    LAW = "law", _("法律")
    MEDICINE = "medicine", _("医疗")
    PSYCHOLOGY = "psychology", _("心理")
    SOCIAL_WORK = "social_work", _("社会工作")
    EDUCATION = "education", _("教育")
    EMERGENCY = "emergency", _("应急救援")


class TimeBank(models.Model):
    """A community time bank (时间银行); 通存通兑 when both banks allow it."""

    code = models.CharField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区域"))
    operator = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("运营单位")
    )
    accepts_transfers_in = models.BooleanField(_("接受转入"), default=True)
    allows_transfers_out = models.BooleanField(_("允许转出"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("时间银行")
        verbose_name_plural = _("时间银行")

    def __str__(self) -> str:
        return self.name


class Volunteer(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("在册")
        SUSPENDED = "suspended", _("暂停")

    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="volunteer", verbose_name=_("人员"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区域"))
    bank = models.ForeignKey(TimeBank, on_delete=models.PROTECT, related_name="volunteers", verbose_name=_("时间银行"))
    skills = models.JSONField(_("技能"), default=list, blank=True)
    joined_on = models.DateField(_("注册日期"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["id"]
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")

    def __str__(self) -> str:
        return self.person.name


class Certificate(models.Model):
    """A professional certificate; valid on a date when verified, not revoked and not expired."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="certificates")
    field = models.CharField(_("专业领域"), max_length=16, choices=Field.choices)
    level = models.PositiveSmallIntegerField(_("等级"))
    number = models.CharField(_("证书编号"), max_length=60)
    issued_on = models.DateField(_("发证日期"))
    expires_on = models.DateField(_("有效期至"))
    verified_by = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("核验单位"))
    verified_at = models.DateTimeField(_("核验时间"), auto_now_add=True)
    revoked = models.BooleanField(_("已撤销"), default=False)

    class Meta:
        ordering = ["field", "-level"]
        constraints = [models.UniqueConstraint(fields=["field", "number"], name="uniq_certificate_number")]
        verbose_name = _("资质证书")
        verbose_name_plural = _("资质证书")

    def __str__(self) -> str:
        return f"{self.get_field_display()} {self.level}级"

    def valid_on(self, day) -> bool:
        return not self.revoked and self.issued_on <= day <= self.expires_on


class TaskType(models.Model):
    """A kind of service task; some need a certificate of a field at a minimum level."""

    code = models.CharField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    required_field = models.CharField(_("所需资质领域"), max_length=16, choices=Field.choices, blank=True)
    required_level = models.PositiveSmallIntegerField(_("所需最低等级"), default=0)

    class Meta:
        ordering = ["code"]
        verbose_name = _("服务类型")
        verbose_name_plural = _("服务类型")

    def __str__(self) -> str:
        return self.name


class PointsRule(models.Model):
    """A version of a bank's points rule; the version in force on the service date applies."""

    bank = models.ForeignKey(TimeBank, on_delete=models.CASCADE, related_name="rules")
    version = models.PositiveIntegerField(_("版本"))
    effective_from = models.DateField(_("生效日期"))
    points_per_hour = models.PositiveIntegerField(_("每小时积分"), default=10)
    task_bonus = models.JSONField(_("按服务类型加分"), default=dict, blank=True)
    daily_cap = models.PositiveIntegerField(_("每日上限"), default=80)
    yearly_cap = models.PositiveIntegerField(_("每年上限"), default=5000)
    allow_negative = models.BooleanField(_("允许透支"), default=False)

    class Meta:
        ordering = ["bank", "-effective_from", "-version"]
        constraints = [models.UniqueConstraint(fields=["bank", "version"], name="uniq_rule_version")]
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")

    def __str__(self) -> str:
        return f"{self.bank} v{self.version}"


class ServiceRecord(models.Model):
    class Status(models.TextChoices):
        CLAIMED = "claimed", _("待组织方确认")
        CONFIRMED = "confirmed", _("已确认")
        REJECTED = "rejected", _("已驳回")

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="records")
    task_type = models.ForeignKey(TaskType, on_delete=models.PROTECT, related_name="+", verbose_name=_("服务类型"))
    task_ref = models.CharField(_("活动编号"), max_length=60)
    title = models.CharField(_("服务内容"), max_length=120)
    organiser = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("组织单位"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("服务日期"))
    hours = models.DecimalField(_("时长(小时)"), max_digits=5, decimal_places=2)
    points = models.PositiveIntegerField(_("积分"), default=0)
    rule = models.ForeignKey(PointsRule, null=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.CLAIMED)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "task_ref"],
                condition=~models.Q(status="rejected"),
                name="uniq_service_claim",
            )
        ]
        verbose_name = _("服务记录")
        verbose_name_plural = _("服务记录")


class Account(models.Model):
    """A points account: a volunteer's account at a bank, or a bank's own accounts."""

    class Kind(models.TextChoices):
        VOLUNTEER = "volunteer", _("志愿者账户")
        ISSUANCE = "issuance", _("积分发放")
        REDEMPTION = "redemption", _("兑换回收")

    bank = models.ForeignKey(TimeBank, on_delete=models.PROTECT, related_name="accounts")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    volunteer = models.ForeignKey(Volunteer, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts")
    allow_negative = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bank", "volunteer"], condition=models.Q(kind="volunteer"), name="uniq_volunteer_account"
            ),
            models.UniqueConstraint(
                fields=["bank", "kind"], condition=~models.Q(kind="volunteer"), name="uniq_bank_account"
            ),
        ]
        verbose_name = _("积分账户")
        verbose_name_plural = _("积分账户")

    def __str__(self) -> str:
        return f"{self.bank.code}:{self.kind}:{self.volunteer_id or ''}"


class Entry(models.Model):
    """A journal entry; its movements sum to zero."""

    class Kind(models.TextChoices):
        AWARD = "award", _("服务积分")
        REDEEM = "redeem", _("兑换")
        TRANSFER = "transfer", _("通存通兑转移")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    memo = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=60, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("积分凭证")
        verbose_name_plural = _("积分凭证")


class Movement(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="movements")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="movements")
    amount = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["account"])]
        constraints = [models.CheckConstraint(condition=~models.Q(amount=0), name="movement_nonzero")]


class CatalogueItem(models.Model):
    bank = models.ForeignKey(TimeBank, on_delete=models.PROTECT, related_name="items", verbose_name=_("时间银行"))
    code = models.CharField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    points = models.PositiveIntegerField(_("所需积分"))
    stock = models.PositiveIntegerField(_("库存"))
    active = models.BooleanField(_("上架"), default=True)

    class Meta:
        ordering = ["bank", "points"]
        verbose_name = _("兑换目录")
        verbose_name_plural = _("兑换目录")

    def __str__(self) -> str:
        return self.name


class Redemption(models.Model):
    item = models.ForeignKey(CatalogueItem, on_delete=models.PROTECT, related_name="redemptions")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="redemptions")
    quantity = models.PositiveIntegerField(default=1)
    points = models.PositiveIntegerField()
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="redemption")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("兑换记录")
        verbose_name_plural = _("兑换记录")
