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

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import Region
from gongzhi.org.models import Grid, MatterCategory, Unit

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


# ---------------------------------------------------------------- "141": the four boards (一中心四板块一网格)


class Board(models.TextChoices):
    """The four boards of a township/street command centre (seed 004, "141": 一中心四板块一网格)."""

    PARTY = "party", _("党的建设")
    ECONOMY = "economy", _("经济发展")
    SAFETY = "safety", _("平安法治")
    LIVELIHOOD = "livelihood", _("民生服务")


class BoardRule(models.Model):
    """A district's own board for a key: a matter category code (2-digit major or 5-digit minor class), or a
    record key such as ``task.alliance`` or ``need.emergency`` (see :mod:`gongzhi.command.boards`). Rules
    override the defaults in code for the region's subtree; the most specific region wins."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", verbose_name=_("适用区域"))
    key = models.CharField(_("事项编码或记录类型"), max_length=40)
    board = models.CharField(_("板块"), max_length=12, choices=Board.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region__code", "key"]
        constraints = [models.UniqueConstraint(fields=["region", "key"], name="cmd_board_rule_key")]
        verbose_name = _("板块归类规则")
        verbose_name_plural = _("板块归类规则")

    def __str__(self) -> str:
        return f"{self.key} → {self.get_board_display()}"


# ---------------------------------------------------------------- "885": the five mechanisms (五项机制)


class MechanismKind(models.TextChoices):
    SCHEDULING = "scheduling", _("例会调度")
    RANKING = "ranking", _("晾晒比拼")
    RACING = "racing", _("赛马比拼")
    SUPERVISION = "supervision", _("督查督办")
    EVALUATION = "evaluation", _("考核激励")


class Cadence(models.TextChoices):
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    YEARLY = "yearly", _("每年")


class Mechanism(models.Model):
    """A mechanism that acts on the problem lists and reports, defined as data: how often it is held, at
    which level, who takes part, which definitions it reads and what a session records."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("适用区域"))
    code = models.SlugField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=80)
    kind = models.CharField(_("类型"), max_length=12, choices=MechanismKind.choices)
    cadence = models.CharField(_("频次"), max_length=10, choices=Cadence.choices)
    level = models.CharField(_("召开层级"), max_length=10, default="street", help_text="street or district")
    participant_roles = models.JSONField(_("参加角色"), default=list, blank=True)
    participant_unit_kinds = models.JSONField(_("参加单位类型"), default=list, blank=True)
    reads = models.JSONField(_("读取的报表和问题清单"), default=list, blank=True)
    records = models.JSONField(_("记录内容"), default=list, blank=True)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    seeded = models.BooleanField(_("默认机制"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["region__code", "kind", "code"]
        constraints = [models.UniqueConstraint(fields=["region", "code"], name="cmd_mechanism_code")]
        verbose_name = _("工作机制")
        verbose_name_plural = _("工作机制")

    def __str__(self) -> str:
        return self.name


class MechanismSession(models.Model):
    """One scheduled session of a mechanism in one region for one period: due, then held (or missed), with
    what it read from the records, who attended, the ranking and the outcome."""

    class Status(models.TextChoices):
        DUE = "due", _("待召开")
        HELD = "held", _("已召开")
        MISSED = "missed", _("未按期召开")

    mechanism = models.ForeignKey(Mechanism, on_delete=models.PROTECT, related_name="sessions")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    period = models.CharField(_("期次"), max_length=10)
    start = models.DateField(_("期初"))
    end = models.DateField(_("期末"), help_text="exclusive; the session reads [start, end)")
    scheduled_on = models.DateField(_("应召开日期"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.DUE)
    held_on = models.DateField(_("召开日期"), null=True, blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attendance = models.JSONField(_("出席"), default=list, blank=True)
    figures = models.JSONField(_("读取的数据"), default=dict, blank=True)
    ranking = models.JSONField(_("排名"), default=list, blank=True)
    statements = models.JSONField(_("述职"), default=list, blank=True)
    decisions = models.JSONField(_("决定事项"), default=list, blank=True)
    outcome = models.TextField(_("会议结果"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-scheduled_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["mechanism", "region", "period"], name="cmd_session_period"),
        ]
        indexes = [models.Index(fields=["region", "status"])]
        verbose_name = _("机制会议")
        verbose_name_plural = _("机制会议")

    def __str__(self) -> str:
        return f"{self.mechanism.name} {self.region.name} {self.period}"


class FollowUp(models.Model):
    """A matter a session assigned (督办事项): to a unit, by a deadline, until closed."""

    session = models.ForeignKey(MechanismSession, on_delete=models.CASCADE, related_name="followups")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("督办事项"), max_length=200)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("责任单位")
    )
    due_on = models.DateField(_("整改时限"))
    source = models.CharField(_("来源"), max_length=60, blank=True, help_text="problem list code and row")
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)
    note = models.CharField(_("办结说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["region", "closed_on"])]
        verbose_name = _("督办事项")
        verbose_name_plural = _("督办事项")

    def __str__(self) -> str:
        return self.title
