"""Second factor (TOTP, django-otp) for staff: binding an authenticator app, and the optional rule that
staff must use it (``GONGZHI_STAFF_OTP_REQUIRED``)."""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from .forms import TokenForm


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=4, dark="#111", light="#fff")


@login_required
def two_factor(request):
    """Bind an authenticator app (scan, then confirm with a code), or unbind it with a current code."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    pending = None
    form = TokenForm(request.POST if request.method == "POST" else None)  # an empty POST is bound too
    status = 200
    if device is None:
        pending = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
        if pending is None:
            pending = TOTPDevice.objects.create(user=request.user, name=_("验证器应用"), confirmed=False)
        if request.method == "POST":
            if form.is_valid() and pending.verify_token(form.cleaned_data["token"].strip()):
                pending.confirmed = True
                pending.save(update_fields=["confirmed"])
                otp_login(request, pending)
                messages.success(request, _("已启用动态验证码：以后登录时须填写验证器应用显示的6位数字。"))
                return redirect(request.GET.get("next") or reverse("two_factor"))
            form.add_error("token", _("验证码不正确或已过期，请重新输入"))
            status = 400
    elif not request.user.is_verified():
        # Signed in by password only (e.g. the back office's log-in): this session proves the code once.
        if request.method == "POST":
            if form.is_valid() and device.verify_token(form.cleaned_data["token"].strip()):
                otp_login(request, device)
                return redirect(request.GET.get("next") or reverse("home"))
            form.add_error("token", _("验证码不正确或已过期，请重新输入"))
            status = 400
    elif request.method == "POST":
        if form.is_valid() and device.verify_token(form.cleaned_data["token"].strip()):
            if settings.GONGZHI_STAFF_OTP_REQUIRED and request.user.is_staff:
                form.add_error(None, _("本平台要求工作人员使用动态验证码，不能停用；更换手机请联系管理员"))
                status = 400
            else:
                TOTPDevice.objects.filter(user=request.user).delete()
                messages.success(request, _("已停用动态验证码"))
                return redirect("two_factor")
        else:
            form.add_error("token", _("验证码不正确或已过期，请重新输入"))
            status = 400
    ctx = {
        "device": device,
        "form": form,
        "verified": request.user.is_verified(),
        "required": settings.GONGZHI_STAFF_OTP_REQUIRED and request.user.is_staff,
    }
    if pending is not None:
        ctx.update(qr=_qr_svg(pending.config_url), secret=_base32(pending.bin_key), pending=pending)
    return render(request, "security/two_factor.html", ctx, status=status)


def _base32(key: bytes) -> str:
    import base64

    b32 = base64.b32encode(key).decode().rstrip("=")
    return " ".join(b32[i : i + 4] for i in range(0, len(b32), 4))


class StaffOTPMiddleware:
    """A signed-in user whose session has not passed the second factor is sent to the code page when
    the account has bound an authenticator app (a password-only log-in elsewhere, e.g. the back
    office's, goes no further), and, with ``GONGZHI_STAFF_OTP_REQUIRED``, when a staff member has not
    bound one yet (every other page waits until then)."""

    ALLOWED = ("two_factor", "logout", "login")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not self._allowed(request)
            and ((settings.GONGZHI_STAFF_OTP_REQUIRED and user.is_staff) or user_has_device(user))
        ):
            return redirect(reverse("two_factor") + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)

    def _allowed(self, request) -> bool:
        path = request.path_info
        if path.startswith(settings.STATIC_URL) or path.startswith("/i18n/"):
            return True
        return any(path == reverse(name) for name in self.ALLOWED)
