from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.cases.models import Rating

from .models import Channel


class PreferenceForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label=_("通知渠道"), choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    quiet_start = forms.TimeField(label=_("免打扰开始"), required=False)
    quiet_end = forms.TimeField(label=_("免打扰结束"), required=False)
    digest = forms.BooleanField(label=_("合并为汇总通知（每小时一次）"), required=False)
    opted_out = forms.BooleanField(label=_("退订全部通知（紧急通知除外）"), required=False)
    language = forms.ChoiceField(label=_("语言"), choices=[("zh-hans", "中文"), ("en", "English")])
    wechat_openid = forms.CharField(label=_("微信 OpenID"), required=False, max_length=64)


class RateForm(forms.Form):
    rating = forms.ChoiceField(label=_("您对办理结果是否满意"), choices=Rating.choices, widget=forms.RadioSelect)
    fixed = forms.TypedChoiceField(
        label=_("问题是否已解决"),
        choices=[("1", _("已解决")), ("0", _("未解决"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("意见（可不填）"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
