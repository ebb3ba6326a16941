"""Agenda pages: the proposals found in the requests (scoped list, filter by status/kind/period), one
proposal with its evidence (terms, places, requests, related alerts) and the decision (accept with an
optional title, dismiss with a reason), and the scan of the user's region for a period."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _t
from django.views.decorators.http import require_POST

from gongzhi.core.errors import DomainError
from gongzhi.org import permissions as perm

from . import agenda_services as S
from . import services as alert_services
from .models import AgendaProposal


@login_required
def index(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "proposed")
    kind = request.GET.get("kind", "")
    period = request.GET.get("period", "")
    try:
        qs = S.filter_proposals(S.visible(request.user), status=status, kind=kind, period=period)
    except DomainError as e:
        messages.error(request, e.message)
        qs = S.visible(request.user).none()
    page = Paginator(qs.order_by("-period", "-request_count", "-id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "alerts/agenda_index.html",
        {
            "page": page,
            "status": status,
            "kind": kind,
            "period": period,
            "kinds": AgendaProposal.Kind.choices,
            "statuses": [*AgendaProposal.Status.choices, ("", _t("全部"))],
            "can_scan": alert_services.can_scan(request.user, perm.home_region(request.user)),
            "this_period": S.current_period(),
        },
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        p = S.get_proposal(request.user, pk)
    except DomainError:
        raise Http404(_t("议题建议不存在或不在您的管辖范围内")) from None
    return render(
        request,
        "alerts/agenda_detail.html",
        {
            "p": p,
            "reason": S.reason_text(p),
            "reqs": p.requests.select_related("category", "grid").order_by("created_at"),
            "alerts": p.alerts.order_by("-created_at"),
            "can_decide": S.can_decide(request.user, p),
            "default_title": S.default_title(p),
        },
    )


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        p = S.get_proposal(request.user, pk)
    except DomainError:
        raise Http404(_t("议题建议不存在或不在您的管辖范围内")) from None
    action = request.POST.get("action")
    version = request.POST.get("version") or None
    try:
        if action == "accept":
            S.accept(
                request.user, p, title=request.POST.get("title", ""), note=request.POST.get("note", ""), version=version
            )
            messages.success(request, _t("已采纳该建议"))
        elif action == "dismiss":
            S.dismiss(request.user, p, reason=request.POST.get("reason", ""), version=version)
            messages.success(request, _t("已记录不采纳的决定"))
        else:
            messages.error(request, _t("未知的操作"))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("alerts:agenda_detail", pk=p.pk)


@login_required
@require_POST
def scan(request: HttpRequest) -> HttpResponse:
    region = perm.home_region(request.user)
    try:
        result = S.scan(request.user, region, request.POST.get("period") or None)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(
            request,
            _t("扫描完成：发现%(matters)d个反复出现的事项，新增%(new)d条建议，更新%(old)d条")
            % {"matters": result.matters, "new": len(result.proposed), "old": len(result.refreshed)},
        )
    return redirect("alerts:agenda")
