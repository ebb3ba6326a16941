"""Pool pages: the map (一图总览) with lists, a need's page with match suggestions, the owner's inbox."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from gongzhi.core.errors import DomainError
from gongzhi.core.formerrors import mark as _fail
from gongzhi.org.models import Unit
from gongzhi.org.pickers import PickerField

from . import services as S
from .models import Assignment, Kind, MatchRun, PoolResource, Priority, Source

STATES = [("open", _("待满足")), ("matched", _("已匹配")), ("closed", _("已闭环")), ("active", _("可用资源"))]


class NeedForm(forms.Form):
    title = forms.CharField(label=_("需求"), max_length=120)
    kind = forms.ChoiceField(label=_("类别"), choices=Kind.choices)
    quantity = forms.IntegerField(label=_("数量"), min_value=1)
    priority = forms.TypedChoiceField(label=_("优先级"), choices=Priority.choices, coerce=int, initial=Priority.BASIC)
    source = forms.ChoiceField(label=_("来源"), choices=Source.choices, initial=Source.DIRECT)
    lon = forms.FloatField(label=_("经度"))
    lat = forms.FloatField(label=_("纬度"))
    skills = forms.CharField(label=_("所需技能（逗号分隔）"), required=False)
    certificates = forms.CharField(label=_("所需资质（如 law:2）"), required=False)
    deadline = forms.DateTimeField(
        label=_("截止时间"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class ResourceForm(forms.Form):
    owner = PickerField("unit", label=_("所属单位"))
    name = forms.CharField(label=_("名称"), max_length=120)
    kind = forms.ChoiceField(label=_("类别"), choices=Kind.choices)
    quantity = forms.IntegerField(label=_("可用数量"), min_value=1)
    unit_label = forms.CharField(label=_("计量单位"), required=False, max_length=16)
    lon = forms.FloatField(label=_("经度"), required=False)
    lat = forms.FloatField(label=_("纬度"), required=False)
    skills = forms.CharField(label=_("技能（逗号分隔）"), required=False)
    certificates = forms.CharField(label=_("资质（如 law:2）"), required=False)
    share_with_paired = forms.BooleanField(label=_("与结对乡镇共享"), required=False)
    conditions = forms.CharField(label=_("使用条件"), required=False, max_length=300)


class DeliveryForm(forms.Form):
    received = forms.IntegerField(label=_("实收数量"), min_value=0)


@login_required
def index(request):
    """The one map: resources and needs on the grid map, filtered by kind, priority and state."""
    f_kind = request.GET.get("kind", "")
    f_prio = request.GET.get("priority", "")
    f_state = request.GET.get("state", "")
    needs = S.visible_needs(request.user)
    resources = S.visible_resources(request.user)
    if f_kind in Kind.values:
        needs, resources = needs.filter(kind=f_kind), resources.filter(kind=f_kind)
    if f_prio.isdigit():
        needs = needs.filter(priority=int(f_prio))
    if f_state == "open":
        needs = needs.filter(status="open")
    elif f_state == "closed":
        needs = needs.filter(status="closed")
    elif f_state == "matched":
        needs = needs.filter(status="open", assignments__status__in=Assignment.ACTIVE).distinct()
    figures = {
        "resources": S.visible_resources(request.user).filter(status="active").count(),
        "needs_open": S.visible_needs(request.user).filter(status="open").count(),
        "emergency_open": S.visible_needs(request.user).filter(status="open", priority=0).count(),
        "closed": S.visible_needs(request.user).filter(status="closed").count(),
        "proposed": S.inbox(request.user).filter(status="proposed").count(),
    }
    return render(
        request,
        "resources/index.html",
        {
            "needs": needs.order_by("status", "priority", "-id")[:50],
            "resources": resources.order_by("-id")[:50],
            "kinds": Kind.choices,
            "priorities": Priority.choices,
            "states": STATES,
            "f": {"kind": f_kind, "priority": f_prio, "state": f_state},
            "figures": figures,
            "runs": MatchRun.objects.all()[:5],
            "can_match": S.can(request.user, S.MATCH),
            "can_raise": S.can(request.user, S.RAISE),
        },
    )


@login_required
def need_new(request):
    form = NeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            n = S.raise_need(
                request.user,
                title=d["title"],
                kind=d["kind"],
                quantity=d["quantity"],
                priority=d["priority"],
                source=d["source"],
                lon=d["lon"],
                lat=d["lat"],
                skills=d["skills"],
                certificates=d["certificates"],
                deadline=d["deadline"],
            )
        except DomainError as e:
            _fail(form, e)
        else:
            return redirect("resources:need", pk=n.pk)
    return render(request, "resources/form.html", {"form": form, "title": _t("登记需求")})


@login_required
def resource_new(request):
    form = ResourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        owner = Unit.objects.filter(code=d["owner"]).first()
        if owner is None:
            form.add_error("owner", _t("没有编码为%(code)s的单位") % {"code": d["owner"]})
        else:
            try:
                r = S.offer_resource(
                    request.user,
                    owner=owner,
                    name=d["name"],
                    kind=d["kind"],
                    quantity=d["quantity"],
                    unit_label=d["unit_label"],
                    lon=d["lon"],
                    lat=d["lat"],
                    skills=d["skills"],
                    certificates=d["certificates"],
                    share_with_paired=d["share_with_paired"],
                    conditions=d["conditions"],
                )
            except DomainError as e:
                _fail(form, e)
            else:
                messages.success(request, _t("资源“%(name)s”已加入公共池") % {"name": r.name})
                return redirect("resources:index")
    return render(request, "resources/form.html", {"form": form, "title": _t("提供资源")})


@login_required
def need_detail(request, pk):
    try:
        need = S.get_need(request.user, pk)
    except DomainError:
        raise Http404(_t("需求不存在或不在您的管辖范围内")) from None
    rows = need.assignments.select_related("resource__owner").order_by("-id")
    return render(
        request,
        "resources/need.html",
        {
            "need": need,
            "progress": S.need_progress(need),
            "rows": rows,
            "suggestions": S.suggestions(need) if need.status == "open" else [],
            "can_match": S.can(request.user, S.MATCH, need.region),
            "can_receive": S.can(request.user, S.RECEIVE, need.region),
            "delivery_form": DeliveryForm(),
        },
    )


@login_required
@require_POST
def run(request):
    from gongzhi.core.models import Region

    code = request.POST.get("region", "")
    region = Region.objects.filter(code=code).first() if code else None
    try:
        r = S.run_matching(request.user, region=region, method=request.POST.get("method", "flow"))
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(
            request,
            _t("匹配完成：满足%(served)s/%(demand)s，总成本%(cost)s，用时%(sec).3f秒")
            % {"served": r.served, "demand": r.demand, "cost": r.total_cost, "sec": r.seconds},
        )
    return redirect(request.POST.get("next") or "resources:index")


@login_required
def inbox(request):
    rows = S.inbox(request.user).order_by("status", "need__priority", "-id")[:200]
    return render(request, "resources/inbox.html", {"rows": rows})


@login_required
@require_POST
def act(request, pk):
    """Owner's answer (accept / decline / dispatch / withdraw) or the recipient's delivery confirmation."""
    a = get_object_or_404(Assignment.objects.select_related("need", "resource"), pk=pk)
    what = request.POST.get("action")
    try:
        if what == "accept":
            S.respond(request.user, a, accept=True)
        elif what == "decline":
            S.respond(request.user, a, accept=False, reason=request.POST.get("reason", ""))
        elif what == "dispatch":
            S.dispatch(request.user, a)
        elif what == "deliver":
            form = DeliveryForm(request.POST)
            if not form.is_valid():
                raise DomainError(_t("请填写实收数量（≥0的整数）"), field="received")
            S.confirm_delivery(request.user, a, received=form.cleaned_data["received"])
        else:
            raise DomainError(_t("未知操作"))
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _t("已处理"))
    return redirect(request.POST.get("next") or "resources:inbox")


@login_required
@require_POST
def withdraw(request, pk):
    r = get_object_or_404(PoolResource, pk=pk)
    try:
        S.withdraw_resource(request.user, r, reason=request.POST.get("reason", ""))
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _t("资源已撤回，相关需求已重新匹配"))
    return redirect(request.POST.get("next") or "resources:index")
