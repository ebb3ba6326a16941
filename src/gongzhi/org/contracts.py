"""The organisation app's contracts: the events it emits and the error codes it raises (see
:mod:`gongzhi.core.contracts`).

Units, members, people and households, grids, matter categories and responsibility rules, staff
roles: one event per change, ``org.<what happened>``. Personal fields go under ``personal``.
"""

from __future__ import annotations

from gongzhi.core.contracts import ErrorCode, EventType, TypedDict

# ----------------------------------------------------------------- units and members


class UnitEstablished(TypedDict):
    code: str
    name: str
    kind: str
    parent: str | None  # the parent unit's code
    founding_members: int


class UnitMoved(TypedDict):
    code: str
    parent: str | None


class ChangedFields(TypedDict):
    code: str
    fields: list[str]  # the names of the fields changed


class PartyOrgFlagged(TypedDict):
    code: str
    full_members: int
    reason: str


class PartyOrgRectified(TypedDict):
    code: str
    full_members: int


class PersonRef(TypedDict):
    person_id: int


class MemberPersonal(TypedDict):
    person_id: int
    name: str


class MemberAdded(TypedDict):
    unit: str
    role: str
    personal: MemberPersonal


class MemberLeft(TypedDict):
    unit: str
    role: str
    reason: str
    personal: PersonRef


UNIT_ESTABLISHED = EventType(
    "org.unit_established", UnitEstablished, "a unit was set up (a party organisation with its founding members)"
)
UNIT_MOVED = EventType("org.unit_moved", UnitMoved, "a unit was moved under another parent")
UNIT_UPDATED = EventType("org.unit_updated", ChangedFields, "a unit's details were changed")
PARTY_ORG_FLAGGED = EventType(
    "org.party_org_flagged",
    PartyOrgFlagged,
    "a party organisation fell below three full members and needs rectification",
)
PARTY_ORG_RECTIFIED = EventType(
    "org.party_org_rectified", PartyOrgRectified, "a flagged party organisation has three full members again"
)
MEMBER_ADDED = EventType("org.member_added", MemberAdded, "a person joined a unit")
MEMBER_LEFT = EventType("org.member_left", MemberLeft, "a person's membership of a unit ended")


class PartyStandingPersonal(TypedDict):
    person_id: int
    party_status: str  # "", "probationary", "full"


class PartyStandingRecorded(TypedDict):
    relation: str | None  # the code of the organisation holding the member's relation
    personal: PartyStandingPersonal


PARTY_STANDING_RECORDED = EventType(
    "org.party_standing_recorded",
    PartyStandingRecorded,
    "a person's party standing (正式/预备党员) or party relation was recorded (not public)",
)

# ----------------------------------------------------------------- people and households


class PersonPersonal(TypedDict):
    name: str
    id_number: str
    phone: str


class PersonRegistered(TypedDict):
    personal: PersonPersonal


class PersonUpdated(TypedDict):
    fields: list[str]


class HouseholdRegistered(TypedDict):
    code: str


class HouseholdMember(TypedDict):
    member_id: int


class HouseholdLinked(TypedDict):
    household: str
    personal: HouseholdMember


PERSON_REGISTERED = EventType("org.person_registered", PersonRegistered, "a resident was registered (not public)")
PERSON_UPDATED = EventType("org.person_updated", PersonUpdated, "a resident's details were changed (not public)")
HOUSEHOLD_REGISTERED = EventType(
    "org.household_registered", HouseholdRegistered, "a household was registered (not public)"
)
HOUSEHOLD_LINKED = EventType("org.household_linked", HouseholdLinked, "a person was linked to a household")


class HouseholdVisited(TypedDict):
    visit: int
    household: str
    grid: str | None
    visited_on: str  # ISO date
    purpose: str
    matter_raised: bool
    request: str | None  # the number of the request the matter became
    personal: HouseholdMember


HOUSEHOLD_VISITED = EventType(
    "org.household_visited",
    HouseholdVisited,
    "a party member's visit to a linked household was recorded (包片联户; not public; counted by the burden meter)",
)

# ----------------------------------------------------------------- grids


class GridCreated(TypedDict):
    code: str
    name: str
    area_m2: int


class GridReshaped(TypedDict):
    code: str
    area_m2: int


class GridAssigned(TypedDict):
    grid: str
    kind: str
    personal: PersonRef


class GridPartyOrgSet(TypedDict):
    grid: str
    party_org: str
    co_builders: list[str]  # unit codes


GRID_CREATED = EventType("org.grid_created", GridCreated, "a grid was drawn in a community")
GRID_RESHAPED = EventType("org.grid_reshaped", GridReshaped, "a grid's boundary was changed")
GRID_ASSIGNED = EventType("org.grid_assigned", GridAssigned, "a person was assigned to a grid (grid worker, ...)")
GRID_PARTY_ORG_SET = EventType(
    "org.grid_party_org_set", GridPartyOrgSet, "a grid's party organisation and co-building units were set"
)

# ----------------------------------------------------------------- responsibility lists, roles


class CategoryCreated(TypedDict):
    code: str
    name: str
    sla: str


class ResponsibilityRuleAdded(TypedDict):
    category: str
    region: str
    version: int
    handler_level: str
    department: str | None  # the department unit's code
    sla: str
    effective_from: str  # ISO date


class RoleGranted(TypedDict):
    unit: str
    role: str


class PowerDefined(TypedDict):
    code: str
    name: str
    categories: list[str]  # the matter categories that need it


class PowerGranted(TypedDict):
    power: str
    unit: str
    region: str
    effective_from: str  # ISO date
    grant: int


class PowerGrantEnded(TypedDict):
    power: str
    unit: str
    region: str
    effective_to: str
    grant: int


CATEGORY_CREATED = EventType("org.category_created", CategoryCreated, "a matter category was added")
RESPONSIBILITY_RULE_ADDED = EventType(
    "org.responsibility_rule_added", ResponsibilityRuleAdded, "a new version of who handles a category in a region"
)
POWER_DEFINED = EventType("org.power_defined", PowerDefined, "a kind of power and the categories needing it (权力清单)")
POWER_GRANTED = EventType("org.power_granted", PowerGranted, "a unit was given a power in a region (权力清单)")
POWER_GRANT_ENDED = EventType("org.power_grant_ended", PowerGrantEnded, "a line of the power list ended")
ROLE_GRANTED = EventType("org.role_granted", RoleGranted, "a user was given a role at a unit (not public)")


class OrgError(ErrorCode):
    """The organisation app's own codes (shared ones are :class:`~gongzhi.core.contracts.CoreError`)."""

    BAD_CHAIN = "bad_chain"  # a unit kind that may not sit under its parent's kind
    CYCLE = "cycle"  # a unit moved under its own descendant
    TOO_FEW_MEMBERS = "too_few_members"  # a party organisation needs three full members to be set up
    NOT_FULL_MEMBERS = "not_full_members"  # founders who are not (yet) full party members
    NOT_BRANCH_MEMBERS = "not_branch_members"  # a party group's members must be members of its branch
    NOT_PARTY_MEMBER = "not_party_member"  # a party role for someone whose standing does not match
    BAD_CODE = "bad_code"  # a grid code that is not the community's code and a serial number
    OVERLAP = "overlap"  # an area that overlaps another one (a grid another grid; incidents: an active incident)
    INVALID_GEOJSON = "invalid_geojson"  # not a GeoJSON (Multi)Polygon or FeatureCollection, or bad coordinates
    INVALID_GEOMETRY = "invalid_geometry"  # a polygon that is not valid (self-intersecting, ...)
    OUTSIDE_GRIDS = "outside_grids"  # a location in no grid
    UNKNOWN_CATEGORY = "unknown_category"  # a matter category code that does not exist
    NO_HANDLER = "no_handler"  # no responsibility rule names who handles a category there
    UNKNOWN_POWER = "unknown_power"  # a power code that is not on the power list
    NOT_LINKED = "not_linked"  # a visit to a household the member does not link (包片联户)
