"""Alert pages: the scoped list (filter by kind/status), a detail page that explains the alert
(chart of the series and its baseline band, the requests behind it) and its status actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _t
from django.views.decorators.http import require_POST

from gongzhi.core.errors import DomainError
from gongzhi.org import permissions as perm

from . import services as S
from .models import Kind, Status


@login_required
def index(request):
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "active")
    try:
        qs = S.filter_alerts(S.visible(request.user), kind=kind, status=status)
    except DomainError as e:
        messages.error(request, e.message)
        qs = S.visible(request.user).none()
    qs = qs.order_by("-created_at", "-severity", "-id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "alerts/index.html",
        {
            "page": page,
            "kind": kind,
            "status": status,
            "kinds": Kind.choices,
            "statuses": [("active", _t("待处理和已确认")), *Status.choices, ("", _t("全部"))],
            "can_scan": S.can_scan(request.user, perm.home_region(request.user)),
        },
    )


@login_required
def detail(request, pk):
    try:
        alert = S.get_alert(request.user, pk)
    except DomainError:
        raise Http404(_t("预警不存在或不在您的管辖范围内")) from None
    reqs = alert.requests.select_related("category", "grid", "handling_unit").order_by("created_at")
    return render(
        request,
        "alerts/detail.html",
        {
            "alert": alert,
            "reqs": reqs,
            "can_handle": alert.is_active and S.can_handle(request.user, alert),
            "chart": alert.series if alert.kind == Kind.ARRIVALS else None,
        },
    )


@login_required
@require_POST
def act(request, pk):
    try:
        alert = S.get_alert(request.user, pk)
    except DomainError:
        raise Http404(_t("预警不存在或不在您的管辖范围内")) from None
    action = request.POST.get("action")
    reason = request.POST.get("reason", "")
    version = request.POST.get("version") or None
    fn = {
        "acknowledge": lambda: S.acknowledge(request.user, alert, version=version, note=reason),
        "dismiss": lambda: S.dismiss(request.user, alert, reason=reason, version=version),
        "resolve": lambda: S.resolve(request.user, alert, version=version, note=reason),
    }.get(action)
    if fn is None:
        messages.error(request, _t("未知的操作"))
        return redirect(alert)
    try:
        fn()
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _t("预警状态已更新"))
    return redirect(alert)


@login_required
@require_POST
def scan(request):
    region = perm.home_region(request.user)
    try:
        result = S.scan(request.user, region)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(
            request,
            _t("扫描完成：新增%(raised)d条预警，更新%(updated)d条")
            % {"raised": len(result.raised), "updated": len(result.updated)},
        )
    return redirect("alerts:index")
