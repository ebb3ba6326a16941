"""The three lists (resources, needs, projects), the tasks claimed on projects and the resources
supplied.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.org.models import Unit

from .alliance import Alliance


class ListItem(models.Model):
    """An entry of one of the three lists agreed at the annual kick-off."""

    class Kind(models.TextChoices):
        RESOURCE = "resource", _("资源清单")
        NEED = "need", _("需求清单")
        PROJECT = "project", _("项目清单")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="list_items")
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("清单"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("事项"), max_length=200)
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("提供/提出单位"))
    posts = models.PositiveSmallIntegerField(_("可认领岗位数"), default=1)
    meets = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="met_by", verbose_name=_("对接的需求")
    )
    agreed_at = models.ForeignKey(
        "Meeting", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("启动会议定")
    )

    class Meta:
        ordering = ["alliance", "year", "kind", "id"]
        verbose_name = _("清单事项")
        verbose_name_plural = _("清单事项")

    def __str__(self) -> str:
        return self.title


class Task(models.Model):
    """A claim (认领) of a project or a post: an owner, a deadline, a completion record."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="tasks")
    item = models.ForeignKey(ListItem, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("项目"))
    post = models.CharField(_("岗位"), max_length=100, blank=True)
    owner_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="alliance_tasks", verbose_name=_("认领单位")
    )
    owner_name = models.CharField(_("责任人"), max_length=40)
    claimed_on = models.DateField(_("认领日期"))
    deadline = models.DateField(_("完成时限"))
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    completion_note = models.CharField(_("完成情况"), max_length=300, blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("认领任务")
        verbose_name_plural = _("认领任务")

    def __str__(self) -> str:
        return f"{self.item} · {self.owner_unit}"

    @property
    def done(self) -> bool:
        return self.completed_on is not None

    @property
    def on_time(self) -> bool:
        return self.completed_on is not None and self.completed_on <= self.deadline


class ResourceSupply(models.Model):
    """A resource actually supplied by a member unit (counts for 资源供给)."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="supplies")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("供给单位"))
    item = models.ForeignKey(ListItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="supplies")
    description = models.CharField(_("供给内容"), max_length=200)
    supplied_on = models.DateField(_("供给日期"))

    class Meta:
        ordering = ["supplied_on", "id"]
        verbose_name = _("资源供给")
        verbose_name_plural = _("资源供给")
