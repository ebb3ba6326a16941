"""Grid patrols (网格巡查): a grid worker's record that a grid was walked, with what was found there.

A patrol is one short record: the grid, the day, optionally how long it took, and the findings, each
filed at once as a request of the ``grid`` channel (网格员巡查). No photo, no position trace, no
check-in: seed 001 names "随时拍照、打卡、填表、留痕" as the burden that hollows out grassroots work, so
the record holds only what the platform needs to know which grids are due.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import Region


class Cadence(models.Model):
    """How often grids are to be patrolled: for one grid, or a default for a region's grids (the most
    specific wins; without one, ``settings.GONGZHI_PATROL_EVERY_DAYS``)."""

    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    grid = models.OneToOneField("org.Grid", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    every_days = models.PositiveSmallIntegerField(_("巡查周期（天）"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(region__isnull=True) & models.Q(grid__isnull=False))
                | (models.Q(region__isnull=False) & models.Q(grid__isnull=True)),
                name="patrols_cadence_one_target",
            ),
            models.UniqueConstraint(
                fields=["region"], condition=models.Q(grid__isnull=True), name="patrols_cadence_region_once"
            ),
        ]
        verbose_name = _("巡查周期")
        verbose_name_plural = _("巡查周期")

    def __str__(self) -> str:
        return f"{self.grid or self.region}: {self.every_days}"


class Patrol(models.Model):
    grid = models.ForeignKey("org.Grid", on_delete=models.PROTECT, related_name="+", verbose_name=_("网格"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")  # the grid's community
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("巡查人")
    )
    on = models.DateField(_("巡查日期"))
    minutes = models.PositiveSmallIntegerField(_("用时（分钟）"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    findings = models.ManyToManyField(
        "cases.ServiceRequest", blank=True, related_name="+", verbose_name=_("发现的问题")
    )
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["-on", "-id"]
        indexes = [models.Index(fields=["grid", "on"]), models.Index(fields=["region", "on"])]
        verbose_name = _("巡查记录")
        verbose_name_plural = _("巡查记录")

    def __str__(self) -> str:
        return f"{self.grid} {self.on}"
