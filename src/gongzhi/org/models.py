"""The organisation tree, people, households, grids and the power/responsibility lists."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import Region

from .kinds import (
    ESTABLISHED_BY_MEMBERS,
    PARTY_KINDS,
    HandlerLevel,
    MemberRole,
    PartyStatus,
    SlaClass,
    StaffRoleKind,
    UnitKind,
)


class Unit(models.Model):
    """A unit of any kind: party organisation, government, department, enterprise,
    social organisation, committee, property company, school, hospital."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("筹建中")
        ESTABLISHED = "established", _("已成立")
        DISSOLVED = "dissolved", _("已撤销")

    code = models.CharField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=120, db_index=True)
    kind = models.CharField(_("类型"), max_length=32, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级")
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="units", verbose_name=_("所在区域"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.ESTABLISHED)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    needs_rectification = models.BooleanField(_("需整改"), default=False)
    rectification_reason = models.CharField(_("整改原因"), max_length=200, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    # A party organisation set up in a unit (企业、社会组织、居委会……): the unit it covers, for the
    # three-member rule (应建未建: ``org.party.gaps``). Empty for organisations of an area.
    host = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="party_orgs",
        verbose_name=_("所在单位"),
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["path"]
        indexes = [models.Index(fields=["region", "kind"])]
        verbose_name = _("单位/组织")
        verbose_name_plural = _("单位/组织")

    def __str__(self) -> str:
        return self.name

    @property
    def is_party(self) -> bool:
        return self.kind in PARTY_KINDS

    @property
    def needs_three_members(self) -> bool:
        return self.kind in ESTABLISHED_BY_MEMBERS

    def subtree(self):
        return Unit.objects.filter(path__startswith=self.path)

    def ancestors(self) -> list[Unit]:
        ids = [int(i) for i in self.path.strip("/").split("/") if i][:-1]
        by_id = Unit.objects.in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]


class Household(models.Model):
    code = models.CharField(_("户编码"), max_length=40, unique=True)
    address = models.CharField(_("地址"), max_length=200)
    building = models.CharField(_("楼栋"), max_length=40, blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="households")
    grid = models.ForeignKey("Grid", null=True, blank=True, on_delete=models.SET_NULL, related_name="households")

    class Meta:
        ordering = ["code"]
        verbose_name = _("户")
        verbose_name_plural = _("户")

    def __str__(self) -> str:
        return self.address


class Person(models.Model):
    class Gender(models.TextChoices):
        MALE = "m", _("男")
        FEMALE = "f", _("女")

    name = models.CharField(_("姓名"), max_length=40, db_index=True)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="people", verbose_name=_("所在区域"))
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members", verbose_name=_("户")
    )
    is_mobile = models.BooleanField(_("流动人口"), default=False)
    # Party standing (政治面貌) and where the member's relation is held (组织关系所在党组织): recorded
    # by ``services.record_party_standing``, never changed as a side effect of founding or joining.
    party_status = models.CharField(_("政治面貌"), max_length=12, choices=PartyStatus.choices, blank=True, default="")
    party_relation = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="held_relations",
        verbose_name=_("组织关系所在党组织"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["region", "name"])]
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's role in a unit over a period; ``end_date`` set when it ends (history is kept)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=24, choices=MemberRole.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["unit", "role", "end_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "unit", "role"],
                condition=models.Q(end_date__isnull=True),
                name="org_uniq_active_membership",
            )
        ]
        verbose_name = _("成员关系")
        verbose_name_plural = _("成员关系")

    def __str__(self) -> str:
        return f"{self.person} · {self.unit} · {self.get_role_display()}"


class Grid(models.Model):
    """A grid: a spatial unit of a community, stored as a GeoJSON polygon (WGS84 lon/lat)."""

    code = models.CharField(_("网格编码"), max_length=24, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="grids", verbose_name=_("所属社区/村"))
    geometry = models.JSONField(_("边界(GeoJSON)"))
    min_lon = models.FloatField(editable=False)
    min_lat = models.FloatField(editable=False)
    max_lon = models.FloatField(editable=False)
    max_lat = models.FloatField(editable=False)
    centroid_lon = models.FloatField(editable=False)
    centroid_lat = models.FloatField(editable=False)
    area_m2 = models.FloatField(editable=False, default=0)
    party_org = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="party_grids",
        verbose_name=_("功能型网格党组织"),
    )
    co_builders = models.ManyToManyField(Unit, blank=True, related_name="co_built_grids", verbose_name=_("共建单位"))
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("网格")
        verbose_name_plural = _("网格")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class GridAssignment(models.Model):
    """A grid worker on a grid, or a party member covering an area (包片)."""

    class Kind(models.TextChoices):
        GRID_WORKER = "grid_worker", _("网格员")
        COVERAGE = "coverage", _("党员包片")

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="assignments")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="grid_assignments")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            # region first (the distribution key for sharding by region): the grid fixes the region (its
            # code is the community's), so this is the same rule as (grid, person, kind).
            models.UniqueConstraint(
                fields=["region", "grid", "person", "kind"],
                condition=models.Q(end_date__isnull=True),
                name="org_uniq_active_grid_assignment",
            )
        ]
        verbose_name = _("网格分配")
        verbose_name_plural = _("网格分配")


class HouseholdLink(models.Model):
    """A party member linked to a household (联户)."""

    member = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="linked_households")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="linked_members")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member", "household"],
                condition=models.Q(end_date__isnull=True),
                name="org_uniq_active_household_link",
            )
        ]
        verbose_name = _("联户关系")
        verbose_name_plural = _("联户关系")

    def __str__(self) -> str:
        return f"{self.member} · {self.household.code}"


class VisitPurpose(models.TextChoices):
    """Why a party member visited a linked household (走访事由). A code, never a photo or a check-in."""

    ROUTINE = "routine", _("日常走访")
    POLICY = "policy", _("政策宣传")
    CARE = "care", _("关爱帮扶")
    MATTER = "matter", _("收集诉求")
    DISPUTE = "dispute", _("矛盾调解")
    SAFETY = "safety", _("安全提醒")


class HouseholdVisit(models.Model):
    """A party member's visit to a household they link (包片联户, seed 002): who, which household, which
    day, why (a code), and whether a matter was raised (then the request it became). A record of work
    done, counted by the burden meter; it holds no photo, no location and no check-in time."""

    member = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="household_visits")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="visits")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    visited_on = models.DateField(_("走访日期"))
    purpose = models.CharField(_("走访事由"), max_length=12, choices=VisitPurpose.choices)
    matter_raised = models.BooleanField(_("反映诉求"), default=False)
    request_number = models.CharField(_("诉求编号"), max_length=32, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["region", "visited_on"]), models.Index(fields=["member", "visited_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "household", "visited_on"], name="org_uniq_visit_per_member_household_day"
            )
        ]
        verbose_name = _("入户走访")
        verbose_name_plural = _("入户走访")

    def __str__(self) -> str:
        return f"{self.member} · {self.household.code} · {self.visited_on}"


class StaffRole(models.Model):
    """A platform user's role, held at a unit: the user acts within that unit's subtree and region."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_roles")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(_("角色"), max_length=24, choices=StaffRoleKind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("平台角色")
        verbose_name_plural = _("平台角色")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.unit}"


class MatterCategory(models.Model):
    """A matter category of the power/responsibility list: 2-digit major class,
    5-digit minor class (major + 3 digits; 080–999 are local extensions)."""

    code = models.CharField(_("事项编码"), max_length=5, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("大类")
    )
    default_sla = models.CharField(_("默认时限"), max_length=12, choices=SlaClass.choices, default=SlaClass.GENERAL)
    keywords = models.CharField(_("关键词"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("事项类别")
        verbose_name_plural = _("事项类别")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_local_extension(self) -> bool:
        return len(self.code) == 5 and int(self.code[2:]) >= 80


class ResponsibilityRule(models.Model):
    """One line of a power/responsibility list: in ``region`` (and below), matters of
    ``category`` (and its minor classes, unless they have their own line) are handled
    at ``handler_level`` — or by ``department`` — on ``legal_basis``, within ``sla``.
    Versioned: a new version with a later ``effective_from`` supersedes the old."""

    category = models.ForeignKey(MatterCategory, on_delete=models.PROTECT, related_name="rules")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="responsibility_rules")
    handler_level = models.CharField(_("承办层级"), max_length=12, choices=HandlerLevel.choices)
    department = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsibility_rules",
        verbose_name=_("承办部门"),
    )
    legal_basis = models.CharField(_("法定依据"), max_length=200, blank=True)
    sla = models.CharField(_("办理时限"), max_length=12, choices=SlaClass.choices)
    version = models.PositiveIntegerField(_("版本"), default=1)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)

    class Meta:
        ordering = ["category__code", "region__path", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["category", "region", "version"], name="org_uniq_rule_version"),
        ]
        verbose_name = _("权责清单条目")
        verbose_name_plural = _("权责清单")

    def __str__(self) -> str:
        return f"{self.category} @ {self.region} v{self.version}"


class Power(models.Model):
    """A kind of power (权力) a matter may need: enforcement, inspection, approval … The power list says
    which units hold it where (:class:`PowerGrant`); ``needed_by`` says which matter categories need it
    (a minor class needs its own powers and those of its major class). Seed 001: 权小责大 — a unit may be
    made responsible only for what it has the power to do."""

    code = models.CharField(_("权力编码"), max_length=24, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    needed_by = models.ManyToManyField(
        MatterCategory, blank=True, related_name="powers_needed", verbose_name=_("需要此权力的事项类别")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("权力类型")
        verbose_name_plural = _("权力类型")

    def __str__(self) -> str:
        return self.name


class PowerGrant(models.Model):
    """One line of the power list (权力清单): ``unit`` may exercise ``power`` in ``region`` (and below),
    on ``legal_basis``, from ``effective_from`` until ``effective_to`` (exclusive)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="power_grants", verbose_name=_("单位"))
    power = models.ForeignKey(Power, on_delete=models.PROTECT, related_name="grants", verbose_name=_("权力"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="power_grants", verbose_name=_("区域"))
    legal_basis = models.CharField(_("法定依据"), max_length=200, blank=True)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)

    class Meta:
        ordering = ["region__path", "unit__code", "power__code"]
        indexes = [models.Index(fields=["unit", "power"])]
        verbose_name = _("权力清单条目")
        verbose_name_plural = _("权力清单")

    def __str__(self) -> str:
        return f"{self.unit} · {self.power} @ {self.region}"
