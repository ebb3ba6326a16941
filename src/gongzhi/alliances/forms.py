from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.org.models import Unit
from gongzhi.org.pickers import PickerField

from .models import Activity, AllianceKind, FundEntry, ListItem


def _unit_codes(raw: str) -> list[Unit]:
    codes = [c.strip() for c in (raw or "").replace("，", ",").replace("\n", ",").split(",") if c.strip()]
    found = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise forms.ValidationError(_("找不到以下单位编码：%(codes)s") % {"codes": "、".join(missing)})
    return [found[c] for c in codes]


class ApplyForm(forms.Form):
    lead_unit = PickerField("unit", label=_("牵头单位"))
    name = forms.CharField(label=_("联合体名称"), max_length=120)
    kind = forms.ChoiceField(label=_("类型"), choices=AllianceKind.choices)
    purpose = forms.CharField(label=_("组建目的"), widget=forms.Textarea(attrs={"rows": 3}))
    members = PickerField("unit", multiple=True, label=_("拟加入单位"))
    initial_needs = forms.CharField(label=_("初步需求"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    partner_province = forms.CharField(label=_("外省结对单位所在省份（跨地域必填）"), required=False)
    partner_unit_name = forms.CharField(label=_("外省结对单位名称（跨地域必填）"), required=False)

    def clean_lead_unit(self):
        return _unit_codes(self.cleaned_data["lead_unit"])[0]

    def clean_members(self):
        return _unit_codes(self.cleaned_data["members"])


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("审批结果"), choices=[("approve", _("批准")), ("reject", _("不予批准"))])
    approver_unit = PickerField(
        "unit", purpose="party", label=_("审批党组织（默认：所在街道/乡镇党(工)委）"), required=False
    )
    reason = forms.CharField(label=_("审批意见（不予批准须写明理由）"), required=False)

    def clean_approver_unit(self):
        raw = self.cleaned_data.get("approver_unit")
        return _unit_codes(raw)[0] if raw else None


class InviteForm(forms.Form):
    unit = PickerField("unit", label=_("邀请单位"))

    def clean_unit(self):
        return _unit_codes(self.cleaned_data["unit"])[0]


class MembershipDecisionForm(forms.Form):
    accept = forms.ChoiceField(label=_("结果"), choices=[("yes", _("同意加入")), ("no", _("不同意"))])
    special_justification = forms.CharField(label=_("特批理由（已加入3个联合体的单位须填写）"), required=False)


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=_("召开日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    topic = forms.CharField(label=_("议题"), required=False)
    attendees = forms.ModelMultipleChoiceField(
        label=_("签到名单（成员单位）"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    minutes = forms.CharField(label=_("会议纪要"), widget=forms.Textarea(attrs={"rows": 4}))
    decisions = forms.CharField(label=_("议定事项"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    late_reason = forms.CharField(label=_("逾期说明"), required=False)

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        if members is not None:
            self.fields["attendees"].queryset = members


class FundForm(forms.Form):
    direction = forms.ChoiceField(label=_("收支"), choices=FundEntry.Direction.choices)
    source = forms.ChoiceField(label=_("来源（收入）"), choices=[("", "—"), *FundEntry.Source.choices], required=False)
    project = forms.ModelChoiceField(label=_("项目（支出）"), queryset=ListItem.objects.none(), required=False)
    amount = forms.DecimalField(label=_("金额(元)"), max_digits=12, decimal_places=2)
    entered_on = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    note = forms.CharField(label=_("摘要"), required=False)

    def __init__(self, *args, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        if projects is not None:
            self.fields["project"].queryset = projects


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("活动类型"), choices=Activity.Kind.choices)
    title = forms.CharField(label=_("主题"))
    held_on = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    participants = forms.ModelMultipleChoiceField(
        label=_("参加单位"), queryset=Unit.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        if members is not None:
            self.fields["participants"].queryset = members
