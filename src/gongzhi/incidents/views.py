"""Incident pages: the list, the declare form (grids picked on a map or typed), the desk, the
after-action report (page and PDF). Thin: parse, call a service, render."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Max, Min
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.formerrors import mark as _mark
from gongzhi.org import permissions as perm
from gongzhi.org.models import Grid, Unit
from gongzhi.org.pickers import PickerField
from gongzhi.resources.models import Kind as NeedKind

from . import perms, report
from . import services as S
from .models import Incident, IncidentNeed, Kind, Mobilisation, Severity


class DeclareForm(forms.Form):
    name = forms.CharField(label=_("事件名称"), max_length=120)
    kind = forms.ChoiceField(label=_("事件类型"), choices=Kind.choices)
    severity = forms.TypedChoiceField(label=_("响应级别"), choices=Severity.choices, coerce=int, initial=Severity.IV)
    grids = PickerField("grid", multiple=True, label=_("影响网格（也可在地图上点选）"), required=False)
    polygon = forms.CharField(
        label=_("划定范围（GeoJSON，可选）"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    desk_unit = PickerField(
        "unit", purpose="responsible", label=_("应急指挥席单位（留空为所在街道办事处）"), required=False
    )
    description = forms.CharField(label=_("情况说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_polygon(self) -> Any:
        """Parsed here, so that a bad GeoJSON is reported with every other field's error."""
        raw = (self.cleaned_data.get("polygon") or "").strip()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("划定范围不是有效的GeoJSON")) from None


class NeedForm(forms.Form):
    title = forms.CharField(label=_("需求"), max_length=120)
    kind = forms.ChoiceField(label=_("类别"), choices=NeedKind.choices)
    quantity = forms.IntegerField(label=_("数量"), min_value=1, initial=1)
    skills = forms.CharField(label=_("所需技能（逗号分隔）"), required=False)
    lon = forms.FloatField(label=_("经度（留空为影响范围内）"), required=False)
    lat = forms.FloatField(label=_("纬度"), required=False)


def _get(request: HttpRequest, pk: int) -> Incident:
    try:
        return S.get_incident(request.user, pk)
    except NotFound:
        raise Http404(_t("应急事件不存在或不在您的管辖范围内")) from None


@login_required
def index(request: HttpRequest) -> HttpResponse:
    incs = S.visible_incidents(request.user)
    status = request.GET.get("status") or ""
    if status in Incident.Status.values:
        incs = incs.filter(status=status)
    return render(
        request,
        "incidents/index.html",
        {
            "incidents": incs[:200],
            "status": status,
            "statuses": Incident.Status.choices,
            "can_declare": perms.can(request.user, perms.DECLARE),
        },
    )


def _split_codes(text: str) -> list[str]:
    return [c for c in text.replace("，", ",").replace("\n", ",").replace(" ", ",").split(",") if c.strip()]


@login_required
def declare(request: HttpRequest) -> HttpResponse:
    if not perms.can(request.user, perms.DECLARE):
        messages.error(request, _t("无权宣布应急：需要街道(乡镇)干部或区级管理员角色"))
        return redirect("incidents:index")
    form = DeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        polygon = d["polygon"]
        desk = Unit.objects.filter(code=d["desk_unit"]).first() if d["desk_unit"] else None
        if not form.errors:
            try:
                inc = S.declare(
                    request.user,
                    name=d["name"],
                    kind=d["kind"],
                    severity=d["severity"],
                    grids=_split_codes(d["grids"]),
                    polygon=polygon,
                    desk_unit=desk,
                    description=d["description"],
                )
            except DomainError as e:
                _mark(form, e)
            else:
                messages.success(request, _t("已宣布应急，该区域的诉求直派应急指挥席"))
                return redirect(inc)
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["aria-invalid"] = "true"
    scope = perm.scope(request.user, Grid.objects.all(), perms.DECLARE)
    a = scope.aggregate(w=Min("min_lon"), s=Min("min_lat"), e=Max("max_lon"), n=Max("max_lat"))
    b = (a["w"], a["s"], a["e"], a["n"]) if a["w"] is not None else None
    return render(request, "incidents/declare.html", {"form": form, "bounds": b})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    inc = _get(request, pk)
    reqs = S.desk_requests(inc).select_related("category", "grid", "handling_unit").order_by("-created_at")
    mobs = (
        Mobilisation.objects.filter(incident=inc)
        .select_related("person", "grid", "region", "need")
        .order_by("status", "kind", "id")
    )
    needs = []
    from gongzhi.resources.services import need_progress

    for link in IncidentNeed.objects.filter(incident=inc).select_related("need"):
        needs.append((link.need, need_progress(link.need)))
    can_personal = perm.allowed(request.user, perm.VIEW_PERSONAL, inc.region)
    return render(
        request,
        "incidents/detail.html",
        {
            "inc": inc,
            "requests": reqs[:200],
            "counts": S.request_counts(inc),
            "mobs": mobs,
            "needs": needs,
            "log": inc.log.select_related("actor").all(),
            "grids": inc.area.select_related("grid").order_by("grid__code"),
            "geometry": json.dumps(inc.geometry),
            "need_form": NeedForm(),
            "checked_in": sum(1 for m in mobs if m.checked_in_at),
            "can_declare": perms.can(request.user, perms.DECLARE, inc) and inc.is_active,
            "can_operate": perms.can(request.user, perms.OPERATE, inc) and inc.is_active,
            "can_check_in": perms.can(request.user, perms.CHECK_IN) and inc.is_active,
            "can_personal": can_personal,
        },
    )


@login_required
@require_POST
def stand_down(request: HttpRequest, pk: int) -> HttpResponse:
    inc = _get(request, pk)
    try:
        S.stand_down(
            request.user, inc, note=request.POST.get("note", ""), expected_version=request.POST.get("version") or None
        )
    except DomainError as e:
        messages.error(request, e.message)
        return redirect(inc)
    messages.success(request, _t("已终止应急响应，复盘报告已生成"))
    return redirect("incidents:report", pk=inc.pk)


@login_required
@require_POST
def mobilisation_action(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        m = S.get_mobilisation(request.user, pk)
    except NotFound:
        raise Http404 from None
    action = request.POST.get("action")
    try:
        if action == "check_in":
            S.check_in(request.user, m, expected_version=request.POST.get("version") or None)
            messages.success(request, _t("已登记报到"))
        elif action == "assign":
            need = None
            if request.POST.get("need"):
                link = IncidentNeed.objects.filter(incident=m.incident, need_id=int(request.POST["need"])).first()
                need = link.need if link else None
            S.assign(
                request.user,
                m,
                task=request.POST.get("task", ""),
                need=need,
                expected_version=request.POST.get("version") or None,
            )
            messages.success(request, _t("任务已分派"))
        else:
            messages.error(request, _t("未知操作"))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect(m.incident.get_absolute_url() + "#people")


@login_required
@require_POST
def raise_need(request: HttpRequest, pk: int) -> HttpResponse:
    inc = _get(request, pk)
    form = NeedForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            S.raise_need(
                request.user,
                inc,
                title=d["title"],
                kind=d["kind"],
                quantity=d["quantity"],
                skills=d["skills"],
                lon=d["lon"],
                lat=d["lat"],
            )
            messages.success(request, _t("需求已提交到公共资源池（应急优先）"))
        except DomainError as e:
            messages.error(request, e.message)
    else:
        messages.error(
            request, "；".join(f"{form.fields[k].label}：{v[0]}" for k, v in form.errors.items() if k in form.fields)
        )
    return redirect(inc.get_absolute_url() + "#needs")


@login_required
@require_POST
def note(request: HttpRequest, pk: int) -> HttpResponse:
    inc = _get(request, pk)
    try:
        if request.POST.get("action") == "counts":
            S.publish_counts(request.user, inc)
            messages.success(request, _t("受理统计已写入公开记录"))
        else:
            S.add_note(request.user, inc, text=request.POST.get("text", ""))
            messages.success(request, _t("已记录"))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect(inc.get_absolute_url() + "#log")


@login_required
def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    inc = _get(request, pk)
    return render(request, "incidents/report.html", {"r": report.build(inc), "inc": inc})


@login_required
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    inc = _get(request, pk)
    resp = HttpResponse(report.pdf(inc), content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="after-action-{inc.code}.pdf"'
    return resp
