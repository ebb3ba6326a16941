"""The resources app's contracts: the events it emits and the error codes it raises (see
:mod:`gongzhi.core.contracts`). Every event is ``resources.<what happened>``; until issue 22 they were
``pool.*`` (the app's old name, :data:`RENAMED`). Resource events are about one pool resource
(``aggregate_type`` ``pool_resource``), need events about one need (``pool_need``), a matching run
about its run (``match_run``).
"""

from __future__ import annotations

from gongzhi.core.contracts import ErrorCode, EventType, TypedDict


class ResourceOffered(TypedDict):
    name: str
    owner: str  # the owning unit's code
    kind: str
    quantity: int
    grid: str
    shared_with_paired: bool


class NeedRaised(TypedDict):
    title: str
    kind: str
    quantity: int
    priority: str  # emergency / basic / development
    source: str
    grid: str


class NeedCancelled(TypedDict):
    reason: str


class Matched(TypedDict):
    method: str
    needs: int
    resources: int
    served: int
    demand: int
    total_cost: int
    replaced_proposals: int
    shortfalls: dict[str, int]  # need id -> units not served


class ResourceWithdrawn(TypedDict):
    reason: str
    dropped_assignments: int
    repair_run: int | None


class Response(TypedDict):
    assignment: int
    resource: int
    accepted: bool
    quantity: int
    reason: str


class Dispatched(TypedDict):
    assignment: int
    quantity: int


class Delivered(TypedDict):
    assignment: int
    quantity: int
    received: int
    progress: dict[str, int]  # the need's proposed / committed / in_transit / fulfilled / open / quantity
    closed: bool


RESOURCE_OFFERED = EventType("resources.resource_offered", ResourceOffered, "a unit offered a resource to the pool")
NEED_RAISED = EventType("resources.need_raised", NeedRaised, "a need was registered with its priority class")
NEED_CANCELLED = EventType("resources.need_cancelled", NeedCancelled, "an open need was cancelled")
MATCHED = EventType("resources.matched", Matched, "the matcher proposed assignments for a region's open needs")
RESOURCE_WITHDRAWN = EventType(
    "resources.resource_withdrawn",
    ResourceWithdrawn,
    "the owner took a resource out of the pool; its assignments were repaired",
)
RESPONSE = EventType("resources.response", Response, "the owner accepted or declined a proposed assignment")
DISPATCHED = EventType("resources.dispatched", Dispatched, "the owner sent the committed units")
DELIVERED = EventType("resources.delivered", Delivered, "the recipient confirmed the quantity received")

# Event types renamed by issue 22 (old -> new); the lead's data migration renames stored events.
RENAMED: dict[str, str] = {
    "pool.resource_offered": RESOURCE_OFFERED,
    "pool.need_raised": NEED_RAISED,
    "pool.need_cancelled": NEED_CANCELLED,
    "pool.matched": MATCHED,
    "pool.resource_withdrawn": RESOURCE_WITHDRAWN,
    "pool.response": RESPONSE,
    "pool.dispatched": DISPATCHED,
    "pool.delivered": DELIVERED,
}


class ResourcesError(ErrorCode):
    """The resources app's own codes. An assignment no longer in the state a step needs (answered,
    sent or delivered already) is ``CoreError.INVALID_STATE`` (formerly ``state``)."""

    COMMITTED = "committed"  # a need cannot be cancelled: a resource owner committed or sent units
    IN_TRANSIT = "in_transit"  # a resource cannot be withdrawn while units are on their way
