"""Emergency mode (应急): an incident declared for an area of grids, its desk, log,
mobilised people and their notifications.

While an incident is active, every request from its grids goes straight to the
incident desk (``cases.routing`` override, see :mod:`gongzhi.incidents.routing`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import Region
from gongzhi.org.models import Grid, Person, Unit


class Kind(models.TextChoices):
    FLOOD = "flood", _("洪涝")
    FIRE = "fire", _("火灾")
    SNOW = "snow", _("雨雪冰冻")
    GAS = "gas", _("燃气/危化品泄漏")
    EARTHQUAKE = "earthquake", _("地震地质灾害")
    EPIDEMIC = "epidemic", _("公共卫生事件")
    OUTAGE = "outage", _("停水停电停气")
    OTHER = "other", _("其他突发事件")


class Severity(models.IntegerChoices):
    """The four levels of the Emergency Response Law (突发事件应对法): I is the most severe."""

    I = 1, _("Ⅰ级（特别重大）")  # noqa: E741 - the law names the levels I to IV
    II = 2, _("Ⅱ级（重大）")
    III = 3, _("Ⅲ级（较大）")
    IV = 4, _("Ⅳ级（一般）")


class Incident(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("应急响应中")
        STOOD_DOWN = "stood_down", _("已终止响应")

    code = models.CharField(_("编号"), max_length=24, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    severity = models.PositiveSmallIntegerField(_("响应级别"), choices=Severity.choices, default=Severity.IV)
    description = models.TextField(_("情况说明"), blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区域"))
    geometry = models.JSONField(_("影响范围(GeoJSON)"))
    polygon = models.JSONField(_("划定范围(GeoJSON)"), null=True, blank=True)
    grids = models.ManyToManyField(Grid, through="IncidentGrid", related_name="+", verbose_name=_("影响网格"))
    desk_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("应急指挥席"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("宣布人"),
    )
    declared_at = models.DateTimeField(_("宣布时间"))
    stood_down_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("终止人"),
    )
    stood_down_at = models.DateTimeField(_("终止时间"), null=True, blank=True)
    stand_down_note = models.TextField(_("终止说明"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-declared_at", "-id"]
        indexes = [models.Index(fields=["status"])]
        verbose_name = _("应急事件")
        verbose_name_plural = _("应急事件")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def get_absolute_url(self) -> str:
        return reverse("incidents:detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class IncidentGrid(models.Model):
    """An affected grid; ``active`` while the incident is, so that one grid has at most one active incident."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="area")
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "grid"], name="incidents_uniq_incident_grid"),
            models.UniqueConstraint(
                fields=["grid"], condition=models.Q(active=True), name="incidents_one_active_per_grid"
            ),
        ]


class LogEntry(models.Model):
    """The incident log (事件日志); each entry is also a public event in the ledger."""

    class Kind(models.TextChoices):
        DECLARED = "declared", _("宣布应急")
        MOBILISED = "mobilised", _("动员通知")
        CHECKED_IN = "checked_in", _("人员报到")
        ASSIGNED = "assigned", _("任务分派")
        NEED = "need", _("需求上池")
        COUNTS = "counts", _("指挥席受理统计")
        NOTE = "note", _("情况记录")
        STOOD_DOWN = "stood_down", _("终止响应")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(_("时间"))
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    text = models.CharField(_("内容"), max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("事件日志")
        verbose_name_plural = _("事件日志")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.text}"


class Mobilisation(models.Model):
    """A party member or volunteer of the affected grids called up: notified → checked in → assigned."""

    class Kind(models.TextChoices):
        PARTY_MEMBER = "party_member", _("党员")
        VOLUNTEER = "volunteer", _("志愿者")

    class Status(models.TextChoices):
        NOTIFIED = "notified", _("已通知")
        CHECKED_IN = "checked_in", _("已报到")
        ASSIGNED = "assigned", _("已分派任务")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="mobilisations")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("人员"))
    kind = models.CharField(_("身份"), max_length=16, choices=Kind.choices)
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("所在网格")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    basis = models.CharField(_("动员依据"), max_length=120, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.NOTIFIED)
    notified_at = models.DateTimeField(_("通知时间"))
    checked_in_at = models.DateTimeField(_("报到时间"), null=True, blank=True)
    task = models.CharField(_("任务"), max_length=200, blank=True)
    need = models.ForeignKey(
        "resources.PoolNeed",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("对应需求"),
    )
    assigned_at = models.DateTimeField(_("分派时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["incident", "kind", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "person"], name="incidents_uniq_mobilisation")]
        verbose_name = _("动员人员")
        verbose_name_plural = _("动员人员")

    def __str__(self) -> str:
        return f"{self.incident.code} {self.person.name}"


class Notification(models.Model):
    """An in-app notification to one person (no SMS is sent)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("人员"))
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.CharField(_("渠道"), max_length=12, default="in_app")
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"), blank=True)
    created_at = models.DateTimeField(_("发送时间"))
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")


class IncidentNeed(models.Model):
    """A need the desk raised to the common pool (the need itself lives in ``resources``)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="needs")
    need = models.OneToOneField("resources.PoolNeed", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
