"""The "five ones" activities (五个一) and the participation of member units."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.org.models import Unit

from .alliance import Alliance


class Activity(models.Model):
    """An activity of the "five ones" (五个一)."""

    class Kind(models.TextChoices):
        LECTURE = "lecture", _("一堂联合党课")
        VISIT = "visit", _("一次参观交流")
        THEMED_DAY = "themed_day", _("一次主题党日")
        MUTUAL_LEARNING = "mutual_learning", _("一次互学互查")
        MUTUAL_EVALUATION = "mutual_evaluation", _("一次互评")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("活动类型"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("主题"), max_length=200)
    held_on = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=120, blank=True)
    organiser = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("承办单位"))

    class Meta:
        ordering = ["held_on", "id"]
        verbose_name = _("联建活动")
        verbose_name_plural = _("联建活动")


class Participation(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="participations")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    people = models.PositiveSmallIntegerField(_("参加人数"), default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activity", "unit"], name="uniq_participation")]
