"""Rollup tables of the command centres.

Dashboards read only these (and small tables: regions, grids), never the request
table, so their cost does not grow with history:

- ``RequestFact``: one row per request, its contribution to the figures (the
  per-request facts of ``cases.figures``), kept by the rollup subscriber; the
  source the rollups below are grouped from.
- ``DailyRollup``: community × grid × category × SLA class × day of submission.
- ``AreaDay``: community × day (with street and district), for rates, trends and
  drill-down at any level.
- ``CategoryMonth``: community × category × SLA class × month, for top categories
  and SLA performance.
- ``StreetDay``, ``StreetCategoryMonth``: the same per street, read by city and district centres.
- ``AreaMonth``, ``AreaYear``, ``StreetMonth``, ``StreetYear``, ``CategoryYear``,
  ``StreetCategoryYear``: the same sums at month and year grain, so that a long range reads whole
  years and months from them and only its ragged ends from the day tables (``queries.decompose``):
  the rows a range reads are bounded by its number of year, month and day pieces, not by its length.
- ``GridState``: per grid, the requests open and overdue now.

The rollup tables' foreign keys have no database constraint (``db_constraint=False``, as the facts):
they are grouped from rows already checked, and a rebuild of tens of millions of rows would otherwise
queue one deferred check per key and row. Deleting a region still deletes its rows (Django cascades).

All counts follow ``cases.figures``: a request belongs to the day it was
submitted; merged, cancelled and "not ours" requests are not counted.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import Region
from gongzhi.org.models import Grid, MatterCategory

# Counted fields shared by the rollup tables (sums of RequestFact columns).
COUNTS = (
    "arrived",
    "dispatched",
    "responded",
    "resolved",
    "closed",
    "on_time",
    "overdue",
    "returned",
    "reopened",
    "rated",
    "satisfied",
    "fixed",
    "whistles",
)
SUMS = ("minutes_to_dispatch", "minutes_to_resolve")


class Counts(models.Model):
    """The counted columns (see COUNTS and SUMS)."""

    arrived = models.IntegerField(default=0)
    dispatched = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    fixed = models.IntegerField(default=0)
    whistles = models.IntegerField(default=0)
    minutes_to_dispatch = models.FloatField(default=0)
    minutes_to_resolve = models.FloatField(default=0)

    class Meta:
        abstract = True


class RequestFact(Counts):
    """What one request contributes. Flags are 0/1 and already 0 for requests not counted."""

    request_id = models.BigIntegerField(primary_key=True)
    region = models.ForeignKey(Region, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    street = models.ForeignKey(Region, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    district = models.ForeignKey(Region, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    grid = models.ForeignKey(Grid, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    category = models.ForeignKey(
        MatterCategory, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    sla = models.CharField(max_length=12)
    day = models.DateField()
    is_open = models.BooleanField(default=False)
    due_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["grid", "day"]),
            models.Index(fields=["region", "day"]),
            models.Index(fields=["grid", "due_at"], condition=models.Q(is_open=True), name="cmd_fact_open"),
        ]


class DailyRollup(Counts):
    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, db_constraint=False, related_name="+", verbose_name=_("社区/村")
    )
    street = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    district = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    grid = models.ForeignKey(
        Grid, on_delete=models.CASCADE, db_constraint=False, related_name="+", verbose_name=_("网格")
    )
    category = models.ForeignKey(
        MatterCategory, null=True, blank=True, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    sla = models.CharField(max_length=12)
    day = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["grid", "day"]), models.Index(fields=["region", "day"])]
        verbose_name = _("日汇总")
        verbose_name_plural = _("日汇总")


class AreaDay(Counts):
    region = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    street = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    district = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region", "day"], name="cmd_areaday_key")]
        indexes = [
            models.Index(fields=["street", "day"]),
            models.Index(fields=["district", "day"]),
            models.Index(fields=["day"]),
        ]


class CategoryMonth(Counts):
    region = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    street = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    district = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    category = models.ForeignKey(
        MatterCategory, null=True, blank=True, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    sla = models.CharField(max_length=12)
    month = models.DateField(help_text="first day of the month")

    class Meta:
        indexes = [
            models.Index(fields=["street", "month"]),
            models.Index(fields=["district", "month"]),
            models.Index(fields=["month"]),
            models.Index(fields=["region", "month"]),
        ]


class StreetDay(Counts):
    """AreaDay summed per street: what city and district centres read (12× fewer rows at city scale)."""

    street = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    district = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["street", "day"], name="cmd_streetday_key")]
        indexes = [models.Index(fields=["district", "day"]), models.Index(fields=["day"])]


class StreetCategoryMonth(Counts):
    """CategoryMonth summed per street, for city and district centres."""

    street = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    district = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    category = models.ForeignKey(
        MatterCategory, null=True, blank=True, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    sla = models.CharField(max_length=12)
    month = models.DateField(help_text="first day of the month")

    class Meta:
        indexes = [
            models.Index(fields=["street", "month"]),
            models.Index(fields=["district", "month"]),
            models.Index(fields=["month"]),
        ]


class AreaMonth(Counts):
    """AreaDay summed per month (``month`` is the first day of the month)."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    street = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    district = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    month = models.DateField(help_text="first day of the month")

    class Meta:
        indexes = [
            models.Index(fields=["region", "month"]),
            models.Index(fields=["street", "month"]),
            models.Index(fields=["district", "month"]),
            models.Index(fields=["month"]),
        ]


class AreaYear(Counts):
    """AreaDay summed per year (``year`` is 1 January)."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    street = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    district = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    year = models.DateField(help_text="1 January of the year")

    class Meta:
        indexes = [
            models.Index(fields=["region", "year"]),
            models.Index(fields=["street", "year"]),
            models.Index(fields=["district", "year"]),
            models.Index(fields=["year"]),
        ]


class StreetMonth(Counts):
    street = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    district = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    month = models.DateField(help_text="first day of the month")

    class Meta:
        indexes = [
            models.Index(fields=["street", "month"]),
            models.Index(fields=["district", "month"]),
            models.Index(fields=["month"]),
        ]


class StreetYear(Counts):
    street = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    district = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    year = models.DateField(help_text="1 January of the year")

    class Meta:
        indexes = [
            models.Index(fields=["street", "year"]),
            models.Index(fields=["district", "year"]),
            models.Index(fields=["year"]),
        ]


class CategoryYear(Counts):
    """CategoryMonth summed per year."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    street = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    district = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    category = models.ForeignKey(
        MatterCategory, null=True, blank=True, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    sla = models.CharField(max_length=12)
    year = models.DateField(help_text="1 January of the year")

    class Meta:
        indexes = [
            models.Index(fields=["region", "year"]),
            models.Index(fields=["street", "year"]),
            models.Index(fields=["district", "year"]),
            models.Index(fields=["year"]),
        ]


class StreetCategoryYear(Counts):
    """StreetCategoryMonth summed per year."""

    street = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    district = models.ForeignKey(Region, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    category = models.ForeignKey(
        MatterCategory, null=True, blank=True, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    sla = models.CharField(max_length=12)
    year = models.DateField(help_text="1 January of the year")

    class Meta:
        indexes = [
            models.Index(fields=["street", "year"]),
            models.Index(fields=["district", "year"]),
            models.Index(fields=["year"]),
        ]


class GridState(models.Model):
    """Requests open and overdue in a grid now (overdue refreshed by the subscriber and when stale)."""

    grid = models.OneToOneField(Grid, primary_key=True, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    street = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    open = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    next_due_at = models.DateTimeField(null=True, help_text="earliest due time of an open request not yet overdue")
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["street"]), models.Index(fields=["district"])]
