"""/api/v1/notify/: my notification preferences; the messages sent (staff, recipients masked)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from gongzhi.core.apischema import ErrorOut
from gongzhi.core.validation import Limit, Offset
from gongzhi.org import permissions

from . import perms, services
from .models import Message, Preference

PREFIX = "notify"
router = Router(tags=["notify"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _me(request: HttpRequest) -> Any:
    """The logged-in user (login_required / the API's auth have checked it)."""
    return request.user


class PreferenceOut(Schema):
    channels: list[str]
    quiet_start: dt.time | None
    quiet_end: dt.time | None
    digest: bool
    opted_out: bool
    language: str
    wechat_openid: str


class PreferenceIn(Schema):
    channels: list[str] | None = None
    quiet_start: dt.time | None = None
    quiet_end: dt.time | None = None
    digest: bool | None = None
    opted_out: bool | None = None
    language: str | None = None
    wechat_openid: str | None = None


def _pref_out(pref: Preference | None) -> dict:
    return {
        "channels": list(pref.channels) if pref else [],
        "quiet_start": pref.quiet_start if pref else None,
        "quiet_end": pref.quiet_end if pref else None,
        "digest": pref.digest if pref else False,
        "opted_out": pref.opted_out if pref else False,
        "language": pref.language if pref else "zh-hans",
        "wechat_openid": pref.wechat_openid if pref else "",
    }


@router.get("/preferences", response={200: PreferenceOut, **ERRORS})
def get_preferences(request: HttpRequest) -> dict:
    """The caller's own notification preferences (the defaults when never set)."""
    return _pref_out(Preference.objects.filter(user=_me(request)).first())


@router.put("/preferences", response={200: PreferenceOut, **ERRORS})
def put_preferences(request: HttpRequest, data: PreferenceIn) -> dict:
    """Change the caller's own preferences; fields left out keep their value."""
    pref = services.set_preference(request.user, request.user, **data.dict())
    return _pref_out(pref)


class MessageOut(Schema):
    id: int
    created_at: dt.datetime
    recipient: str
    channel: str
    template: str
    status: str
    attempts: int
    sent_at: dt.datetime | None
    emergency: bool
    asks_action: bool
    last_error: str


@router.get("/messages", response={200: list[MessageOut], **ERRORS})
def list_messages(request: HttpRequest, status: str = "", offset: Offset = 0, limit: Limit = 100) -> list[dict]:
    """Messages sent in the caller's area (district administrators, street cadres, auditors); the
    recipient's address masked."""
    from .views import mask_address

    permissions.require(request.user, perms.VIEW_MESSAGES)
    qs = permissions.scope(request.user, Message.objects.all(), perms.VIEW_MESSAGES).order_by("-id")
    if status:
        qs = qs.filter(status=status)
    limit = min(limit, 500)
    return [
        {
            "id": m.pk,
            "created_at": m.created_at,
            "recipient": mask_address(m, False),
            "channel": m.channel,
            "template": m.template,
            "status": m.status,
            "attempts": m.attempts,
            "sent_at": m.sent_at,
            "emergency": m.emergency,
            "asks_action": m.asks_action,
            "last_error": m.last_error,
        }
        for m in qs[offset : offset + limit]
    ]
