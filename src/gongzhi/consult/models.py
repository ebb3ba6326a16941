"""Cloud consultation (云协商): topics with phases, statements with moderation, statement votes.

All writes go through :mod:`gongzhi.consult.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import Region


class Topic(models.Model):
    """A public matter (议题) put to residents, with a scope and dated phases."""

    class Scope(models.TextChoices):
        COMMUNITY = "community", _("社区")
        VILLAGE = "village", _("村")
        ALLIANCE = "alliance", _("共建联盟")
        BRANCH = "branch", _("党支部")

    class Source(models.TextChoices):
        RESIDENT = "resident", _("居民提出")
        UNIT = "unit", _("单位提出")
        DATA = "data", _("数据发现")

    title = models.CharField(_("议题"), max_length=120)
    description = models.TextField(_("说明"), blank=True)
    scope = models.CharField(_("范围"), max_length=12, choices=Scope.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="topics", verbose_name=_("所在区域"))
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="topics",
        verbose_name=_("联盟/支部"),
    )
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.RESIDENT)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("提出人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("议题")
        verbose_name_plural = _("议题")

    def __str__(self) -> str:
        return self.title


class Phase(models.Model):
    """One dated phase of a topic: collect → deliberate → vote → publish → follow up."""

    class Kind(models.TextChoices):
        COLLECT = "collect", _("征集")
        DELIBERATE = "deliberate", _("协商")
        VOTE = "vote", _("表决")
        PUBLISH = "publish", _("公示")
        FOLLOW_UP = "follow_up", _("跟踪落实")

    ORDER = ["collect", "deliberate", "vote", "publish", "follow_up"]

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="phases")
    kind = models.CharField(_("阶段"), max_length=12, choices=Kind.choices)
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    rules = models.TextField(_("规则"), blank=True)

    class Meta:
        ordering = ["topic", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "kind"], name="consult_phase_once_per_topic"),
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="consult_phase_ends_after_start"),
        ]
        verbose_name = _("阶段")
        verbose_name_plural = _("阶段")

    def __str__(self) -> str:
        return f"{self.topic} · {self.get_kind_display()}"


class Statement(models.Model):
    """A short statement written by a participant; shown to others once a moderator accepts it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        ACCEPTED = "accepted", _("已采纳")
        REJECTED = "rejected", _("未采纳")

    MAX_LENGTH = 280

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="statements")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("作者"),
    )
    text = models.CharField(_("观点"), max_length=MAX_LENGTH)
    status = models.CharField(_("审核状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    moderation_reason = models.CharField(_("审核理由"), max_length=200, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("审核人"),
    )
    moderated_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        ordering = ["topic", "id"]
        indexes = [models.Index(fields=["topic", "status"])]
        verbose_name = _("观点")
        verbose_name_plural = _("观点")

    def __str__(self) -> str:
        return self.text[:40]


class StatementVote(models.Model):
    """One vote event (agree 1 / disagree −1 / pass 0). Votes are never edited: a participant who
    changes their mind casts again and the latest vote counts, as in pol.is."""

    class Value(models.IntegerChoices):
        AGREE = 1, _("赞同")
        PASS = 0, _("跳过")
        DISAGREE = -1, _("反对")

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    value = models.SmallIntegerField(_("表态"), choices=Value.choices)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["statement", "voter"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(value__in=[-1, 0, 1]), name="consult_vote_value"),
        ]
        verbose_name = _("观点表态")
        verbose_name_plural = _("观点表态")
