"""Unit kinds, roles and the shape of the party organisation chains.

Urban chain: street party working committee → community party committee →
compound party branch → building party group → party-member centre household.
Rural chain: township party committee → village party branch → villagers'
group party group → party-member contact household.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    PARTY_CITY = "party_city", _("市委")
    PARTY_DISTRICT = "party_district", _("区(县)委")
    PARTY_STREET = "party_street", _("街道党工委")
    PARTY_TOWNSHIP = "party_township", _("乡镇党委")
    PARTY_COMMUNITY = "party_community", _("社区党委")
    PARTY_COMPOUND = "party_compound", _("小区党支部")
    PARTY_BUILDING = "party_building", _("楼栋党小组")
    PARTY_CENTRE_HOUSEHOLD = "party_centre_household", _("党员中心户")
    PARTY_VILLAGE = "party_village", _("村党支部")
    PARTY_VILLAGER_GROUP = "party_villager_group", _("村民小组党小组")
    PARTY_CONTACT_HOUSEHOLD = "party_contact_household", _("党员联系户")
    PARTY_BRANCH = "party_branch", _("机关/企业/社会组织党支部")
    PARTY_GRID = "party_grid", _("功能型网格党组织")
    GOVERNMENT = "government", _("人民政府/街道办事处")
    DEPARTMENT = "department", _("政府部门")
    ENTERPRISE_STATE = "enterprise_state", _("国有企业")
    ENTERPRISE_PRIVATE = "enterprise_private", _("非公企业")
    SOCIAL_ORG = "social_org", _("社会组织")
    RESIDENTS_COMMITTEE = "residents_committee", _("居民委员会")
    VILLAGERS_COMMITTEE = "villagers_committee", _("村民委员会")
    OWNERS_COMMITTEE = "owners_committee", _("业主委员会")
    PROPERTY_COMPANY = "property_company", _("物业服务企业")
    SCHOOL = "school", _("学校")
    HOSPITAL = "hospital", _("医院/卫生服务中心")


PARTY_KINDS = frozenset(k for k in UnitKind.values if k.startswith("party_"))
HOUSEHOLD_KINDS = frozenset({UnitKind.PARTY_CENTRE_HOUSEHOLD, UnitKind.PARTY_CONTACT_HOUSEHOLD})
# Primary party organisations (党的基层组织: 基层委员会, 总支部委员会, 支部委员会), the ones the
# three-member rule is about. Seed 004 quotes the party constitution (art. 30): "企业、农村、机关、
# 学校、医院、科研院所、街道社区、社会组织……凡是有正式党员三人以上的，都应当成立党的基层组织".
# A township party committee is a 基层委员会; a functional grid party organisation is set up as a
# branch. Not here: the city and district committees (local organisations, formed by congresses)
# and the street party working committee (an organ dispatched by the district committee), which are
# not founded by members; the party groups (below); the party-member households (not organisations).
PRIMARY_ORG_KINDS = frozenset(
    {
        UnitKind.PARTY_TOWNSHIP,
        UnitKind.PARTY_COMMUNITY,
        UnitKind.PARTY_COMPOUND,
        UnitKind.PARTY_VILLAGE,
        UnitKind.PARTY_BRANCH,
        UnitKind.PARTY_GRID,
    }
)
# Party groups (党小组): divisions of a branch, not primary organisations. Their rule (支部工作条例
# (试行) art. 13): a branch with many members, or members working/living far apart, divides them
# into party groups; so a group's members are members of its parent branch, and the ≥3 founding
# rule does not apply.
PARTY_GROUP_KINDS = frozenset({UnitKind.PARTY_BUILDING, UnitKind.PARTY_VILLAGER_GROUP})
LEADING_BODY_KINDS = PARTY_KINDS - PRIMARY_ORG_KINDS - PARTY_GROUP_KINDS - HOUSEHOLD_KINDS
# Party organisations that must have at least three full members to be established, and are
# flagged for rectification when they fall below: the primary organisations.
ESTABLISHED_BY_MEMBERS = PRIMARY_ORG_KINDS
MIN_FULL_MEMBERS = 3


class PartyStatus(models.TextChoices):
    """A person's standing in the party (政治面貌), recorded on the person: never changed as a side
    effect of founding or joining an organisation (``services.record_party_standing``)."""

    NONE = "", _("群众")
    PROBATIONARY = "probationary", _("预备党员")
    FULL = "full", _("正式党员")


# Which party kinds may sit directly below which (the two chains, plus branches
# in agencies, enterprises and social organisations, and functional grid organisations).
PARTY_CHILDREN: dict[str, frozenset[str]] = {
    UnitKind.PARTY_CITY: frozenset({UnitKind.PARTY_DISTRICT, UnitKind.PARTY_BRANCH}),
    UnitKind.PARTY_DISTRICT: frozenset({UnitKind.PARTY_STREET, UnitKind.PARTY_TOWNSHIP, UnitKind.PARTY_BRANCH}),
    UnitKind.PARTY_STREET: frozenset({UnitKind.PARTY_COMMUNITY, UnitKind.PARTY_BRANCH, UnitKind.PARTY_GRID}),
    UnitKind.PARTY_TOWNSHIP: frozenset({UnitKind.PARTY_VILLAGE, UnitKind.PARTY_COMMUNITY, UnitKind.PARTY_BRANCH}),
    UnitKind.PARTY_COMMUNITY: frozenset({UnitKind.PARTY_COMPOUND, UnitKind.PARTY_GRID, UnitKind.PARTY_BRANCH}),
    UnitKind.PARTY_COMPOUND: frozenset({UnitKind.PARTY_BUILDING}),
    UnitKind.PARTY_BUILDING: frozenset({UnitKind.PARTY_CENTRE_HOUSEHOLD}),
    UnitKind.PARTY_VILLAGE: frozenset({UnitKind.PARTY_VILLAGER_GROUP, UnitKind.PARTY_GRID}),
    UnitKind.PARTY_VILLAGER_GROUP: frozenset({UnitKind.PARTY_CONTACT_HOUSEHOLD}),
    UnitKind.PARTY_BRANCH: frozenset(),
    UnitKind.PARTY_GRID: frozenset(),
    UnitKind.PARTY_CENTRE_HOUSEHOLD: frozenset(),
    UnitKind.PARTY_CONTACT_HOUSEHOLD: frozenset(),
}


class MemberRole(models.TextChoices):
    FULL_MEMBER = "full_member", _("正式党员")
    PROBATIONARY_MEMBER = "probationary_member", _("预备党员")
    SECRETARY = "secretary", _("书记")
    CADRE = "cadre", _("干部")
    GRID_WORKER = "grid_worker", _("网格员")
    VOLUNTEER = "volunteer", _("志愿者")
    MEDIATOR = "mediator", _("调解员")
    RESIDENT = "resident", _("居民")
    STAFF = "staff", _("职工")


# Memberships that mean a person works in (or for) a unit: what makes the unit "have" its party
# members for the rule (应建未建, ``org.party.gaps``). Residents and volunteers are not its members.
WORK_ROLES = frozenset({MemberRole.STAFF, MemberRole.CADRE, MemberRole.GRID_WORKER, MemberRole.MEDIATOR})


class StaffRoleKind(models.TextChoices):
    """What a platform user may do, within the subtree of the unit the role is held at."""

    DISTRICT_ADMIN = "district_admin", _("区级管理员")
    STREET_CADRE = "street_cadre", _("街道(乡镇)干部")
    COMMUNITY_CADRE = "community_cadre", _("社区(村)干部")
    GRID_WORKER = "grid_worker", _("网格员")
    DEPARTMENT_STAFF = "department_staff", _("部门工作人员")
    AUDITOR = "auditor", _("监督审计")


class SlaClass(models.TextChoices):
    """Service-level classes of the draft Beijing standard."""

    EMERGENCY = "emergency", _("紧急(2小时)")
    UTILITIES = "utilities", _("水电气热(24小时)")
    GENERAL = "general", _("一般(7天)")
    COMPLEX = "complex", _("复杂(15天)")


SLA_HOURS = {
    SlaClass.EMERGENCY: 2,
    SlaClass.UTILITIES: 24,
    SlaClass.GENERAL: 7 * 24,
    SlaClass.COMPLEX: 15 * 24,
}


class HandlerLevel(models.TextChoices):
    COMMUNITY = "community", _("社区(村)")
    STREET = "street", _("街道(乡镇)")
    DISTRICT = "district", _("区(县)")
    DEPARTMENT = "department", _("指定部门")
