from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.org.models import MatterCategory
from gongzhi.org.pickers import PickerField, PickerInput, may_pick

from .models import MediationCase, Rating


def category_choices() -> list[tuple[str, Any]]:
    cats = MatterCategory.objects.filter(code__regex=r"^\d{5}$").select_related("parent").order_by("code")
    choices: list[tuple[str, Any]] = [("", _("不确定（由系统建议）"))]
    return choices + [(c.code, f"{c.parent.name if c.parent is not None else ''}·{c.name}") for c in cats]


class RequestForm(forms.Form):
    description = forms.CharField(label=_("诉求内容"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
    category: forms.Field = forms.ChoiceField(label=_("事项类别"), required=False)  # a picker on the hotline
    address = forms.CharField(label=_("地址"), required=False, max_length=200)
    lon = forms.FloatField(label=_("经度"), required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(label=_("纬度"), required=False, widget=forms.HiddenInput)
    grid = PickerField("grid", label=_("网格"), required=False, widget=forms.TextInput)
    anonymous = forms.BooleanField(label=_("匿名反映"), required=False)
    reporter_name = forms.CharField(label=_("联系人"), required=False, max_length=40)
    reporter_phone = forms.CharField(label=_("联系电话"), required=False, max_length=20)
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args: Any, user: Any = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if user is not None and may_pick(user):  # staff search grids by name; everyone clicks the map
            self.fields["grid"].widget = PickerInput("grid")
        if isinstance(self.fields["category"], forms.ChoiceField):
            self.fields["category"].choices = category_choices()
        for name in ("lon", "lat"):
            self.fields[name].error_messages["invalid"] = _("请在地图上点选位置")


class HotlineForm(RequestForm):
    category = PickerField(
        "category",
        purpose="leaf",
        label=_("事项类别"),
        required=False,
        widget=PickerInput("category", "leaf", attrs={"accesskey": "c"}),
    )
    grid = PickerField("grid", label=_("网格"), required=False)
    reporter_id_number = forms.CharField(label=_("身份证号"), required=False, max_length=18)
    lon = forms.FloatField(label=_("经度"), required=False)
    lat = forms.FloatField(label=_("纬度"), required=False)


class ActionForm(forms.Form):
    action = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("说明/原因"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    category = PickerField("category", purpose="leaf", label=_("事项类别"), required=False)
    unit = PickerField("unit", purpose="handling", label=_("指定承办单位"), required=False)
    resolution = forms.CharField(label=_("办理结果"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    rating = forms.ChoiceField(label=_("评价"), required=False, choices=[("", "—")] + list(Rating.choices))
    fixed = forms.TypedChoiceField(
        label=_("问题是否解决"),
        required=False,
        coerce=lambda v: v == "1",
        choices=[("1", _("已解决")), ("0", _("没有真正解决"))],
        initial="1",
        empty_value=True,  # type: ignore[arg-type]  # Django takes any empty value; the stubs say str
    )
    into = forms.CharField(label=_("合并到诉求编号"), required=False)
    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class WhistleForm(forms.Form):
    departments = forms.MultipleChoiceField(label=_("召集部门"), widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(label=_("吹哨事由"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, departments: Any = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        cast(forms.MultipleChoiceField, self.fields["departments"]).choices = [(u.code, u.name) for u in departments]


class BypassForm(forms.Form):
    category = PickerField("category", purpose="leaf", label=_("事项类别"))
    grid = PickerField("grid", label=_("网格"))
    summary = forms.CharField(label=_("处置情况"), max_length=200)


class MediationForm(forms.Form):
    title = forms.CharField(label=_("纠纷事由"), max_length=120)
    lead = PickerField("person", label=_("主调解员"))
    volunteers = PickerField("person", multiple=True, label=_("志愿小马"), required=False)
    party_a = forms.CharField(label=_("当事人甲"), max_length=40)
    party_b = forms.CharField(label=_("当事人乙"), max_length=40)

    def clean_lead(self) -> int:
        return int(self.cleaned_data["lead"])


class MediationCloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("结果"), choices=[c for c in MediationCase.Outcome.choices if c[0]])
    agreement = forms.CharField(label=_("协议内容"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
