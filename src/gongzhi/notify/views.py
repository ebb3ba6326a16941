"""Pages: my notification preferences (/account/notifications/), the messages sent (/notify/messages/,
staff, recipients masked) and the rating link (/notify/rate/<token>/, no log-in). Thin: services decide."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from gongzhi.core.errors import DomainError
from gongzhi.core.formerrors import mark
from gongzhi.org import permissions

from . import perms, services
from .contracts import NotifyError
from .forms import PreferenceForm, RateForm
from .models import Message, Preference


def _me(request: HttpRequest) -> Any:
    """The logged-in user (login_required / the API's auth have checked it)."""
    return request.user


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    pref = Preference.objects.filter(user=_me(request)).first()
    initial = {
        "channels": pref.channels if pref else [],
        "quiet_start": pref.quiet_start if pref else None,
        "quiet_end": pref.quiet_end if pref else None,
        "digest": pref.digest if pref else False,
        "opted_out": pref.opted_out if pref else False,
        "language": pref.language if pref else "zh-hans",
        "wechat_openid": pref.wechat_openid if pref else "",
    }
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.set_preference(
                    request.user,
                    request.user,
                    channels=d["channels"],
                    quiet_start=d["quiet_start"],
                    quiet_end=d["quiet_end"],
                    digest=d["digest"],
                    opted_out=d["opted_out"],
                    language=d["language"],
                    wechat_openid=d["wechat_openid"],
                )
                return redirect("notify:preferences")
            except DomainError as e:
                mark(form, e)
        status = 400
    else:
        form = PreferenceForm(initial=initial)
        status = 200
    mine = Message.objects.filter(user=_me(request)).order_by("-id")[:20]
    return render(
        request,
        "notify/preferences.html",
        {"form": form, "messages_mine": mine, "quiet_default": services.quiet_hours(None)},
        status=status,
    )


def mask_address(m: Message, sees: bool) -> str:
    if sees:
        return m.address
    if m.channel == "sms":
        return permissions.mask_phone(m.address)
    if m.channel == "email" and "@" in m.address:
        name, domain = m.address.split("@", 1)
        return (name[:1] + "***@" + domain) if name else "***@" + domain
    return m.address[:3] + "***" if m.address else ""


@login_required
@require_GET
def messages_page(request: HttpRequest) -> HttpResponse:
    permissions.require(request.user, perms.VIEW_MESSAGES)
    qs = permissions.scope(request.user, Message.objects.all(), perms.VIEW_MESSAGES).order_by("-id")
    status = request.GET.get("status", "")
    if status in Message.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [{"m": m, "to": mask_address(m, False)} for m in page]
    return render(
        request,
        "notify/messages.html",
        {"page": page, "rows": rows, "statuses": Message.Status.choices, "status": status},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """The rating link: no log-in; once; until it expires. The rating is the reporter's."""
    try:
        link = services.link_for_token(token)
    except DomainError as e:
        gone = e.code in (NotifyError.LINK_USED, NotifyError.LINK_EXPIRED)
        return render(request, "notify/rate_gone.html", {"message": str(e)}, status=410 if gone else 404)
    req = link.request
    if request.method == "POST":
        form = RateForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.rate_by_link(request.user, token, rating=d["rating"], fixed=d["fixed"], comment=d["comment"])
                return render(request, "notify/rate_done.html", {"req": req, "fixed": d["fixed"]})
            except DomainError as e:
                mark(form, e)
        status = 400
    else:
        form = RateForm()
        status = 200
    return render(request, "notify/rate.html", {"form": form, "req": req, "title": _("评价办理结果")}, status=status)
