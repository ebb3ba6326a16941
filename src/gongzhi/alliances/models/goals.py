"""Goals proposed by the members and approved by the higher party organisation."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.org.models import Unit

from .alliance import Alliance


class Goal(models.Model):
    """A shared goal, proposed bottom-up; active only once the higher party organisation approves it."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("讨论中")
        SUBMITTED = "submitted", _("已报上级")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(_("目标"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    proposed_by = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("提出单位"))
    # The four principles (因需、管用、精简、高效): each must be argued before the goal is agreed.
    need = models.CharField(_("因需：解决什么需要"), max_length=200, blank=True)
    useful = models.CharField(_("管用：带来什么实效"), max_length=200, blank=True)
    lean = models.CharField(_("精简：如何精简"), max_length=200, blank=True)
    efficient = models.CharField(_("高效：如何高效"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_on = models.DateField(_("提出日期"))
    submitted_on = models.DateField(_("报送日期"), null=True, blank=True)
    decided_on = models.DateField(_("批复日期"), null=True, blank=True)
    decided_by_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decision_reason = models.CharField(_("批复意见"), max_length=300, blank=True)

    class Meta:
        ordering = ["alliance", "id"]
        verbose_name = _("共同目标")
        verbose_name_plural = _("共同目标")

    def __str__(self) -> str:
        return self.title
