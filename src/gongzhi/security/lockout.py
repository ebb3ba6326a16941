"""The page a locked-out log-in gets (django-axes ``AXES_LOCKOUT_CALLABLE``): the log-in form again,
status 429, saying why and for how long, without revealing whether the password was right."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_minutes() -> int:
    cool_off = settings.AXES_COOLOFF_TIME
    return int(cool_off.total_seconds() // 60) if cool_off else 0


def lockout_message() -> str:
    minutes = lockout_minutes()
    if minutes:
        return _("连续登录失败次数过多，该账号已被暂时锁定，请%(minutes)d分钟后再试，或联系管理员解锁。") % {
            "minutes": minutes
        }
    return _("连续登录失败次数过多，该账号已被锁定，请联系管理员解锁。")


def lockout_response(request, original_response=None, credentials=None):
    username = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD) or request.POST.get("username", "")
    return render(
        request,
        "web/login.html",
        {
            "lockout": lockout_message(),
            "username": username,
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
