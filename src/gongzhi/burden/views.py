"""Burden pages: the meter (mine, a unit's, a street's), demands from above, the penetrating audit,
reports defined as data (generate, download)."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from gongzhi.core.errors import DomainError
from gongzhi.core.formerrors import mark as mark_error
from gongzhi.core.models import Region
from gongzhi.org import permissions as perm
from gongzhi.org.models import Grid, Unit
from gongzhi.org.pickers import PickerField

from . import audit, export, meter, perms, services
from .models import (
    AuditFlag,
    BurdenReductionOrder,
    Demand,
    DemandItem,
    DemandKind,
    Origin,
    Recurrence,
    ReportDefinition,
)

CODE_SPLIT = re.compile(r"[\s,，、;；]+")
# ISO dates whatever the language: an <input type="date"> only takes YYYY-MM-DD (zh-hans renders YYYY/MM/DD)
DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _chart(rows, label_fmt) -> list[dict]:
    return [
        {"label": label_fmt(r["start"]), "higher": r["higher"], "platform": r["platform"], "minutes": r["minutes"]}
        for r in rows
    ]


def _my_units(user) -> list[Unit]:
    return [r.unit for r in perm._roles(user)]


def _region(code: str | None, user) -> Region | None:
    if code:
        r = Region.objects.filter(code=code.strip()).first()
        if r is None:
            raise Http404(_t("没有该区域"))
        return r
    return perm.home_region(user)


@login_required
def index(request):
    user = request.user
    me = services.person_of(user)
    ctx: dict = {"me": me, "can_view": perms.allowed(user, perms.VIEW)}
    if me is not None:
        weeks = meter.worker_weeks(me)
        ctx["my_weeks"] = _chart(weeks, lambda d: d.strftime("%m-%d"))
        ctx["my_this_week"] = weeks[-1]["minutes"]
        ctx["my_avg"] = round(sum(w["minutes"] for w in weeks) / len(weeks))
        ctx["my_open"] = (
            DemandItem.objects.filter(
                worker=me, completed_at__isnull=True, on__lte=timezone.localdate() + dt.timedelta(days=14)
            )
            .select_related("demand", "demand__issuer")
            .order_by("on")[:30]
        )
    unit_code = (request.GET.get("unit") or "").strip()
    if unit_code:
        unit = Unit.objects.filter(code=unit_code).select_related("region").first()
        if unit is None or not (unit in _my_units(user) or perms.allowed(user, perms.VIEW, unit)):
            raise Http404(_t("单位不存在或不在您的管辖范围内"))
        months = meter.unit_months(unit)
        ctx["unit"] = unit
        ctx["unit_months"] = _chart(months, lambda d: d.strftime("%Y-%m"))
        ctx["unit_this_month"] = months[-1]["minutes"]
    if ctx["can_view"]:
        region = _region(request.GET.get("street"), user)
        if region is not None and not perms.allowed(user, perms.VIEW, region):
            raise Http404(_t("该区域不在您的管辖范围内"))
        month = (request.GET.get("month") or f"{timezone.localdate():%Y-%m}").strip()
        try:
            start, end = meter.parse_period(month)
        except ValueError:
            messages.error(request, _t("月份格式应为YYYY-MM"))
            start, end = meter.parse_period(f"{timezone.localdate():%Y-%m}")
            month = f"{start:%Y-%m}"
        if region is not None:
            ctx["street"] = meter.street_view(region, start, end)
            ctx["region_months"] = _chart(meter.region_months(region), lambda d: d.strftime("%Y-%m"))
            ctx["children"] = Region.objects.filter(parent=region).order_by("code")
        ctx["month"] = month
    return render(request, "burden/index.html", ctx)


@login_required
@require_POST
def complete(request, pk):
    item = get_object_or_404(DemandItem, pk=pk)
    try:
        services.complete_item(request.user, item)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _t("已办结"))
    return redirect(request.POST.get("next") or "burden:index")


class DemandForm(forms.Form):
    issuer = PickerField("unit", purpose="issuer", label=_("下达单位"))
    title = forms.CharField(label=_("事项"), max_length=160)
    kind = forms.ChoiceField(label=_("类型"), choices=DemandKind.choices)
    minutes = forms.IntegerField(label=_("每次估计分钟"), required=False)
    recurrence = forms.ChoiceField(label=_("频次"), choices=Recurrence.choices)
    issued_on = forms.DateField(label=_("下达日期"), widget=DATE)
    due_on = forms.DateField(label=_("首次截止日期"), required=False, widget=DATE)
    until = forms.DateField(label=_("周期截止"), required=False, widget=DATE)
    units = PickerField("unit", multiple=True, label=_("下达对象"), required=False)
    all_committees = forms.BooleanField(label=_("下达到我辖区内全部社区(村)居(村)委会"), required=False)
    definition = forms.ModelChoiceField(
        label=_("关联报表定义（报表类）"),
        required=False,
        queryset=ReportDefinition.objects.filter(kind="report"),
        to_field_name="code",
    )
    period = forms.CharField(label=_("报表期(YYYY-MM)"), max_length=7, required=False)
    has_targets = forms.BooleanField(label=_("载有目标/指标（责任状/承诺书）"), required=False)
    has_penalties = forms.BooleanField(label=_("载有问责/扣分条款（责任状/承诺书）"), required=False)
    asks_materials = forms.BooleanField(label=_("要求提供材料/数据（调研）"), required=False)
    scores = forms.BooleanField(label=_("打分/排名（调研）"), required=False)
    grid = PickerField("grid", label=_("调研网格（调研）"), required=False)


def visible_demands(user):
    qs = Demand.objects.filter(origin=Origin.HIGHER).select_related("issuer", "region", "definition")
    return perm.scope(user, qs, perms.VIEW, ("region", "items__region"))


def _committees(user) -> list[Unit]:
    from gongzhi.org import responsibility

    paths = perm.scope_paths(user, perms.ISSUE)
    qs = Region.objects.filter(level=Region.Level.COMMUNITY)
    if paths is not None:
        cond = Q(pk__in=[])
        for p in paths:
            cond |= Q(path__startswith=p)
        qs = qs.filter(cond)
    return [u for u in (responsibility.handling_unit(r) for r in qs.order_by("code")) if u is not None]


@login_required
def demands(request):
    user = request.user
    can_issue = perms.allowed(user, perms.ISSUE)
    mine = _my_units(user)
    form = DemandForm(
        request.POST or None, initial={"issued_on": timezone.localdate(), "issuer": mine[0].code if mine else ""}
    )
    if request.method == "POST":
        if not can_issue:
            messages.error(request, _t("无权下达工作要求"))
        elif form.is_valid():
            d = form.cleaned_data
            issuer = Unit.objects.filter(code=d["issuer"].strip()).first()
            codes = [c for c in CODE_SPLIT.split(d["units"] or "") if c]
            units = list(Unit.objects.filter(code__in=codes))
            missing = sorted(set(codes) - {u.code for u in units})
            if d["all_committees"]:
                units += _committees(user)
            if issuer is None:
                form.add_error("issuer", _t("没有编码为%(code)s的单位") % {"code": d["issuer"]})
            elif missing:
                form.add_error("units", _t("没有这些编码的单位：%(codes)s") % {"codes": "、".join(missing)})
            else:
                try:
                    demand = services.issue_demand(
                        user,
                        issuer=issuer,
                        title=d["title"],
                        kind=d["kind"],
                        minutes=d["minutes"],
                        recurrence=d["recurrence"],
                        issued_on=d["issued_on"],
                        due_on=d["due_on"],
                        until=d["until"],
                        units=units,
                        definition=d["definition"],
                        period=d["period"] or "",
                        has_targets=d["has_targets"],
                        has_penalties=d["has_penalties"],
                        asks_materials=d["asks_materials"],
                        scores=d["scores"],
                        grid=Grid.objects.filter(code=d["grid"]).first() if d["grid"] else None,
                    )
                except DomainError as e:
                    field = {"targets": "units"}.get(e.field, e.field)
                    form.add_error(field if field in form.fields else None, e.message)
                else:
                    messages.success(
                        request,
                        _t("已记录：%(title)s，每次%(minutes)s分钟")
                        % {"title": demand.title, "minutes": demand.minutes},
                    )
                    return redirect("burden:demand", pk=demand.pk)
    qs = visible_demands(user).order_by("-issued_on", "-id")
    return render(request, "burden/demands.html", {"demands": qs[:200], "form": form, "can_issue": can_issue})


@login_required
def demand(request, pk):
    d = visible_demands(request.user).filter(pk=pk).first()
    if d is None:
        raise Http404(_t("工作要求不存在或不在您的管辖范围内"))
    items = d.items.select_related("unit", "worker").order_by("on", "unit__code")
    fields = list(d.definition.fields.all()) if d.definition_id else []
    prefilled = [
        (code, [(f, vals.get(f.code)) for f in fields if not f.is_manual]) for code, vals in sorted(d.prefilled.items())
    ]
    return render(
        request,
        "burden/demand.html",
        {
            "d": d,
            "items": items[:300],
            "item_count": items.count(),
            "flags": d.flags.select_related("order"),
            "fields": fields,
            "prefilled": prefilled,
        },
    )


class OrderForm(forms.Form):
    issuer = PickerField("unit", purpose="issuer", label=_("发文单位"))
    title = forms.CharField(label=_("文件名称"), max_length=160)
    region = PickerField("region", label=_("适用范围"))
    effective_on = forms.DateField(label=_("生效日期"), widget=DATE)
    target_cut_pct = forms.IntegerField(label=_("报表压减目标(%)"), min_value=0, max_value=100, initial=30)
    text = forms.CharField(label=_("要求"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


def visible_flags(user):
    qs = AuditFlag.objects.select_related("demand", "demand__issuer", "order", "region")
    return perm.scope(user, qs, perms.AUDIT, ("region", "demand__items__region"))


def visible_orders(user):
    qs = BurdenReductionOrder.objects.select_related("issuer", "region")
    paths = perm.scope_paths(user, perms.AUDIT)
    if paths is None:
        return qs
    if not paths:
        return qs.none()
    cond = Q()
    for p in paths:  # orders over my area (from above) or inside it
        cond |= Q(region__path__startswith=p)
        for anc in Region.objects.filter(code__in=[c for c in p.strip("/").split("/") if c]):
            cond |= Q(region=anc)
    return qs.filter(cond).distinct()


@login_required
def audit_page(request):
    user = request.user
    if not perms.allowed(user, perms.AUDIT):
        raise Http404(_t("无权查看穿透式审计"))
    form = OrderForm(request.POST or None, initial={"effective_on": timezone.localdate()})
    can_order = perms.allowed(user, perms.ORDER)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        issuer = Unit.objects.filter(code=d["issuer"].strip()).first()
        region = Region.objects.filter(code=d["region"].strip()).first()
        if issuer is None:
            form.add_error("issuer", _t("没有编码为%(code)s的单位") % {"code": d["issuer"]})
        elif region is None:
            form.add_error("region", _t("没有代码为%(code)s的区域") % {"code": d["region"]})
        else:
            try:
                order = services.issue_order(
                    user,
                    issuer=issuer,
                    title=d["title"],
                    region=region,
                    effective_on=d["effective_on"],
                    target_cut_pct=d["target_cut_pct"],
                    text=d["text"],
                )
            except DomainError as e:
                mark_error(form, e)
            else:
                messages.success(request, _t("减负令已发布"))
                return redirect(f"{request.path}?order={order.pk}")
    orders = list(visible_orders(user))
    chosen = None
    if request.GET.get("order"):
        chosen = next((o for o in orders if str(o.pk) == request.GET["order"]), None)
        if chosen is None:
            raise Http404(_t("减负令不存在或不在您的管辖范围内"))
    elif orders:
        chosen = orders[0]
    region = perm.home_region(user)
    if chosen is not None and region is not None and not chosen.region.path.startswith(region.path):
        view_region = region  # an order from above: audit my own area
    else:
        view_region = chosen.region if chosen is not None else region
    view = audit.yearly_view(view_region, chosen) if view_region is not None else None
    flags = visible_flags(user)
    kind = request.GET.get("kind") or ""
    if kind in AuditFlag.Kind.values:
        flags = flags.filter(kind=kind)
    return render(
        request,
        "burden/audit.html",
        {
            "orders": orders,
            "order": chosen,
            "view": view,
            "flags": flags[:200],
            "kind": kind,
            "form": form,
            "can_order": can_order,
            "chart": [
                {
                    "month": m["month"],
                    "reports": m["reports"],
                    "items": m["items"],
                    "minutes": m["minutes"],
                    "after": m["after"],
                }
                for m in (view["months"] if view else [])
            ],
        },
    )


class DefinitionForm(forms.Form):
    code = forms.CharField(label=_("编码"), max_length=40)
    name = forms.CharField(label=_("名称"), max_length=120)
    kind = forms.ChoiceField(label=_("类型"), choices=ReportDefinition.Kind.choices)
    list_source = forms.CharField(label=_("清单查询（问题清单）"), max_length=60, required=False)
    fields_text = forms.CharField(
        label=_("字段（每行：编码|名称|数据来源|分钟）"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class GenerateForm(forms.Form):
    definition = forms.CharField(label=_("报表"), max_length=40)
    region = PickerField("region", label=_("区域"))
    period = forms.CharField(label=_("报表期(YYYY-MM)"), max_length=7)


def parse_fields(text: str) -> list[dict]:
    out = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        out.append(
            {
                "code": parts[0],
                "label": parts[1] if len(parts) > 1 else parts[0],
                "source": parts[2] if len(parts) > 2 and parts[2] else "manual",
                "minutes": parts[3] if len(parts) > 3 and parts[3] else 5,
            }
        )
    return out


@login_required
def reports(request):
    from . import sources

    user = request.user
    home = perm.home_region(user)
    last_month = meter.add_months(timezone.localdate().replace(day=1), -1)
    gen = GenerateForm(
        request.POST if request.POST.get("op") == "generate" else None,
        initial={"region": home.code if home else "", "period": f"{last_month:%Y-%m}", "definition": "885"},
    )
    define = DefinitionForm(request.POST if request.POST.get("op") == "define" else None)
    if request.method == "POST" and request.POST.get("op") == "generate" and gen.is_valid():
        d = gen.cleaned_data
        region = Region.objects.filter(code=d["region"].strip()).first()
        code = d["definition"].strip()
        defs = list(
            ReportDefinition.objects.filter(seeded=True)
            if code == "885"
            else ReportDefinition.objects.filter(code=code)
        )
        if region is None:
            gen.add_error("region", _t("没有代码为%(code)s的区域") % {"code": d["region"]})
        elif not defs:
            gen.add_error("definition", _t("没有编码为%(code)s的报表定义") % {"code": code})
        else:
            try:
                made = [services.generate_report(user, x, region, d["period"]) for x in defs]
            except DomainError as e:
                gen.add_error(e.field if e.field in gen.fields else None, e.message)
            else:
                messages.success(request, _t("已生成%(n)s张报表") % {"n": len(made)})
                if len(made) == 1:
                    return redirect("burden:report", pk=made[0].pk)
                return redirect(f"{request.path}?region={region.code}&period={d['period']}")
    if request.method == "POST" and request.POST.get("op") == "define" and define.is_valid():
        d = define.cleaned_data
        try:
            x = services.define_report(
                user,
                code=d["code"],
                name=d["name"],
                kind=d["kind"],
                list_source=d["list_source"],
                fields=parse_fields(d["fields_text"]),
            )
        except DomainError as e:
            field = {"fields": "fields_text"}.get(e.field, e.field)
            define.add_error(field if field in define.fields else None, e.message)
            if not perms.allowed(user, perms.DEFINE):
                messages.error(request, e.message)  # the form is not shown to those who may not define
        else:
            messages.success(request, _t("报表定义已保存：%(name)s") % {"name": x.name})
            return redirect("burden:reports")
    generated = services.visible_reports(user)
    f_region, f_period = request.GET.get("region"), request.GET.get("period")
    if f_region:
        generated = generated.filter(region__code=f_region)
    if f_period:
        generated = generated.filter(period=f_period)
    return render(
        request,
        "burden/reports.html",
        {
            "definitions": ReportDefinition.objects.prefetch_related("fields"),
            "generated": generated[:100],
            "gen": gen,
            "define": define,
            "can_generate": perms.allowed(user, perms.GENERATE),
            "can_define": perms.allowed(user, perms.DEFINE),
            "f_region": f_region or "",
            "f_period": f_period or "",
            "field_sources": sorted(sources.FIELD_SOURCES.values(), key=lambda s: s.key),
            "list_sources": sorted(sources.LIST_SOURCES.values(), key=lambda s: s.key),
        },
    )


@login_required
def report(request, pk):
    try:
        rep = services.get_report(request.user, pk)
    except DomainError:
        raise Http404(_t("报表不存在或不在您的管辖范围内")) from None
    return render(request, "burden/report.html", {"rep": rep, "units": export.UNITS})


def _download(reps, fmt: str, name: str) -> HttpResponse:
    if fmt == "xlsx":
        resp = HttpResponse(
            export.to_xlsx(reps), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    elif fmt == "pdf":
        resp = HttpResponse(export.to_pdf(reps), content_type="application/pdf")
    else:
        raise Http404("format")
    resp["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return resp


@login_required
def report_download(request, pk, fmt):
    try:
        rep = services.get_report(request.user, pk)
    except DomainError:
        raise Http404(_t("报表不存在或不在您的管辖范围内")) from None
    return _download([rep], fmt, f"report-{rep.definition.code}-{rep.region.code}-{rep.period}")


@login_required
def reports_download(request, fmt):
    """The latest generated report of each definition for a region and period, in one file."""
    region, period = request.GET.get("region", ""), request.GET.get("period", "")
    latest: dict = {}
    for rep in (
        services.visible_reports(request.user)
        .filter(region__code=region, period=period)
        .order_by("definition__kind", "definition__code", "-generated_at", "-id")
    ):
        latest.setdefault(rep.definition_id, rep)
    if not latest:
        raise Http404(_t("该区域和报表期还没有生成的报表"))
    return _download(list(latest.values()), fmt, f"reports-{region}-{period}")
