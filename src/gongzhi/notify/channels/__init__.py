"""Channels behind one interface: :func:`backend` gives the transport configured for a channel
(``sms``, ``email``, ``wechat``), each a :class:`~.base.Backend` whose ``send(outgoing)`` returns the
provider's message id or raises :class:`~.base.SendError` (``transient``: retry later with backoff)."""

from __future__ import annotations

from .. import conf
from .base import Backend, Outgoing, SendError

__all__ = ["Backend", "Outgoing", "SendError", "backend"]


def backend(channel: str) -> Backend:
    from . import aliyun, console, email, tencent, wechat

    name = {
        "sms": conf.get("GONGZHI_NOTIFY_SMS"),
        "email": conf.get("GONGZHI_NOTIFY_EMAIL"),
        "wechat": conf.get("GONGZHI_NOTIFY_WECHAT"),
    }.get(channel)
    if name == "console":
        return console.ConsoleBackend(channel)
    if channel == "sms" and name == "aliyun":
        return aliyun.AliyunSms()
    if channel == "sms" and name == "tencent":
        return tencent.TencentSms()
    if channel == "email" and name == "django":
        return email.DjangoEmail()
    if channel == "wechat" and name == "wechat":
        return wechat.WechatTemplate()
    raise SendError(f"no transport {name!r} for channel {channel!r}", transient=False, code="config")
