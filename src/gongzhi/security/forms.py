"""The log-in form: password first (through django-axes), then, for an account that has bound an
authenticator app, its 6-digit code (django-otp TOTP)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_totp.models import TOTPDevice


class LoginForm(OTPAuthenticationFormMixin, AuthenticationForm):
    otp_token = forms.CharField(
        required=False,
        max_length=8,
        label=_("动态验证码"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self):
        super().clean()  # user name and password; raises on a wrong pair or a locked account
        user = self.get_user()
        device = None if user is None else TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
        if device is not None:
            self.cleaned_data["otp_device"] = device.persistent_id  # one app per account: no choice to make
            self.clean_otp(user)  # sets user.otp_device; the session is then verified at log-in
        return self.cleaned_data


class TokenForm(forms.Form):
    token = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label=_("动态验证码"),
        error_messages={"invalid": _("请输入验证器应用显示的6位数字")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
