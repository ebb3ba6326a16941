"""Assessment pages: results by street and community (scoped), the drill-down of one result to its
indicators, measures and records, and the indicator catalogue."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import DomainError
from gongzhi.core.formerrors import mark as _mark
from gongzhi.core.models import Region
from gongzhi.org import permissions as perm
from gongzhi.org.pickers import PickerField

from . import formula, records
from . import services as A
from .measures import MEASURES
from .models import Element, Indicator, Scheme
from .perms import MANAGE, RUN, VIEW

INDEX_LABELS = {"complexity": _("治理复杂度指数"), "accessibility": _("公共服务可达性指数")}
ELEMENT_LABELS = dict(Element.choices)


class RunForm(forms.Form):
    scheme = forms.ModelChoiceField(
        label=_("考核方案"), queryset=Scheme.objects.filter(active=True), to_field_name="code"
    )
    period = forms.CharField(label=_("考核期"), max_length=10, help_text=_("例如 2026、2026-H1、2026-Q3、2026-07"))
    region = PickerField("region", label=_("考核范围"), required=False)


class IndicatorForm(forms.Form):
    code = forms.CharField(label=_("指标代码"), max_length=40)
    name = forms.CharField(label=_("指标名称"), max_length=80)
    formula = forms.CharField(
        label=_("计算公式"),
        max_length=400,
        help_text=_("由下列字段、数字、+ - * / 和 min/max/abs 组成，结果应在0到1之间"),
    )
    element = forms.ChoiceField(label=_("融合要素"), choices=Element.choices, required=False)
    description = forms.CharField(label=_("说明"), max_length=300, required=False)


@login_required
def index(request):
    runs = list(A.visible_runs(request.user)[:30])
    run = None
    if request.GET.get("run"):
        rid = request.GET["run"]
        run = A.visible_runs(request.user).filter(pk=int(rid)).first() if rid.isdigit() else None
        if run is None:
            raise Http404(_t("考核批次不存在或不在您的管辖范围内"))
    elif runs:
        run = runs[0]
    can_run = perm.allowed(request.user, RUN)
    # bound on every POST: an empty one (``request.POST`` falsy) is a POST too, not an unbound form
    form = RunForm(
        request.POST if request.method == "POST" else None,
        initial={"period": f"{timezone.localdate().year}", "scheme": Scheme.objects.filter(active=True).first()},
    )
    status = 200
    if request.method == "POST":
        if not can_run:
            form.is_valid()
            form.add_error(None, _t("无权开展考核"))
            status = 403
        elif form.is_valid():
            d = form.cleaned_data
            region = None
            if d["region"]:
                region = Region.objects.filter(code=d["region"].strip()).first()
                if region is None:
                    form.add_error("region", _t("没有代码为%(code)s的区域") % {"code": d["region"]})
            if region is None and not perm.is_system(request.user):
                region = perm.home_region(request.user)  # a street cadre assesses their own street
            if not form.errors:
                try:
                    new = A.run_assessment(request.user, d["scheme"], d["period"], region)
                except DomainError as e:
                    _mark(form, e)
                else:
                    messages.success(request, _t("考核已完成"))
                    return redirect(f"{request.path}?run={new.pk}")
        if form.errors and status == 200:
            status = 400
    results = list(A.visible_results(request.user, run)) if run else []
    streets = sorted(
        [r for r in results if r.level == "street"],
        key=lambda r: (r.area_kind != "urban", r.rank or 10**6, r.region.code),
    )
    comms = sorted(
        [r for r in results if r.level == "community"],
        key=lambda r: (r.area_kind != "urban", r.rank or 10**6, r.region.code),
    )
    return render(
        request,
        "assessment/index.html",
        {
            "runs": runs,
            "run": run,
            "streets": streets,
            "communities": comms,
            "form": form,
            "can_run": can_run,
            "index_labels": INDEX_LABELS,
            "elements": ELEMENT_LABELS,
            "chart": [
                {"name": r.region.name, "score": None if r.score is None else round(r.score, 1)}
                for r in streets + comms
            ],
        },
        status=status,
    )


@login_required
def result(request, pk):
    try:
        res = A.get_result(request.user, pk)
    except DomainError:
        raise Http404(_t("考核结果不存在或不在您的管辖范围内")) from None
    m = res.measures

    def measure_rows(names):
        return [
            {"name": n, "label": MEASURES[n].label, "unit": MEASURES[n].unit, **m.get(n, {})}
            for n in names
            if n in MEASURES
        ]

    indicators = [{**i, "measure_rows": measure_rows(i["measures"])} for i in res.indicators]
    elements = []
    for code, e in (res.fusion.get("elements") or {}).items():
        elements.append(
            {
                "code": code,
                "label": ELEMENT_LABELS.get(code, code),
                "value": e["value"],
                "indicators": [{**i, "measure_rows": measure_rows(i["measures"])} for i in e["indicators"]],
            }
        )
    parts = [
        {"name": n, "label": MEASURES[n].label, "component": v, **m.get(n, {})}
        for n, v in (res.index_parts or {}).items()
    ]
    return render(
        request,
        "assessment/result.html",
        {
            "r": res,
            "indicators": indicators,
            "elements": elements,
            "parts": parts,
            "index_label": INDEX_LABELS.get(res.index_name, res.index_name),
            "all_measures": measure_rows(list(MEASURES)),
            "bypass": m.get("bypass_penalised", {}),
            "exempt": m.get("bypass_exempt", {}),
        },
    )


@login_required
def measure_records(request, pk, name):
    try:
        res = A.get_result(request.user, pk)
    except DomainError:
        raise Http404(_t("考核结果不存在或不在您的管辖范围内")) from None
    if name not in MEASURES:
        raise Http404(_t("未知字段：%(name)s") % {"name": name})
    listing = records.records_for(res, name)
    return render(
        request,
        "assessment/records.html",
        {
            "r": res,
            "name": name,
            "measure": MEASURES[name],
            "value": res.measures.get(name, {}),
            "listing": listing,
            "limit": records.LIMIT,
        },
    )


@login_required
def catalogue(request):
    if not perm.allowed(request.user, VIEW):
        raise Http404(_t("无权查看考核评价"))
    can_manage = perm.allowed(request.user, MANAGE)
    form = IndicatorForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                A.define_indicator(
                    request.user,
                    code=d["code"],
                    name=d["name"],
                    formula=d["formula"],
                    element=d["element"] or "",
                    description=d["description"],
                )
            except DomainError as e:
                _mark(form, e)
            else:
                messages.success(request, _t("指标已加入目录"))
                return redirect("assessment:catalogue")
        status = 400
    schemes = []
    for s in Scheme.objects.select_related("region"):  # the rules are public to every viewer
        ws = list(s.weights.select_related("indicator"))
        schemes.append(
            {
                "s": s,
                "urban": [w for w in ws if w.area_kind == "urban"],
                "rural": [w for w in ws if w.area_kind == "rural"],
                "params": {**A.scoring.DEFAULT_PARAMS, **s.params},
            }
        )
    return render(
        request,
        "assessment/catalogue.html",
        {
            "indicators": Indicator.objects.all(),
            "measures": MEASURES,
            "never": formula.NEVER_ASSESS,
            "schemes": schemes,
            "form": form,
            "can_manage": can_manage,
            "elements": ELEMENT_LABELS,
        },
        status=status,
    )
