"""Volunteer pages: the list with claims to confirm, a profile with certificates and points, the catalogue."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from gongzhi.core.errors import DomainError
from gongzhi.core.formerrors import mark as mark_error
from gongzhi.org.models import Unit
from gongzhi.org.pickers import PickerField

from . import services as V
from .models import CatalogueItem, ServiceRecord, TaskType, Volunteer


class ClaimForm(forms.Form):
    task_type = forms.ModelChoiceField(label=_("服务类型"), queryset=TaskType.objects.all(), to_field_name="code")
    task_ref = forms.CharField(label=_("活动编号"), max_length=60)
    title = forms.CharField(label=_("服务内容"), max_length=120)
    organiser = PickerField("unit", purpose="responsible", label=_("组织单位"))
    date = forms.DateField(label=_("服务日期"), widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.DecimalField(label=_("时长(小时)"), max_digits=5, decimal_places=2)


class RedeemForm(forms.Form):
    volunteer = forms.IntegerField(label=_("志愿者编号"), required=False)
    quantity = forms.IntegerField(label=_("数量"), min_value=1, initial=1)


def _self_volunteer(user):
    return Volunteer.objects.filter(person__user_id=user.pk).select_related("person", "bank").first()


@login_required
def index(request):
    vols = V.visible_volunteers(request.user).order_by("id")
    q = (request.GET.get("q") or "").strip()
    if q:
        vols = vols.filter(person__name__icontains=q)
    return render(
        request,
        "volunteers/index.html",
        {
            "volunteers": vols[:100],
            "total": vols.count(),
            "q": q,
            "me": _self_volunteer(request.user),
            "to_confirm": V.scope_records_to_confirm(request.user)[:100],
        },
    )


@login_required
def profile(request, pk):
    try:
        v = V.get_volunteer(request.user, pk)
    except DomainError:
        raise Http404(_t("志愿者不存在或不在您的管辖范围内")) from None
    form = ClaimForm(request.POST or None, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        organiser = Unit.objects.filter(code=d["organiser"]).first()
        if organiser is None:
            form.add_error("organiser", _t("没有编码为%(code)s的单位") % {"code": d["organiser"]})
        else:
            try:
                V.claim_service(
                    request.user,
                    v,
                    task_type=d["task_type"],
                    task_ref=d["task_ref"],
                    title=d["title"],
                    organiser=organiser,
                    date=d["date"],
                    hours=d["hours"],
                )
            except DomainError as e:
                mark_error(form, e)
            else:
                messages.success(request, _t("服务已申报，待组织单位确认"))
                return redirect("volunteers:profile", pk=v.pk)
    today = timezone.localdate()
    certs = [(c, c.valid_on(today)) for c in v.certificates.select_related("verified_by")]
    return render(
        request,
        "volunteers/profile.html",
        {
            "v": v,
            "certs": certs,
            "balances": V.balances(v),
            "movements": V.movements_of(v),
            "records": v.records.select_related("task_type", "organiser")[:50],
            "form": form,
            "permits": [(t, *V.may_take(v, t, today)) for t in TaskType.objects.all()],
            "redemptions": v.redemptions.select_related("item")[:20],
            "can_claim": V.is_self(request.user, v) or V.can(request.user, V.ACT_FOR, v),
        },
    )


@login_required
@require_POST
def confirm(request, pk):
    rec = get_object_or_404(ServiceRecord, pk=pk)
    try:
        V.confirm_service(
            request.user, rec, accept=request.POST.get("action") != "reject", reason=request.POST.get("reason", "")
        )
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _t("已处理"))
    return redirect(request.POST.get("next") or "volunteers:index")


@login_required
def catalogue(request):
    me = _self_volunteer(request.user)
    items = CatalogueItem.objects.filter(active=True).select_related("bank")
    form = RedeemForm(request.POST or None)
    if request.method == "POST":
        item = get_object_or_404(CatalogueItem, pk=request.POST.get("item"))
        if form.is_valid():
            vid = form.cleaned_data["volunteer"]
            vol = me if not vid else V.visible_volunteers(request.user).filter(pk=vid).first()
            if vol is None:
                messages.error(request, _t("请填写志愿者编号"))
            else:
                try:
                    r = V.redeem(request.user, vol, item, quantity=form.cleaned_data["quantity"])
                except DomainError as e:
                    messages.error(request, e.message)
                else:
                    messages.success(
                        request, _t("兑换成功：%(item)s，扣除%(points)s积分") % {"item": item.name, "points": r.points}
                    )
                    return redirect("volunteers:catalogue")
        else:
            messages.error(request, _t("请检查数量"))
    return render(
        request,
        "volunteers/catalogue.html",
        {"items": items, "me": me, "form": form, "balances": V.balances(me) if me else []},
    )
