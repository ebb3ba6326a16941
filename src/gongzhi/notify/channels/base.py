"""The channel interface and the HTTP call every provider adapter makes (timeouts; 5xx and 429 are
transient)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from .. import conf


class SendError(Exception):
    """A message not sent. ``transient``: a timeout, a 5xx, a rate limit: worth retrying later."""

    def __init__(self, message: str, *, transient: bool, code: str = "") -> None:
        super().__init__(message)
        self.transient = transient
        self.code = code


@dataclass
class Outgoing:
    """What a backend sends: ``key`` is the message's idempotency key (event, recipient, channel), handed
    to the provider where it takes one (Aliyun ``OutId``, Tencent ``SessionContext``, WeChat
    ``client_msg_id``)."""

    key: str
    channel: str
    address: str
    template: str
    params: dict[str, Any]
    subject: str
    text: str
    url: str = ""
    language: str = "zh-hans"
    extra: dict[str, Any] = field(default_factory=dict)


class Backend:
    name = "base"

    def send(self, out: Outgoing) -> str:  # the provider's message id
        raise NotImplementedError


def http_json(
    method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """One HTTP call with the configured timeout; its JSON answer. Timeouts, connection failures, 5xx
    and 429 raise a transient :class:`SendError`, another 4xx a permanent one."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=conf.get("GONGZHI_NOTIFY_TIMEOUT")) as resp:  # noqa: S310
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        transient = exc.code >= 500 or exc.code == 429
        raise SendError(f"HTTP {exc.code}", transient=transient, code=f"http_{exc.code}") from None
    except TimeoutError:
        raise SendError("timeout", transient=True, code="timeout") from None
    except urllib.error.URLError as exc:
        transient = True
        if isinstance(exc.reason, TimeoutError | socket.timeout):
            raise SendError("timeout", transient=True, code="timeout") from None
        raise SendError(f"connection failed: {exc.reason}", transient=transient, code="connection") from None
    except OSError as exc:
        raise SendError(f"connection failed: {exc}", transient=True, code="connection") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SendError("the provider's answer is not JSON", transient=True, code="bad_answer") from None
    if not isinstance(data, dict):
        raise SendError("the provider's answer is not an object", transient=True, code="bad_answer")
    return data
