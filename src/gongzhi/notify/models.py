"""Notifications: who wants what how (``Preference``), every message planned or sent (``Message``), and the
one-time links that let a resident rate a resolved request without logging in (``RatingLink``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    WECHAT = "wechat", _("微信公众号")


class Preference(models.Model):
    """One user's wishes (a resident without a log-in has none: the defaults apply)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preference", verbose_name=_("用户")
    )
    channels = models.JSONField(_("通知渠道"), default=list, blank=True)  # Channel values, in order of preference
    quiet_start = models.TimeField(_("免打扰开始"), null=True, blank=True)
    quiet_end = models.TimeField(_("免打扰结束"), null=True, blank=True)
    digest = models.BooleanField(_("汇总通知"), default=False)  # one digest per period instead of one per event
    opted_out = models.BooleanField(_("退订"), default=False)
    language = models.CharField(_("语言"), max_length=10, default="zh-hans")
    wechat_openid = models.CharField(_("微信 OpenID"), max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self) -> str:
        return f"{self.user}"


class Message(models.Model):
    """One message to one recipient on one channel for one event. ``key`` (event id, recipient, channel) is
    unique: a redelivered event plans nothing twice, and the key travels to the provider so that a retry
    after a timeout is not delivered twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENDING = "sending", _("发送中")
        HELD = "held", _("待汇总")  # waits for the recipient's digest
        DIGESTED = "digested", _("已汇总")
        SENT = "sent", _("已发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("发送失败")

    key = models.CharField(max_length=120)  # <event id hex>:<recipient>:<channel> (digests, tests: their own)
    event_id = models.UUIDField(null=True, blank=True, db_index=True)  # the outbox event's id
    recipient = models.CharField(max_length=40)  # u:<user id>, or r:<request number> (a reporter without a log-in)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("用户"),
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("地址"), max_length=254)  # phone, e-mail address or OpenID
    template = models.CharField(_("模板"), max_length=40)
    params = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=10, default="zh-hans")
    emergency = models.BooleanField(_("紧急"), default=False)
    asks_action = models.BooleanField(_("要求处理"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    provider_id = models.CharField(_("服务商消息号"), max_length=100, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    digest = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="parts")
    region = models.ForeignKey(
        "core.Region", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("区域")
    )

    class Meta:
        verbose_name = _("通知消息")
        verbose_name_plural = _("通知消息")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["key"], name="notify_message_key_unique")]
        indexes = [models.Index(fields=["status", "next_attempt_at"]), models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return self.key


class RatingLink(models.Model):
    """A link sent with "your request was resolved": it rates the request once, without logging in,
    until it expires. Only the token's SHA-256 is stored."""

    request = models.ForeignKey("cases.ServiceRequest", on_delete=models.CASCADE, related_name="+")
    event_id = models.UUIDField(null=True, blank=True)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(_("有效期至"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评价链接")
        verbose_name_plural = _("评价链接")
        constraints = [
            models.UniqueConstraint(fields=["token_hash"], name="notify_ratinglink_token_unique"),
            models.UniqueConstraint(fields=["request", "event_id"], name="notify_ratinglink_event_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}"
