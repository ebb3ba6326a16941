"""Residents' requests (接诉即办) and what hangs off them: the transition
records every figure is computed from, whistles and reports (吹哨报到),
emergency bypasses (事后备案), follow-up visits (回访), mediation cases
(老马工作室), the working-day calendar and Open311 client keys."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import Region
from gongzhi.org.kinds import SlaClass
from gongzhi.org.models import Grid, MatterCategory, Person, Unit


class State(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    ACCEPTED = "accepted", _("已受理")
    DISPATCHED = "dispatched", _("已派单")
    IN_PROGRESS = "in_progress", _("办理中")
    RESOLVED = "resolved", _("已办结")
    CONFIRMED = "confirmed", _("已评价")
    CLOSED = "closed", _("已关闭")
    RETURNED = "returned", _("已回退")
    REOPENED = "reopened", _("重办")
    ESCALATED = "escalated", _("已升级")
    MERGED = "merged", _("已合并")
    NOT_OURS = "not_ours", _("非本级职责")
    CANCELLED = "cancelled", _("已撤销")


OPEN_STATES = frozenset(
    {
        State.SUBMITTED,
        State.ACCEPTED,
        State.DISPATCHED,
        State.IN_PROGRESS,
        State.RETURNED,
        State.REOPENED,
        State.ESCALATED,
    }
)
TERMINAL_STATES = frozenset({State.CLOSED, State.MERGED, State.NOT_OURS, State.CANCELLED})


class Channel(models.TextChoices):
    WEB = "web", _("居民网页")
    GRID = "grid", _("网格员巡查")
    HOTLINE = "hotline", _("热线")
    API = "api", _("接口")
    OPEN311 = "open311", _("Open311")
    BYPASS = "bypass", _("紧急先行处置备案")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class ServiceRequest(models.Model):
    # Unique through Meta constraints: a unique=True CharField also gets a LIKE index on PostgreSQL,
    # which nothing here uses and every intake would have to update.
    number = models.CharField(_("编号"), max_length=20)
    token = models.CharField(max_length=32, editable=False)
    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices)
    description = models.TextField(_("诉求内容"))
    category = models.ForeignKey(
        MatterCategory,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
        verbose_name=_("事项类别"),
        db_index=False,
    )  # (category, state) leads with it
    suggested_category = models.ForeignKey(
        MatterCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    suggestion_confidence = models.FloatField(null=True, blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="requests", verbose_name=_("社区/村"))
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="requests", verbose_name=_("网格"))
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    anonymous = models.BooleanField(_("匿名"), default=False)
    reporter_name = models.CharField(_("联系人"), max_length=40, blank=True)
    reporter_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    reporter_id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="my_requests"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        _("状态"), max_length=12, choices=State.choices, default=State.SUBMITTED
    )  # (state, due_at) leads with it
    handling_unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
        verbose_name=_("承办单位"),
        db_index=False,
    )  # (handling_unit, state) leads with it
    routing_reason = models.TextField(_("派单依据"), blank=True)
    routing = models.JSONField(default=dict, blank=True)
    sla = models.CharField(_("办理时限"), max_length=12, choices=SlaClass.choices, default=SlaClass.GENERAL)
    sla_started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("截止时间"), null=True, blank=True, db_index=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    overdue_escalated_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates")
    rating = models.CharField(_("评价"), max_length=12, choices=Rating.choices, blank=True)
    fixed = models.BooleanField(_("问题已解决"), null=True, blank=True)
    resolution = models.TextField(_("办理结果"), blank=True)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=120, null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "due_at"]),
            models.Index(fields=["category", "state"]),
            models.Index(fields=["handling_unit", "state"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="cases_request_number_unique"),
            models.UniqueConstraint(fields=["token"], name="cases_request_token_unique"),
            models.UniqueConstraint(fields=["idempotency_key"], name="cases_request_idempotency_unique"),
        ]
        verbose_name = _("诉求")
        verbose_name_plural = _("诉求")

    def __str__(self) -> str:
        return self.number

    # Whether events must look up requests merged into this one (False for a request being created).
    has_followers = True
    # Set by services.dispatch: the push-down it recorded instead of dispatching (None when it dispatched).
    pending_pushdown: PushDown | None = None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @staticmethod
    def new_token() -> str:
        return secrets.token_hex(16)


class Transition(models.Model):
    """One change of a request's state: who, when, why. The figures are computed from these rows."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="transitions", db_index=False
    )  # (request, action) leads with it
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=80, blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(blank=True)
    at = models.DateTimeField(db_index=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["request", "action"])]
        verbose_name = _("流转记录")
        verbose_name_plural = _("流转记录")


class Attachment(models.Model):
    """A photo or file a resident attached to a request (optional: a photo is never required), stored as
    ``cases/<random name>`` in the default storage (``cases/attachments.py``); or, from Open311, a
    ``media_url`` kept as a URL."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="attachments")
    stored_name = models.CharField(max_length=80, blank=True, editable=False)
    original_name = models.CharField(_("文件名"), max_length=120, blank=True)
    content_type = models.CharField(max_length=40, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    url = models.URLField(max_length=500, blank=True)
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.original_name or self.url

    @property
    def is_image(self) -> bool:
        return self.content_type in ("image/jpeg", "image/png")


class Whistle(models.Model):
    """The street blows the whistle (吹哨) on a request; departments must report (报到)."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="whistles")
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    blown_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    blown_at = models.DateTimeField()
    reason = models.TextField()


class Summons(models.Model):
    """One department called by a whistle: acknowledge (报到) by ``ack_due``, act by ``act_due``."""

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="summonses")
    department = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="summonses")
    ack_due = models.DateTimeField()
    act_due = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acted_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["whistle", "department"], name="uniq_summons")]


class Bypass(models.Model):
    """Emergency action by a grid worker outside the normal procedure, filed afterwards (事后备案)."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(MatterCategory, on_delete=models.PROTECT, related_name="+")
    summary = models.CharField(max_length=200)
    acted_at = models.DateTimeField()
    filing_due = models.DateTimeField()
    filed_at = models.DateTimeField(null=True, blank=True)
    request = models.OneToOneField(
        ServiceRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="bypass"
    )
    flagged_at = models.DateTimeField(null=True, blank=True)


class FollowUp(models.Model):
    """A follow-up visit (回访) after resolution."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="followups")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    rating = models.CharField(max_length=12, choices=Rating.choices, blank=True)
    fixed = models.BooleanField()
    note = models.TextField(blank=True)


class CalendarDay(models.Model):
    """An exception to the Monday–Friday working week: a holiday, or a weekend make-up working day."""

    date = models.DateField(unique=True)
    workday = models.BooleanField()
    name = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")


class MediationCase(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "", _("调解中")
        AGREEMENT = "agreement", _("达成协议")
        PARTIAL = "partial", _("部分达成")
        FAILED = "failed", _("调解不成")

    request = models.ForeignKey(
        ServiceRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="mediations"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("纠纷事由"), max_length=120)
    lead = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("主调解员"))
    volunteers = models.ManyToManyField(Person, blank=True, related_name="+", verbose_name=_("志愿小马"))
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(_("结果"), max_length=12, choices=Outcome.choices, blank=True)
    agreement = models.TextField(_("协议内容"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)


class MediationParty(models.Model):
    case = models.ForeignKey(MediationCase, on_delete=models.CASCADE, related_name="parties")
    name = models.CharField(max_length=40)
    phone = models.CharField(max_length=20, blank=True)
    role = models.CharField(max_length=20, blank=True)


class MediationSession(models.Model):
    case = models.ForeignKey(MediationCase, on_delete=models.CASCADE, related_name="sessions")
    at = models.DateTimeField()
    place = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)


class Open311Client(models.Model):
    name = models.CharField(max_length=80, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked = models.BooleanField(default=False)

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class PushDown(models.Model):
    """A manual dispatch to a unit below the one the responsibility list names (向基层下派): the matter
    goes down only with a written reason and the receiving unit's consent or a higher level's approval;
    every one is kept and counted per street (``cases.pushdowns``). Seeds 001 (权小责大, 权力上收、责任下移)
    and 002 (防止向基层增加负担、转嫁责任)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待同意/审批")
        CONSENTED = "consented", _("承办单位已同意")
        APPROVED = "approved", _("上级已批准")
        DECLINED = "declined", _("承办单位不同意")
        REFUSED = "refused", _("上级不批准")
        WITHDRAWN = "withdrawn", _("已撤回")

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="pushdowns")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("社区/村"))
    street = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道")
    )
    category = models.ForeignKey(MatterCategory, on_delete=models.PROTECT, related_name="+")
    listed_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("清单规定的承办单位")
    )
    to_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="pushdowns_received", verbose_name=_("下派至")
    )
    reason = models.TextField(_("下派理由"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_label = models.CharField(max_length=80, blank=True)
    requested_at = models.DateTimeField(_("提出时间"), db_index=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_label = models.CharField(max_length=80, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("意见"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=models.Q(status="pending"), name="cases_one_pending_pushdown"
            )
        ]
        verbose_name = _("向基层下派记录")
        verbose_name_plural = _("向基层下派记录")

    def __str__(self) -> str:
        return f"{self.request} → {self.to_unit}"

    @property
    def took_effect(self) -> bool:
        return self.status in (self.Status.CONSENTED, self.Status.APPROVED)
