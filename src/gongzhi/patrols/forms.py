"""The patrol form: the grid, the day, how long (optional), a note, and up to three findings, each a
short description with an optional category. Every bad field is reported at once."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.org.pickers import PickerField

FINDING_ROWS = 3


class PatrolForm(forms.Form):
    grid = forms.ChoiceField(label=_("网格"))
    on = forms.DateField(label=_("巡查日期"), widget=forms.DateInput(attrs={"type": "date"}))
    minutes = forms.IntegerField(label=_("用时（分钟，可不填）"), required=False, min_value=1, max_value=24 * 60)
    note = forms.CharField(label=_("备注（可不填）"), required=False, max_length=200)

    def __init__(self, *args: Any, grids: Any = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        grid = self.fields["grid"]
        assert isinstance(grid, forms.ChoiceField)
        grid.choices = [(g.code, f"{g.name}（{g.code}）") for g in grids]
        self.fields["on"].initial = timezone.localdate()
        for i in range(FINDING_ROWS):
            self.fields[f"finding_{i}"] = forms.CharField(
                label=_("发现的问题 %(n)d（可不填）") % {"n": i + 1},
                required=False,
                max_length=500,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"category_{i}"] = PickerField(
                "category", purpose="leaf", label=_("问题 %(n)d 的事项类别（可不填）") % {"n": i + 1}, required=False
            )

    def findings(self) -> list[tuple[str, str | None]]:
        out = []
        for i in range(FINDING_ROWS):
            text = (self.cleaned_data.get(f"finding_{i}") or "").strip()
            if text:
                out.append((text, self.cleaned_data.get(f"category_{i}") or None))
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for i in range(FINDING_ROWS):
            if data.get(f"category_{i}") and not (data.get(f"finding_{i}") or "").strip():
                self.add_error(f"finding_{i}", _("选了类别，请描述发现的问题"))
        return data


class CadenceForm(forms.Form):
    every_days = forms.IntegerField(label=_("巡查周期（天）"), min_value=1, max_value=90)
