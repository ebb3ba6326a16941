"""The log-in page: Django's, with the second factor for accounts that bound one (``forms.LoginForm``),
behind a per-address limit on failed log-ins.

django-axes locks an account after repeated failures (settings ``AXES_*``); this limit stops one
address from trying many accounts a few times each (password spraying), which a per-account
count never sees. Only failures count, so an office whose staff all sign in from one address is
not held up by its successful log-ins.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.utils.translation import gettext as _

from .forms import LoginForm
from .ratelimit import reached


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm

    def post(self, request, *args, **kwargs):
        if reached(request, "login-failures", settings.GONGZHI_LOGIN_RATE):
            return render(
                request,
                self.template_name,
                {
                    "lockout": _("此地址的登录尝试过于频繁，请稍后再试。"),
                    "username": request.POST.get("username", ""),
                    "next": request.POST.get("next", ""),
                },
                status=429,
            )
        return super().post(request, *args, **kwargs)
