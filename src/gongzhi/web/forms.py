from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.org.kinds import UnitKind
from gongzhi.org.models import MatterCategory
from gongzhi.org.pickers import PickerField


class UnitForm(forms.Form):
    code = forms.CharField(label=_("编码"), max_length=40)
    name = forms.CharField(label=_("名称"), max_length=120)
    kind = forms.ChoiceField(label=_("类型"), choices=UnitKind.choices)
    founding_members = PickerField(
        "person",
        purpose="party_member",
        admit="any",  # the service names founders who are not full members, with the rule
        multiple=True,
        label=_("创始正式党员"),
        required=False,
        help_text=_("党的基层组织须有至少3名已是正式党员的创始人；党小组由所在党支部的党员组成"),
    )
    host = PickerField(
        "unit",
        purpose="host",
        label=_("所在单位"),
        required=False,
        help_text=_("在企业、社会组织等单位中建立党组织时选择该单位"),
    )

    def clean_founding_members(self) -> list[int]:
        raw = self.cleaned_data.get("founding_members", "")
        try:
            return [int(x) for x in raw.split(",") if x.strip()]
        except ValueError:
            raise forms.ValidationError(_("请填写人员编号（数字），用逗号分隔")) from None


class LookupForm(forms.Form):
    category = PickerField("category", purpose="leaf", label=_("事项类别"))
    grid = PickerField("grid", label=_("网格"), required=False)
    lon = forms.FloatField(label=_("经度"), required=False)
    lat = forms.FloatField(label=_("纬度"), required=False)
    at = forms.DateField(label=_("日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_category(self) -> MatterCategory:
        return MatterCategory.objects.get(code=self.cleaned_data["category"])

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if (
            data is not None
            and not data.get("grid")
            and (data.get("lon") is None or data.get("lat") is None)
            and "grid" not in self.errors
        ):
            raise forms.ValidationError(_("请填写网格编码，或经纬度"))
        return data
