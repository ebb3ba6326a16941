"""The 1142 meetings, their sign-in and the suggestions made there (or on goals)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.org.models import Unit

from .alliance import Alliance
from .goals import Goal


class Meeting(models.Model):
    """A required meeting of the 1142 mechanism (or an extra one), recorded once: sign-in, minutes, decisions."""

    class Kind(models.TextChoices):
        KICKOFF = "kickoff", _("年初启动会")
        PROGRESS = "progress", _("月度推进会")
        SCHEDULING = "scheduling", _("季度调度会")
        SUMMARY = "summary", _("半年总结会")
        REVIEW = "review", _("年终考评会")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(_("会议类型"), max_length=12, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    period = models.PositiveSmallIntegerField(_("期次"), default=0, help_text=_("月/季/半年序号，启动会为0"))
    required = models.BooleanField(_("必开会议"), default=True)
    due_on = models.DateField(_("应开日期(截止)"), null=True, blank=True)
    held_on = models.DateField(_("召开日期"), null=True, blank=True)
    recorded_on = models.DateField(_("记录日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    topic = models.CharField(_("议题"), max_length=200, blank=True)
    minutes = models.TextField(_("会议纪要"), blank=True)
    decisions = models.TextField(_("议定事项"), blank=True)
    signin_code = models.CharField(_("签到码"), max_length=8, blank=True)
    late = models.BooleanField(_("逾期"), default=False)
    late_reason = models.CharField(_("逾期说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["alliance", "year", "due_on", "kind", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "kind", "year", "period"],
                condition=models.Q(required=True),
                name="uniq_required_meeting",
            ),
        ]
        verbose_name = _("会议")
        verbose_name_plural = _("会议")

    def __str__(self) -> str:
        return f"{self.alliance} {self.year} {self.get_kind_display()} {self.period or ''}".strip()

    @property
    def is_recorded(self) -> bool:
        return self.held_on is not None


class Attendance(models.Model):
    class Method(models.TextChoices):
        CODE = "code", _("签到码")
        LIST = "list", _("签到名单")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    attendee = models.CharField(_("出席人"), max_length=40, blank=True)
    method = models.CharField(_("签到方式"), max_length=6, choices=Method.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "unit"], name="uniq_attendance")]
        verbose_name = _("会议签到")
        verbose_name_plural = _("会议签到")


class Suggestion(models.Model):
    """A suggestion made by a member unit (建言献策): in a meeting, on a goal, or on its own."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="suggestions")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("提出单位"))
    text = models.CharField(_("建议"), max_length=300)
    made_on = models.DateField(_("日期"))
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestions")
    goal = models.ForeignKey(Goal, null=True, blank=True, on_delete=models.SET_NULL, related_name="discussion")
    adopted = models.BooleanField(_("已采纳"), default=False)

    class Meta:
        ordering = ["made_on", "id"]
        verbose_name = _("建言献策")
        verbose_name_plural = _("建言献策")
