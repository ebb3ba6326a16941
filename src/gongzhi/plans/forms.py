"""Forms of the plan pages: parse input only; the rules are in services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

import gongzhi.alliances.pickers  # noqa: F401 - registers the alliance-goal picker
from gongzhi.org.models import Unit
from gongzhi.org.pickers import PickerField

from . import indicators
from .models import Adjustment, Feedback, Link, SourceKind, SupervisionFlag

DATE = forms.DateInput(attrs={"type": "date"})


def unit_by_code(raw: str | None) -> Unit | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    u = Unit.objects.filter(code=raw).select_related("region").first()
    if u is None:
        raise forms.ValidationError(_("没有编码为%(code)s的单位") % {"code": raw})
    return u


def mark_invalid(form: forms.BaseForm) -> None:
    """Mark the fields with errors for assistive technology (aria-invalid)."""
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["aria-invalid"] = "true"


class GoalForm(forms.Form):
    title = forms.CharField(label=_("目标名称"), max_length=200, required=False)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    source_kind = forms.ChoiceField(label=_("来源"), choices=SourceKind.choices)
    alliance_goal = PickerField(
        "goal", purpose="approved", label=_("联合体目标（来源为党建联合体目标时）"), required=False
    )
    follow_up = forms.IntegerField(label=_("协商落实事项编号（来源为议事协商决定时）"), required=False)
    directive_ref = forms.CharField(label=_("文件文号（来源为上级部署时）"), max_length=80, required=False)
    directive_issuer = PickerField("unit", purpose="issuer", label=_("部署单位（来源为上级部署时）"), required=False)
    region = PickerField("region", label=_("所在区域（默认取来源的区域）"), required=False)
    lead_unit = PickerField("unit", purpose="responsible", label=_("牵头单位"), required=False)
    starts_on = forms.DateField(label=_("开始日期"), required=False, widget=DATE)
    due_on = forms.DateField(label=_("完成时限"), required=False, widget=DATE)

    def clean_follow_up(self) -> int | None:
        """Checked here, with every other field, rather than in the view after the form is valid."""
        from gongzhi.consult.models import FollowUp

        v = self.cleaned_data.get("follow_up")
        if v is not None and not FollowUp.objects.filter(pk=v).exists():
            raise forms.ValidationError(_("没有这个协商落实事项"))
        return v

    def clean_alliance_goal(self) -> int | None:
        v = self.cleaned_data.get("alliance_goal")
        return int(v) if v else None

    def clean_directive_issuer(self) -> Unit | None:
        return unit_by_code(self.cleaned_data.get("directive_issuer"))

    def clean_lead_unit(self) -> Unit | None:
        return unit_by_code(self.cleaned_data.get("lead_unit"))


class TaskForm(forms.Form):
    title = forms.CharField(label=_("任务名称"), max_length=200, required=False)
    unit = PickerField("unit", purpose="responsible", label=_("责任单位"), required=False)
    deadline = forms.DateField(label=_("完成时限"), required=False, widget=DATE)
    quality_standard = forms.CharField(label=_("质量标准"), max_length=300, required=False)
    indicator_name = forms.CharField(label=_("指标名称"), max_length=100, required=False)
    indicator_unit = forms.CharField(label=_("计量单位"), max_length=20, required=False)
    baseline = forms.FloatField(label=_("基线值"), required=False, initial=0)
    target = forms.FloatField(label=_("目标值"), required=False)
    indicator_source = forms.ChoiceField(label=_("指标数据来源"), required=False, choices=())
    category = PickerField("category", purpose="any", label=_("事项类别（诉求类指标可选）"), required=False)
    weight = forms.IntegerField(label=_("权重"), required=False, initial=1)
    parent = forms.TypedChoiceField(
        label=_("上级任务（可选）"), required=False, coerce=int, empty_value=None, choices=()
    )

    def __init__(self, *args: Any, parents: Any = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        cast(forms.ChoiceField, self.fields["indicator_source"]).choices = indicators.choices()
        cast(forms.ChoiceField, self.fields["parent"]).choices = [("", "—")] + [(t.pk, t.title) for t in parents]

    def clean_unit(self) -> Unit | None:
        return unit_by_code(self.cleaned_data.get("unit"))


class ProgressForm(forms.Form):
    value = forms.FloatField(label=_("指标当前值"), required=False)
    progress = forms.FloatField(label=_("或进度(%)"), required=False)
    note = forms.CharField(label=_("进展说明"), max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class DoneForm(forms.Form):
    evidence_kind = forms.ChoiceField(label=_("佐证记录类型"), choices=Link.Kind.choices)
    evidence_id = forms.CharField(label=_("佐证记录编号"), max_length=20, required=False)
    note = forms.CharField(label=_("完成情况"), max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AdjustForm(forms.Form):
    kind = forms.ChoiceField(label=_("调整类型"), choices=Adjustment.Kind.choices)
    deadline = forms.DateField(label=_("新的完成时限"), required=False, widget=DATE)
    title = forms.CharField(label=_("新的任务名称"), max_length=200, required=False)
    quality_standard = forms.CharField(label=_("新的质量标准"), max_length=300, required=False)
    target = forms.FloatField(label=_("新的目标值"), required=False)
    unit = PickerField("unit", purpose="responsible", label=_("新的责任单位"), required=False)
    reason = forms.CharField(label=_("调整理由"), max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_unit(self) -> Unit | None:
        return unit_by_code(self.cleaned_data.get("unit"))

    def changes(self) -> dict:
        d = self.cleaned_data
        return {
            "deadline": d.get("deadline"),
            "title": d.get("title"),
            "quality_standard": d.get("quality_standard"),
            "target": d.get("target"),
            "unit": d.get("unit"),
        }


class FeedbackForm(forms.Form):
    source = forms.ChoiceField(label=_("反馈方"), choices=Feedback.Source.choices)
    unit = PickerField("unit", label=_("反馈单位（单位反馈时）"), required=False)
    rating = forms.ChoiceField(label=_("评价"), required=False, choices=[("", "—"), *Feedback.Rating.choices])
    text = forms.CharField(
        label=_("反馈内容"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_unit(self) -> Unit | None:
        return unit_by_code(self.cleaned_data.get("unit"))


class FlagForm(forms.Form):
    task = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=_("督办类型"), choices=SupervisionFlag.Kind.choices, initial=SupervisionFlag.Kind.QUALITY
    )
    detail = forms.CharField(label=_("督办原因"), max_length=300, required=False)


class LinkForm(forms.Form):
    kind = forms.ChoiceField(label=_("记录类型"), choices=Link.Kind.choices)
    object_id = forms.CharField(label=_("记录编号"), max_length=20, required=False)
